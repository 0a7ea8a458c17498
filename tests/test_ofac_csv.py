"""The OFAC legacy delimited importer, on the real July 2021 SDN files.

The files are parsed once for the module; every expected value below was read by hand
from the raw files (``grep '^12625,' sdn.csv alt.csv add.csv``).
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path

import pytest
from followthemoney import EntityProxy, registry

from proscribe.sources import ofac_csv
from proscribe.sources.base import (
    ListFormatError,
    ParsedList,
    Record,
    file_checksum,
    hashed_id,
    record_from_data,
)

# --- the real files, parsed once -------------------------------------------------------------


class Parsed:
    def __init__(self, parsed: ParsedList, seconds: float, progress: list[int]) -> None:
        self.list = parsed
        self.seconds = seconds
        self.progress = progress
        self.by_id = {r.source_id: r for r in parsed.records}

    def record(self, ent_num: str) -> Record:
        return self.by_id[ent_num]


@pytest.fixture(scope="module")
def parsed(ofac_dir: Path) -> Parsed:
    calls: list[int] = []
    start = time.perf_counter()
    result = ofac_csv.read(ofac_dir, progress=calls.append)
    return Parsed(result, time.perf_counter() - start, calls)


def raw_rows(path: Path) -> list[list[str]]:
    """The file's rows read with nothing but the csv module, as the expectations' source."""
    with open(path, newline="", encoding="ascii") as fh:
        return [[c.strip() for c in row] for row in csv.reader(fh) if row and row != ["\x1a"]]


def adjacent(record: Record, schema: str) -> list[EntityProxy]:
    return [e for e in record.adjacent if e.schema.name == schema]


def props(ent: EntityProxy, prop: str) -> set[str]:
    return set(ent.get(prop))


# --- the whole list ---------------------------------------------------------------------------


def test_all_records_with_the_published_counts(parsed: Parsed) -> None:
    records = parsed.list.records
    assert len(records) == 8976
    assert Counter(r.target.schema.name for r in records) == {
        "Person": 4620,
        "Organization": 3673,
        "Vessel": 406,
        "Airplane": 277,
    }
    assert parsed.list.stats["records"] == 8976
    assert parsed.list.stats["by_schema"] == {
        "Airplane": 277,
        "Organization": 3673,
        "Person": 4620,
        "Vessel": 406,
    }
    assert parsed.list.format == "ofac-csv" and parsed.list.dataset == "us_ofac_sdn"
    assert parsed.list.as_of is None
    for record in records:
        record.validate()
        assert record.target.id == f"ofac-{record.source_id}"


def test_every_alias_row_is_on_its_record(parsed: Parsed, ofac_dir: Path) -> None:
    rows = raw_rows(ofac_dir / "alt.csv")
    assert len(rows) == 11910
    for ent_num, _alt_num, alt_type, alt_name, _remarks in rows:
        target = parsed.record(ent_num).target
        name = ofac_csv.person_name(alt_name).full if target.schema.name == "Person" else alt_name
        # as FtM keeps names: runs of spaces collapsed, outer quotes dropped (ents 9595, 22504)
        cleaned = registry.name.clean(name)
        prop = "previousName" if alt_type == "fka" else "alias"
        assert cleaned in target.get(prop), (ent_num, alt_name)
    assert parsed.list.stats["aliases"] == 11910
    assert Counter(r[2] for r in rows) == {"aka": 11523, "fka": 369, "nka": 18}


def test_every_address_row_is_represented(parsed: Parsed, ofac_dir: Path) -> None:
    rows = raw_rows(ofac_dir / "add.csv")
    assert len(rows) == 13837
    empty = 0
    for ent_num, add_num, street, city, country, remarks in rows:
        record = parsed.record(ent_num)
        addr_id = hashed_id("ofac-addr", ent_num, add_num)
        found = [e for e in record.adjacent if e.id == addr_id]
        if all(v in ("-0-", "undetermined") for v in (street, city, country, remarks)):
            # OFAC's placeholder row: nothing to represent, and nothing made
            assert found == []
            empty += 1
            continue
        (addr,) = found
        assert addr_id in record.target.get("addressEntity")
        parts = [v for v in (street, city, country) if v not in ("-0-", "undetermined")]
        # FtM tidies punctuation in addresses ("Gallarate,, Varese", ent 10386)
        assert addr.first("full") == registry.address.clean(", ".join(parts)), (ent_num, add_num)
    assert empty == 2399
    stats = parsed.list.stats
    assert (stats["addresses"], stats["addresses_empty"], stats["address_rows"]) == (11438, 2399, 13837)
    assert sum(len(adjacent(r, "Address")) for r in parsed.list.records) == 11438


def test_one_sanction_per_record(parsed: Parsed) -> None:
    for record in parsed.list.records:
        (sanction,) = adjacent(record, "Sanction")
        assert sanction.get("entity") == [record.target.id]
        assert sanction.get("authorityId") == [record.source_id]
        assert sanction.get("program"), record.source_id
        assert "sanction" in record.target.get("topics")


def test_ids_are_unique_and_records_survive_the_store(parsed: Parsed) -> None:
    seen: set[str] = set()
    for record in parsed.list.records:
        for ent in record.entities:
            assert ent.id not in seen
            seen.add(str(ent.id))
        # the store keeps to_data() and rebuilds with record_from_data: nothing may change
        again = record_from_data(record.dataset, record.source_id, record.to_data())
        assert again.checksum() == record.checksum(), record.source_id


def test_checksum_source_and_progress(parsed: Parsed, ofac_dir: Path) -> None:
    files = [ofac_dir / n for n in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")]
    assert parsed.list.checksum == file_checksum(*files)
    assert parsed.list.source == str(ofac_dir)
    assert sum(parsed.progress) == 8976
    assert len(parsed.progress) > 1


def test_remark_understood_share(parsed: Parsed) -> None:
    stats = parsed.list.stats
    print(f"\nremark clauses understood: {stats['remark_clauses_understood']}/{stats['remark_clauses']}")
    assert stats["remark_clauses"] == 32742
    # measured: 32,738 of 32,742 (0.99988)
    assert stats["remark_understood_share"] >= 0.999
    assert sum(stats["unparsed_remark_kinds"].values()) <= 10
    assert stats["remark_clauses_understood"] / stats["remark_clauses"] == pytest.approx(
        stats["remark_understood_share"], abs=1e-5
    )


def test_remark_figures(parsed: Parsed) -> None:
    stats = parsed.list.stats
    assert stats["weak_aliases"] == 2442
    assert stats["crypto_wallets"] == 97
    assert stats["links_resolved"] >= 3600
    assert stats["remark_kinds"]["dob"] == 5125
    assert sum(len(r.target.get("weakAlias")) for r in parsed.list.records) >= 2400


# --- records checked one by one -----------------------------------------------------------


def test_person_with_passports_dob_pob_and_weak_aliases(parsed: Parsed) -> None:
    # 12625,"KOLBAYEV, Kamchybek Asanbekovich","individual","SDNTK] [TCO",...
    record = parsed.record("12625")
    person = record.target
    assert person.schema.name == "Person"
    assert person.get("name") == ["Kamchybek Asanbekovich KOLBAYEV"]
    assert person.get("firstName") == ["Kamchybek Asanbekovich"]
    assert person.get("lastName") == ["KOLBAYEV"]
    assert props(person, "birthDate") == {"1974-08-03", "1973-01-01"}
    assert person.get("birthPlace") == ["Cholpon-Ata, Kyrgyzstan"]
    assert person.get("nationality") == ["kg"]
    assert person.get("gender") == ["male"]
    assert props(person, "weakAlias") == {"KAMCHI BISHKEKSKIY", "KOLYA-KYRGYZ"}
    assert props(person, "passportNumber") == {"AC2499982", "AC732709"}
    assert props(person, "idNumber") == {"20308197410028", "1002001"}
    assert "Kamchibek KOLBAEV" in person.get("alias")
    assert "Asanbeka KAMCHI" in person.get("alias")
    assert len(person.get("alias")) == 8
    passports = {p.first("number"): p for p in adjacent(record, "Passport")}
    assert set(passports) == {"AC2499982", "AC732709"}
    assert passports["AC2499982"].get("country") == ["kg"]
    assert passports["AC2499982"].get("holder") == ["ofac-12625"]
    (sanction,) = adjacent(record, "Sanction")
    assert props(sanction, "program") == {"SDNTK", "TCO"}
    assert sanction.get("sourceUrl") == ["https://sanctionssearch.ofac.treas.gov/Details.aspx?id=12625"]
    # Linked To: THIEVES-IN-LAW. -> ent 23223
    (link,) = adjacent(record, "UnknownLink")
    assert (link.get("subject"), link.get("object"), link.get("role")) == (
        ["ofac-12625"],
        ["ofac-23223"],
        ["Linked To"],
    )
    # add.csv: "Bahar 1 Sector, C09-T02 Tower, Apartment 3203","Dubai 31672","United Arab Emirates"
    addresses = {a.first("street"): a for a in adjacent(record, "Address")}
    bahar = addresses["Bahar 1 Sector, C09-T02 Tower, Apartment 3203"]
    assert (bahar.get("city"), bahar.get("postalCode"), bahar.get("country")) == (
        ["Dubai"],
        ["31672"],
        ["ae"],
    )
    assert person.get("country") == ["ae"]


def test_vessel_with_imo_flag_and_former_names(parsed: Parsed) -> None:
    # 15036,"ARTAVIL","vessel","IRAN",-0- ,"T2EU4","Crude/Oil Products Tanker","99,144","56,068","Iran",...
    record = parsed.record("15036")
    vessel = record.target
    assert vessel.schema.name == "Vessel"
    assert vessel.get("name") == ["ARTAVIL"]
    assert vessel.get("imoNumber") == ["IMO9187629"]
    assert vessel.get("mmsi") == ["572469210"]
    assert vessel.get("flag") == ["ir"]
    assert vessel.get("callSign") == ["T2EU4"]
    assert vessel.get("type") == ["Crude/Oil Products Tanker"]
    assert vessel.get("tonnage") == ["99144"]
    assert vessel.get("grossRegisteredTonnage") == ["56068"]
    assert props(vessel, "pastFlags") == {"mt", "tv", "tz"}
    assert props(vessel, "previousName") == {"ABADAN", "SHONA"}
    assert vessel.get("weakAlias") == ["ALPHA"]
    (link,) = adjacent(record, "UnknownLink")
    assert link.get("object") == ["ofac-15117"]  # NATIONAL IRANIAN TANKER COMPANY
    (sanction,) = adjacent(record, "Sanction")
    assert "Additional Sanctions Information - Subject to Secondary Sanctions" in sanction.get("provisions")


def test_aircraft(parsed: Parsed) -> None:
    # 15431,"EP-GOM","aircraft","SDGT",... Aircraft Operator YAS AIR (an alias of POUYA AIR, ent 13109)
    record = parsed.record("15431")
    plane = record.target
    assert plane.schema.name == "Airplane"
    assert plane.get("name") == ["EP-GOM"]
    assert props(plane, "serialNumber") == {"1023409321", "8401"}
    assert plane.get("model") == ["IL76-TD"]
    assert plane.get("buildDate") == ["1992"]
    assert plane.get("operator") == ["ofac-13109"]
    assert adjacent(record, "Address") == []  # the add.csv row is an empty placeholder


def test_entity_with_website_links_and_alias(parsed: Parsed) -> None:
    # 11317,"NATIONAL IRANIAN OIL COMPANY",-0- ,"IRAN] [SDGT] [IFSR] [IFCA",...
    record = parsed.record("11317")
    org = record.target
    assert org.schema.name == "Organization"
    assert org.get("name") == ["NATIONAL IRANIAN OIL COMPANY"]
    assert org.get("alias") == ["NIOC"]
    assert org.get("website") == ["http://www.nioc.ir/"]
    assert org.get("country") == ["ir"]
    objects = {link.first("object") for link in adjacent(record, "UnknownLink")}
    assert objects == {"ofac-10465", "ofac-29788"}  # IRGC-QODS FORCE; MINISTRY OF PETROLEUM
    (sanction,) = adjacent(record, "Sanction")
    assert props(sanction, "program") == {"IRAN", "SDGT", "IFSR", "IFCA"}
    assert "IFCA Determination - Involved in Energy Sector" in sanction.get("provisions")
    assert len(adjacent(record, "Address")) == 2


def test_digital_currency_and_remarks_overflow(parsed: Parsed) -> None:
    # 28264,"LI, Jiadong": 12 XBT addresses; the remarks continue in sdn_comments.csv ("hone Number ...")
    record = parsed.record("28264")
    person = record.target
    assert person.get("name") == ["Jiadong LI"]
    wallets = {w.first("publicKey"): w for w in adjacent(record, "CryptoWallet")}
    assert len(wallets) == 12
    first = wallets["1EfMVkxQQuZfBdocpJu6RUsCJvenQWbQyE"]
    assert (first.get("currency"), first.get("holder")) == (["XBT"], ["ofac-28264"])
    # only in the overflow: the phone numbers, the Chinese ID, the weak aliases and the link
    assert props(person, "phone") == {"+8613314257947", "+8618004121000"}
    assert "210302198701102136" in person.get("idNumber")
    assert props(person, "weakAlias") == {"blackjack1987", "khaleesi"}
    links = [link.first("object") for link in adjacent(record, "UnknownLink")]
    assert links == ["ofac-27307"]  # LAZARUS GROUP
    assert str(person.first("notes")).endswith("a.k.a. 'khaleesi'; Linked To: LAZARUS GROUP.")


def test_overflow_cut_mid_word(parsed: Parsed) -> None:
    # 29703: sdn.csv ends "...Digital Currency Addres", sdn_comments.csv goes on "s - ETH 0x8576..."
    wallets = {w.first("publicKey"): w for w in adjacent(parsed.record("29703"), "CryptoWallet")}
    assert wallets["0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c"].get("currency") == ["ETH"]
    # 12300: "...Linked To: PROMO RAI" + "Z S.A.S.; ..." -> PROMO RAIZ S.A.S. (ent 12396)
    record = parsed.record("12300")
    objects = {link.first("object") for link in adjacent(record, "UnknownLink")}
    assert "ofac-12396" in objects and "ofac-12904" in objects  # the last one: R D I S.A.
    assert record.target.get("name") == ["Jorge Milton CIFUENTES VILLA"]


def test_dob_ranges_and_title(parsed: Parsed) -> None:
    # 12057 NAQDI: "DOB 1951 to 1953; alt. DOB 1960 to 1962; alt. DOB Apr 1961; alt. DOB 1953"
    naqdi = parsed.record("12057").target
    assert props(naqdi, "birthDate") == {"1951", "1952", "1953", "1960", "1961", "1962", "1961-04"}
    assert "Brigadier General and Commander of the IRGC Basij Resistance Force" in naqdi.get("position")
    assert props(naqdi, "birthPlace") == {"Najaf, Iraq", "Tehran, Iran"}
    # 9584 SAHIRON: "DOB 1955; alt. DOB circa 1952"; a.k.a. 'SAJIRUN, Radulan'
    sahiron = parsed.record("9584").target
    assert props(sahiron, "birthDate") == {"1955", "1952"}
    assert props(sahiron, "weakAlias") == {"Radulan SAJIRUN", "COMMANDER PUTOL"}
    # 23470 SALAVATI: "DOB Mar 1962 to Feb 1963"
    salavati = parsed.record("23470").target
    assert props(salavati, "birthDate") == {f"1962-{m:02d}" for m in range(3, 13)} | {"1963-01", "1963-02"}


def test_person_with_ssn_and_citizenship(parsed: Parsed) -> None:
    # 6931 "YASIN, Abdul Rahman": citizen United States; SSN 156-92-9858 (United States)
    record = parsed.record("6931")
    person = record.target
    assert person.get("citizenship") == ["us"]
    assert person.get("socialSecurityNumber") == ["156929858"]
    assert props(person, "passportNumber") == {"27082171", "M0887925"}
    passport = next(p for p in adjacent(record, "Passport") if p.first("number") == "27082171")
    assert (passport.get("country"), passport.get("startDate")) == (["us"], ["1992-06-21"])


def test_entity_with_addresses_and_weak_alias(parsed: Parsed) -> None:
    # 306,"BANCO NACIONAL DE CUBA",-0- ,"CUBA",... ,"a.k.a. 'BNC'."
    record = parsed.record("306")
    bank = record.target
    assert bank.get("weakAlias") == ["BNC"]
    assert bank.get("alias") == ["NATIONAL BANK OF CUBA"]
    assert props(bank, "country") == {"ch", "es", "jp", "pa"}
    zurich = next(a for a in adjacent(record, "Address") if a.first("street") == "Zweierstrasse 35")
    assert (zurich.get("city"), zurich.get("postalCode"), zurich.get("full")) == (
        ["Zurich"],
        ["CH-8022"],
        ["Zweierstrasse 35, Zurich CH-8022, Switzerland"],
    )


# --- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "full", "first", "last", "suffix"),
    [
        ("BENSOUDA, Fatou", "Fatou BENSOUDA", "Fatou", "BENSOUDA", None),
        (
            "DELOS REYES, Feliciano Semborio, Jr.",
            "Feliciano Semborio DELOS REYES Jr.",
            "Feliciano Semborio",
            "DELOS REYES",
            "Jr.",
        ),
        ("KNOWLES, JR., Samuel", "Samuel KNOWLES JR.", "Samuel", "KNOWLES", "JR."),
        ("ABU ZUBAYDAH", "ABU ZUBAYDAH", None, None, None),
    ],
)
def test_person_name(raw: str, full: str, first: str | None, last: str | None, suffix: str | None) -> None:
    assert ofac_csv.person_name(raw) == ofac_csv.PersonName(full, first, last, suffix)


def test_programs_and_phone_numbers() -> None:
    assert ofac_csv.programs("SDGT] [IRGC] [IFSR") == ["SDGT", "IRGC", "IFSR"]
    assert ofac_csv.programs("CUBA") == ["CUBA"]
    assert ofac_csv.phone_number("0097282851500") == "+97282851500"
    assert ofac_csv.phone_number("(218) (0)214778301") == "+218214778301"
    assert ofac_csv.phone_number("03889402") is None
    assert ofac_csv.phone_number("03889402", "lb") == "+9613889402"


def test_split_city() -> None:
    assert ofac_csv.split_city("Mexico City, Distrito Federal C.P. 11510") == ofac_csv.AddressParts(
        "Mexico City", "Distrito Federal", "11510"
    )
    assert ofac_csv.split_city("London EC3N 1DY") == ofac_csv.AddressParts("London", None, "EC3N 1DY")
    assert ofac_csv.split_city("Tokyo 103") == ofac_csv.AddressParts("Tokyo 103", None, None)
    # an Iranian post box, not a postal code
    assert ofac_csv.split_city("Tehran 14155/6363") == ofac_csv.AddressParts("Tehran 14155/6363", None, None)
    assert ofac_csv.split_city("438864") == ofac_csv.AddressParts(None, None, "438864")


# --- finding the files ------------------------------------------------------------------------


def test_sniff(ofac_dir: Path, tmp_path: Path) -> None:
    assert ofac_csv.sniff(ofac_dir)
    assert ofac_csv.sniff(ofac_dir / "sdn.csv")
    assert not ofac_csv.sniff(ofac_dir / "alt.csv")
    upper = tmp_path / "upper"
    upper.mkdir()
    (upper / "SDN.CSV").write_bytes(
        b'36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    )
    assert ofac_csv.sniff(upper)
    assert len(ofac_csv.read(upper).records) == 1
    assert not ofac_csv.sniff(tmp_path / "nothing-here")


def test_sdn_alone_and_as_a_file(ofac_dir: Path, tmp_path: Path) -> None:
    copy_lines(ofac_dir / "sdn.csv", tmp_path / "sdn.csv", 40)
    parsed = ofac_csv.read(tmp_path / "sdn.csv", dataset="test")
    assert len(parsed.records) == 40 and parsed.dataset == "test"
    assert parsed.checksum == file_checksum(tmp_path / "sdn.csv")
    assert all(not r.target.get("alias") for r in parsed.records)


# --- bad input --------------------------------------------------------------------------------


def copy_lines(source: Path, target: Path, count: int, tail: bytes = b"") -> None:
    """The first ``count`` lines of a real file, then ``tail``."""
    with open(source, "rb") as fh:
        lines = [next(fh) for _ in range(count)]
    target.write_bytes(b"".join(lines) + tail)


def expect_error(path: Path, *, file: str, line: int | None, reason: str) -> ListFormatError:
    with pytest.raises(ListFormatError) as info:
        ofac_csv.read(path)
    message = str(info.value)
    assert file in message, message
    if line is not None:
        assert f"line {line}:" in message, message
    assert reason in info.value.reason, message
    return info.value


def test_truncated_quoted_field(ofac_dir: Path, tmp_path: Path) -> None:
    copy_lines(ofac_dir / "sdn.csv", tmp_path / "sdn.csv", 20, b'9999,"HALF A NAM')
    expect_error(tmp_path, file="sdn.csv", line=21, reason="malformed CSV row")


def test_unbalanced_quote_inside_the_file(ofac_dir: Path, tmp_path: Path) -> None:
    with open(ofac_dir / "sdn.csv", "rb") as fh:
        lines = [next(fh) for _ in range(10)]
    # line 5: 475,"CASA DE CUBA","CUBA",... loses the quote that closes the name
    assert lines[4].startswith(b'475,"CASA DE CUBA",')
    lines[4] = lines[4].replace(b'CUBA",', b"CUBA,", 1)
    (tmp_path / "sdn.csv").write_bytes(b"".join(lines))
    expect_error(tmp_path, file="sdn.csv", line=5, reason="malformed CSV row")


def test_quoted_field_running_over_the_line_end(ofac_dir: Path, tmp_path: Path) -> None:
    with open(ofac_dir / "sdn.csv", "rb") as fh:
        lines = [next(fh) for _ in range(10)]
    # line 3: 306,...,"a.k.a. 'BNC'." loses its closing quote; the field swallows line 4
    assert lines[2].endswith(b"'BNC'.\"\r\n")
    lines[2] = lines[2].replace(b"'BNC'.\"", b"'BNC'.", 1)
    (tmp_path / "sdn.csv").write_bytes(b"".join(lines))
    expect_error(tmp_path, file="sdn.csv", line=3, reason="")


def test_wrong_column_count(ofac_dir: Path, tmp_path: Path) -> None:
    with open(ofac_dir / "sdn.csv", "rb") as fh:
        lines = [next(fh) for _ in range(10)]
    lines[6] = lines[6].replace(b",-0- ", b"", 1)
    (tmp_path / "sdn.csv").write_bytes(b"".join(lines))
    expect_error(tmp_path, file="sdn.csv", line=7, reason="expected 12 columns, found 11")


def test_non_numeric_ent_num(ofac_dir: Path, tmp_path: Path) -> None:
    with open(ofac_dir / "sdn.csv", "rb") as fh:
        lines = [next(fh) for _ in range(10)]
    lines[2] = b"X" + lines[2]
    (tmp_path / "sdn.csv").write_bytes(b"".join(lines))
    expect_error(tmp_path, file="sdn.csv", line=3, reason="is not a number")


def test_duplicate_ent_num(ofac_dir: Path, tmp_path: Path) -> None:
    with open(ofac_dir / "sdn.csv", "rb") as fh:
        lines = [next(fh) for _ in range(10)]
    (tmp_path / "sdn.csv").write_bytes(b"".join([*lines, lines[1]]))
    expect_error(tmp_path, file="sdn.csv", line=11, reason="appears twice (first at line 2)")


def test_alt_row_with_unknown_ent_num(ofac_dir: Path, tmp_path: Path) -> None:
    copy_lines(ofac_dir / "sdn.csv", tmp_path / "sdn.csv", 30)
    copy_lines(ofac_dir / "alt.csv", tmp_path / "alt.csv", 3, b'99999999,1,"aka","NOBODY",-0- \r\n')
    expect_error(tmp_path, file="alt.csv", line=4, reason="ent_num 99999999 is not in sdn.csv")


def test_address_and_comment_rows_with_unknown_ent_num(ofac_dir: Path, tmp_path: Path) -> None:
    copy_lines(ofac_dir / "sdn.csv", tmp_path / "sdn.csv", 30)
    (tmp_path / "add.csv").write_bytes(b'36,25,-0- ,"Havana","Cuba",-0- \r\n777,1,-0- ,-0- ,-0- ,-0- \r\n')
    expect_error(tmp_path, file="add.csv", line=2, reason="ent_num 777 is not in sdn.csv")
    (tmp_path / "add.csv").unlink()
    (tmp_path / "sdn_comments.csv").write_bytes(b'12300,"Z S.A.S."\r\n')
    expect_error(tmp_path, file="sdn_comments.csv", line=1, reason="ent_num 12300 is not in sdn.csv")


def test_wrong_column_count_in_alt(ofac_dir: Path, tmp_path: Path) -> None:
    copy_lines(ofac_dir / "sdn.csv", tmp_path / "sdn.csv", 30)
    (tmp_path / "alt.csv").write_bytes(b'36,12,"aka","AERO-CARIBBEAN"\r\n')
    expect_error(tmp_path, file="alt.csv", line=1, reason="expected 5 columns, found 4")


def test_invalid_utf8(ofac_dir: Path, tmp_path: Path) -> None:
    with open(ofac_dir / "sdn.csv", "rb") as fh:
        lines = [next(fh) for _ in range(10)]
    lines[6] = lines[6].replace(b"-0- ", b"Caf\xe9", 1)  # a latin-1 e-acute
    (tmp_path / "sdn.csv").write_bytes(b"".join(lines))
    expect_error(tmp_path, file="sdn.csv", line=7, reason="not valid UTF-8")


def test_empty_files(tmp_path: Path) -> None:
    (tmp_path / "sdn.csv").write_bytes(b"")
    expect_error(tmp_path, file="sdn.csv", line=None, reason="holds no records")
    (tmp_path / "sdn.csv").write_bytes(b"\x1a")  # only OFAC's end-of-file byte
    expect_error(tmp_path, file="sdn.csv", line=None, reason="holds no records")


def test_missing_folder_and_missing_sdn(tmp_path: Path) -> None:
    expect_error(tmp_path / "nope", file="nope", line=None, reason="no such file or folder")
    (tmp_path / "alt.csv").write_bytes(b"")
    expect_error(tmp_path, file=str(tmp_path), line=None, reason="no sdn.csv in this folder")
    expect_error(tmp_path / "alt.csv", file="alt.csv", line=None, reason="not an OFAC sdn.csv")


def test_unknown_sdn_type(ofac_dir: Path, tmp_path: Path) -> None:
    with open(ofac_dir / "sdn.csv", "rb") as fh:
        lines = [next(fh) for _ in range(5)]
    lines[3] = lines[3].replace(b",-0- ,", b',"spaceship",', 1)
    (tmp_path / "sdn.csv").write_bytes(b"".join(lines))
    expect_error(tmp_path, file="sdn.csv", line=4, reason="unknown SDN_Type 'spaceship'")
