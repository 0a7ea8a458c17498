"""The UK Sanctions List CSV importer, on a hand-written fixture of six invented designations.

``fixtures/uk/uksl-sample.csv`` has the real file's shape: a UTF-8 byte-order mark, the
``Report Date:`` preamble, the 58-column header, CRLF line ends, one row per name and
quoted fields that span lines. The people, companies and ship in it are made up.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from listing_helpers import adjacent, props, sanction
from proscribe.sources import uk_csv
from proscribe.sources.base import ListFormatError, ParsedList, Record, file_checksum

HEADER = (
    "Last Updated,Unique ID,OFSI Group ID,UN Reference Number,Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,"
    "Name type,Alias strength,Title,Regime Name,Designation Type,Designation source,Sanctions Imposed,"
    "Date Designated,D.O.B,Nationality(/ies)"
)


@pytest.fixture(scope="module")
def sample() -> Path:
    return Path(__file__).resolve().parent / "fixtures" / "uk" / "uksl-sample.csv"


@pytest.fixture(scope="module")
def parsed(sample: Path) -> ParsedList:
    return uk_csv.read(sample)


@pytest.fixture(scope="module")
def by_id(parsed: ParsedList) -> dict[str, Record]:
    return {rec.source_id: rec for rec in parsed.records}


def test_file_level(parsed: ParsedList, sample: Path) -> None:
    assert [rec.source_id for rec in parsed.records] == [
        "RUS1901",
        "AFG0901",
        "RUS1902",
        "RUS1903",
        "IRQ0901",
        "CYB0901",
    ]
    assert parsed.as_of == date(2026, 2, 20)
    assert parsed.format == "uk-csv"
    assert parsed.dataset == "gb_fcdo_sanctions"
    assert parsed.source == str(sample)
    assert parsed.checksum == file_checksum(sample)
    assert parsed.warnings == []
    assert parsed.stats == {
        "records": 6,
        "rows": 13,
        "by_schema": {"Person": 3, "Organization": 2, "Vessel": 1},
        "aliases": 8,
        "weak_aliases": 1,
        "previous_names": 0,
        "birth_dates": 4,
        "nationalities": 3,
        "addresses": 3,
        "identifiers": 2,
        "passports": 1,
        "sanctions": 6,
        "country_only_addresses": 2,
        "original_script_names": 3,
        "warnings": 0,
    }


def test_individual_with_name_variation_script_passport_and_address(by_id: dict[str, Record]) -> None:
    rec = by_id["RUS1901"]
    person = rec.target
    assert person.id == "gb-fcdo-RUS1901"
    assert person.schema.name == "Person"
    assert props(person, "name") == {"Dmitry Sergeyevich VOLKOV"}
    assert props(person, "firstName") == {"Dmitry"}
    assert props(person, "middleName") == {"Sergeyevich"}
    assert props(person, "lastName") == {"VOLKOV"}
    assert props(person, "alias") == {"Dmitri Sergeevich VOLKOV", "ВОЛКОВ Дмитрий Сергеевич"}
    assert props(person, "weakAlias") == set()
    assert props(person, "title") == {"Major General"}
    assert props(person, "birthDate") == {"1961-03-14"}
    assert props(person, "birthPlace") == {"Kursk"}
    assert props(person, "birthCountry") == {"ru"}
    assert props(person, "nationality") == {"ru"}
    assert props(person, "gender") == {"male"}
    assert props(person, "position") == {"Deputy Minister of Defence"}
    assert props(person, "passportNumber") == {"753118244"}
    assert props(person, "modifiedAt") == {"2024-05-02"}
    # a quoted Other Information field that spans two lines
    assert props(person, "notes") == {
        "(UK Sanctions List Ref):RUS1901. (UK Statement of Reasons):Invented for proscribe tests. "
        "Not a real designation."
    }
    (addr,) = adjacent(rec, "Address")  # both name rows repeat it
    assert props(addr, "full") == {"Ministry of Defence, Frunzenskaya nab. 22/2, Moscow, 119160, Russia"}
    assert props(addr, "postalCode") == {"119160"}
    assert props(addr, "country") == {"ru"}
    assert props(person, "addressEntity") == {addr.id}
    (passport,) = adjacent(rec, "Passport")
    assert props(passport, "number") == {"753118244"}
    assert props(passport, "summary") == {"Russian passport"}
    assert props(passport, "holder") == {person.id}
    sanc = sanction(rec)
    assert props(sanc, "entity") == {person.id}
    assert props(sanc, "authority") == {"UK Foreign, Commonwealth and Development Office"}
    assert props(sanc, "country") == {"gb"}
    assert props(sanc, "program") == {"The Russia (Sanctions) (EU Exit) Regulations 2019"}
    assert props(sanc, "provisions") == {"Asset freeze", "Travel Ban", "Trust services sanctions"}
    assert props(sanc, "listingDate") == {"2022-03-15"}
    assert props(sanc, "startDate") == {"2022-03-15"}
    assert props(sanc, "authorityId") == {"RUS1901"}
    assert props(sanc, "recordId") == {"15901"}
    assert props(sanc, "unscId") == set()
    assert props(sanc, "description") == {"Designation source: UK"}
    assert next(iter(props(sanc, "reason"))).startswith("Dmitry VOLKOV is a Deputy Minister of Defence, and")


def test_un_individual_with_strong_and_weak_aliases_and_partial_birth_dates(by_id: dict[str, Record]) -> None:
    rec = by_id["AFG0901"]
    person = rec.target
    assert props(person, "name") == {"ABDUL GHANI RAHIMI"}
    assert props(person, "alias") == {"ABDUL GHANI RAHIMYAR", "عبدالغنی رحیمی"}  # "Good quality a.k.a"
    assert props(person, "weakAlias") == {"GHANI SAHIB"}  # "Low quality a.k.a"
    # D.O.B "00/00/1968" and "dd/mm/1970": day and month unknown
    assert props(person, "birthDate") == {"1968", "1970"}
    assert props(person, "title") == {"Maulavi"}
    assert props(person, "country") == {"af"}  # address rows give only a country
    assert adjacent(rec, "Address") == []
    assert props(person, "idNumber") == {"57388"}
    (ident,) = adjacent(rec, "Identification")
    assert props(ident, "number") == {"57388"}
    assert props(ident, "summary") == {"Afghan national identification card (tazkira)"}
    sanc = sanction(rec)
    assert props(sanc, "unscId") == {"TAi.901"}
    assert props(sanc, "description") == {"Designation source: UN"}
    assert props(sanc, "provisions") == {"Asset freeze", "Travel Ban", "Arms embargo"}
    assert props(sanc, "listingDate") == {"2001-02-23"}


def test_entity_with_two_addresses_and_contact_details(by_id: dict[str, Record]) -> None:
    rec = by_id["RUS1902"]
    org = rec.target
    assert org.schema.name == "Organization"
    assert props(org, "name") == {"NORTHERN STAR TRADING LLC"}
    # the third row repeats the primary name for a second address: not an alias
    assert props(org, "alias") == {"NORTHERN STAR TRADING L.L.C.", "ООО СЕВЕРНАЯ ЗВЕЗДА"}
    assert props(org, "phone") == {"+97145550142"}
    assert props(org, "website") == {"http://www.northernstar-trading.example/"}
    assert props(org, "email") == {"info@northernstar-trading.example"}
    assert props(org, "legalForm") == {"Limited Liability Company"}
    assert props(org, "registrationNumber") == {"1187746401231"}
    assert props(org, "notes") == {"Parent company: STAR HOLDINGS JSC"}
    assert props(org, "country") == {"ae", "ru"}
    fulls = {next(iter(props(a, "full"))) for a in adjacent(rec, "Address")}
    assert fulls == {
        "Office 1204, Al Saqr Business Tower, Sheikh Zayed Road, Dubai, United Arab Emirates",
        "Ulitsa Tverskaya 12, Moscow, 125009, Russia",
    }
    assert props(sanction(rec), "provisions") == {"Asset freeze"}


def test_ship(by_id: dict[str, Record]) -> None:
    rec = by_id["RUS1903"]
    ship = rec.target
    assert ship.schema.name == "Vessel"
    assert props(ship, "name") == {"OCEAN WHISPER"}
    assert props(ship, "alias") == {"SEA WHISPER"}  # an alias without strength is a plain alias
    assert props(ship, "imoNumber") == {"IMO9387425"}
    assert props(ship, "flag") == {"ga"}
    assert props(ship, "pastFlags") == {"pa"}
    assert props(ship, "type") == {"Crude Oil Tanker"}
    assert props(ship, "tonnage") == {"81502"}
    assert props(ship, "buildDate") == {"2004"}
    assert props(ship, "notes") == {
        "Current owner/operator: Blue Horizon Shipping FZE",
        "Length of ship: 228",
        "Shipping sanctions: a specified ship is prohibited from being provided with access to a port "
        "in the UK, and may be given a detention direction.",
    }
    assert props(sanction(rec), "provisions") == {"Shipping sanctions: (see 'Other information')"}
    assert [ent.schema.name for ent in rec.adjacent] == ["Sanction"]


def test_year_only_birth_date_and_country_only_address(by_id: dict[str, Record]) -> None:
    person = by_id["IRQ0901"].target
    assert props(person, "name") == {"Salma Khalil AL-JUBOURI"}
    assert props(person, "birthDate") == {"1952"}  # "dd/mm/1952"
    assert props(person, "gender") == {"female"}
    assert props(person, "country") == {"jo"}
    assert props(sanction(by_id["IRQ0901"]), "unscId") == {"IQi.901"}


def test_entity_alias(by_id: dict[str, Record]) -> None:
    org = by_id["CYB0901"].target
    assert props(org, "name") == {"GREYWOLF COLLECTIVE"}
    assert props(org, "alias") == {"GREY WOLF"}
    assert props(sanction(by_id["CYB0901"]), "provisions") == {
        "Asset freeze",
        "Director disqualification sanction",
    }


def test_sniff(sample: Path, un_xml: Path, fixtures: Path, tmp_path: Path) -> None:
    assert uk_csv.sniff(sample)
    assert not uk_csv.sniff(un_xml)
    assert not uk_csv.sniff(fixtures / "eu" / "fsf-sample.xml")
    assert not uk_csv.sniff(tmp_path)
    headerless = tmp_path / "x.csv"
    headerless.write_text("Unique ID,Name 6\nRUS1,A\n", encoding="utf-8")
    assert not uk_csv.sniff(headerless)


def test_progress(sample: Path) -> None:
    seen: list[int] = []
    uk_csv.read(sample, progress=seen.append)
    assert seen == [6]


# --- broken files ------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "uksl.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_required_column_is_fatal(tmp_path: Path) -> None:
    header = HEADER.replace("Name type,", "").replace("Designation Type,", "")
    path = write(tmp_path, f"Report Date: 20-Feb-2026\n{header}\n")
    with pytest.raises(ListFormatError) as info:
        uk_csv.read(path)
    assert info.value.location == "line 2"
    assert info.value.reason == "required columns missing: Name type, Designation Type"
    assert str(path) in str(info.value)


def test_truncated_quoted_field_is_fatal(tmp_path: Path, sample: Path) -> None:
    text = sample.read_text(encoding="utf-8-sig")
    # cut the file inside the ship's two-line "Other Information" field
    cut = text.index("access to a port in the UK,") + len("access to a port in the UK,")
    row_start = text.index("24/06/2024,RUS1903")
    path = write(tmp_path, text[:cut])
    with pytest.raises(ListFormatError) as info:
        uk_csv.read(path)
    assert "truncated" in info.value.reason
    assert info.value.location == f"line {text[:row_start].count(chr(10)) + 1}"


def test_malformed_quoting_is_fatal(tmp_path: Path) -> None:
    path = write(tmp_path, f'Report Date: 20-Feb-2026\n{HEADER}\n01/01/2026,RUS1,"1"x,\n')
    with pytest.raises(ListFormatError, match=r"line 3: malformed CSV"):
        uk_csv.read(path)


def test_empty_file_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(ListFormatError, match="the file is empty"):
        uk_csv.read(write(tmp_path, ""))


def test_preamble_without_header_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(ListFormatError, match="no header row"):
        uk_csv.read(write(tmp_path, "Report Date: 20-Feb-2026\n"))


def test_header_without_rows_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(ListFormatError, match="no designations"):
        uk_csv.read(write(tmp_path, f"Report Date: 20-Feb-2026\n{HEADER}\n\n"))


def test_row_without_unique_id_is_fatal(tmp_path: Path) -> None:
    path = write(
        tmp_path, f"Report Date: 20-Feb-2026\n{HEADER}\n01/01/2026,,1,,SMITH,John,,,,,Primary Name\n"
    )
    with pytest.raises(ListFormatError, match=r"line 3: a row has no Unique ID"):
        uk_csv.read(path)


def test_designation_without_name_is_fatal(tmp_path: Path) -> None:
    path = write(tmp_path, f"Report Date: 20-Feb-2026\n{HEADER}\n01/01/2026,RUS9,1,,,,,,,,Primary Name\n")
    with pytest.raises(ListFormatError, match=r"designation RUS9 \(line 3\): a designation has no name"):
        uk_csv.read(path)


def test_not_utf8_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "uksl.csv"
    path.write_bytes(
        f"Report Date: 20-Feb-2026\n{HEADER}\n".encode() + "01/01/2026,RUS1,1,,MÜLLER\n".encode("latin-1")
    )
    with pytest.raises(ListFormatError, match="not UTF-8 text"):
        uk_csv.read(path)


def test_doubtful_values_are_warnings(tmp_path: Path) -> None:
    rows = [
        # no Report Date line: the header comes first
        HEADER,
        "01/01/2026,RUS7,1,,PETROV,Ivan,,,,,Alias,,,Russia,Individual,UK,Asset freeze,"
        "31/02/2022,14/13/1961,Narnia",
        "01/01/2026,AIR1,2,,FLYER,,,,,,Primary Name,,,Russia,Aircraft,UK,Asset freeze,01/03/2022,,",
        "01/01/2026,AIR1,2,,FLYER 2,,,,,,Nickname,,,Russia,Aircraft,UK,Asset freeze,01/03/2022,,,extra",
    ]
    parsed = uk_csv.read(write(tmp_path, "\n".join(rows) + "\n"))
    person, other = parsed.records
    assert parsed.as_of is None
    assert props(person.target, "name") == {"Ivan PETROV"}
    assert props(person.target, "birthDate") == set()
    assert props(person.target, "nationality") == set()
    assert props(sanction(person), "listingDate") == set()
    assert other.target.schema.name == "LegalEntity"
    assert props(other.target, "alias") == {"FLYER 2"}
    joined = "\n".join(parsed.warnings)
    assert parsed.stats["warnings"] == len(parsed.warnings) == 8
    for expected in (
        "line 1: no readable 'Report Date",
        "no 'Primary name' row",
        "'2022-02-31' not understood",
        "'1961-13-14' not understood",
        "'Narnia' not understood",
        "Designation Type 'Aircraft' unknown",
        "Name type 'Nickname' unknown",
        "line 4: 21 cells where the header has 20",
    ):
        assert expected in joined
