"""The UN consolidated list importer, checked against the real 27 Feb 2026 file.

The expected values below were read by hand from ``consolidated.xml``; each test names
the listing it looks at so the raw XML is easy to find again.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from listing_helpers import adjacent, props, sanction

# imported under another name: ``un_xml`` is the conftest fixture holding the file's path
from proscribe.sources import un_xml as un
from proscribe.sources.base import ListFormatError, ParsedList, Record, file_checksum


@pytest.fixture(scope="module")
def parsed(un_xml: Path) -> ParsedList:
    return un.read(un_xml)


@pytest.fixture(scope="module")
def by_id(parsed: ParsedList) -> dict[str, Record]:
    return {rec.source_id: rec for rec in parsed.records}


# --- the file as a whole -----------------------------------------------------------------


def test_counts_and_metadata(parsed: ParsedList, un_xml: Path) -> None:
    assert len(parsed.records) == 1003
    assert parsed.stats["records"] == 1003
    assert parsed.stats["by_schema"] == {"Person": 730, "Organization": 273}
    assert parsed.as_of == date(2026, 2, 27)
    assert parsed.format == "un-xml"
    assert parsed.dataset == "un_sc_sanctions"
    assert parsed.source == str(un_xml)
    assert parsed.checksum == file_checksum(un_xml)


def test_measured_stats(parsed: ParsedList) -> None:
    stats = parsed.stats
    # 336 individuals and 42 entities carry NAME_ORIGINAL_SCRIPT in the raw file
    assert stats["original_script_names"] == 378
    # QUALITY "Low" appears 615 times, "f.k.a." 19 times
    assert stats["weak_aliases"] == 615
    assert stats["previous_names"] == 19
    # 117 APPROXIMATELY and 31 BETWEEN dates of birth
    assert stats["approximate_birth_dates"] == 117
    assert stats["birth_year_ranges"] == 31
    assert stats["sanctions"] == 1003
    assert stats["passports"] == sum(len(adjacent(r, "Passport")) for r in parsed.records)
    assert stats["identifiers"] == stats["passports"] + sum(
        len(adjacent(r, "Identification")) for r in parsed.records
    )


def test_every_record_is_linked_and_named(parsed: ParsedList) -> None:
    for rec in parsed.records:
        assert rec.target.id == f"unsc-{rec.source_id}"
        assert sanction(rec).get("entity") == [rec.target.id]
        for doc in adjacent(rec, "Passport") + adjacent(rec, "Identification"):
            assert doc.get("holder") == [rec.target.id]
        for addr in adjacent(rec, "Address"):
            assert addr.id in rec.target.get("addressEntity")


def test_unreadable_birth_dates_are_the_only_warnings(parsed: ParsedList, by_id: dict[str, Record]) -> None:
    assert parsed.stats["warnings"] == 2
    assert len(parsed.warnings) == 2
    assert any("LYi.022" in w and "30-35 years old" in w for w in parsed.warnings)
    assert any("QDi.291" in w and "Hijri" in w for w in parsed.warnings)
    assert "Date of birth as published: 30-35 years old" in props(by_id["LYi.022"].target, "notes")


# --- listings checked value by value ------------------------------------------------------


def test_qdi_001_original_script_exact_dates_and_weak_aliases(by_id: dict[str, Record]) -> None:
    rec = by_id["QDi.001"]
    person = rec.target
    assert person.schema.name == "Person"
    assert props(person, "name") == {"MOHAMMED SALAHALDIN ABD EL HALIM ZIDANE"}
    assert props(person, "firstName") == {"MOHAMMED"}
    assert props(person, "middleName") == {"SALAHALDIN", "ABD EL HALIM"}
    assert props(person, "lastName") == {"ZIDANE"}
    assert props(person, "alias") == {
        "محمد صلاح الدين عبدالحليم زيدان",
        "Sayf-Al Adl",
        "Muhamad Ibrahim Makkawi",
    }
    assert props(person, "weakAlias") == {"Ibrahim al-Madani", "Saif Al-'Adil", "Seif al Adel"}
    assert props(person, "birthDate") == {"1963-04-11", "1960-04-11"}
    assert props(person, "birthPlace") == {"Monufia Governate, Egypt"}
    assert props(person, "birthCountry") == {"eg"}
    assert props(person, "nationality") == {"eg"}
    assert props(person, "modifiedAt") == {"2022-11-08"}  # the latest of six LAST_DAY_UPDATED values
    assert next(iter(props(person, "notes"))).startswith(
        "Responsible for Usama bin Laden’s (deceased) security."
    )
    sanc = sanction(rec)
    assert props(sanc, "program") == {"Al-Qaida"}
    assert props(sanc, "listingDate") == {"2001-01-25"}
    assert props(sanc, "startDate") == {"2001-01-25"}
    assert props(sanc, "unscId") == {"QDi.001"}
    assert props(sanc, "authorityId") == {"QDi.001"}
    assert props(sanc, "recordId") == {"113219"}
    assert props(sanc, "authority") == {"United Nations Security Council"}
    assert props(sanc, "country") == {"un"}
    assert rec.adjacent == [sanc]  # no addresses (COUNTRY empty) and no documents


def test_iqi_001_low_alias_and_birth_place(by_id: dict[str, Record]) -> None:
    person = by_id["IQi.001"].target
    assert props(person, "name") == {"SADDAM HUSSEIN AL-TIKRITI"}
    assert props(person, "alias") == {"صدام حسين التكريتي"}
    assert props(person, "weakAlias") == {"Abu Ali"}
    assert props(person, "birthDate") == {"1937-04-28"}
    assert props(person, "birthPlace") == {"al-Awja, near Tikrit, Iraq"}
    assert props(person, "birthCountry") == {"iq"}
    assert props(person, "modifiedAt") == set()  # its LAST_DAY_UPDATED/VALUE is empty
    assert props(sanction(by_id["IQi.001"]), "program") == {"Iraq"}


def test_tai_146_between_dates_and_country_only_address(by_id: dict[str, Record]) -> None:
    rec = by_id["TAi.146"]
    person = rec.target
    assert props(person, "birthDate") == {"1970", "1971", "1972", "1973"}
    assert props(person, "alias") == {
        "نصیر الدین حقانی",
        "Dr. Alim Ghair",
        "Naseer Haqqani",
        "Dr. Naseer Haqqani",
        "Nassir Haqqani",
        "Nashir Haqqani",
    }
    assert props(person, "weakAlias") == {"Naseruddin"}
    assert props(person, "birthPlace") == {"Neka District, Paktika Province, Afghanistan"}
    # <INDIVIDUAL_ADDRESS><COUNTRY>Pakistan</COUNTRY></INDIVIDUAL_ADDRESS>: a country, not an address
    assert props(person, "country") == {"pk"}
    assert adjacent(rec, "Address") == []
    assert props(person, "notes") == {
        "A leader of the Haqqani Network (TAe.012), which operates out of North Waziristan in the Federally "
        "Administered Tribal Areas of Pakistan. Son of Jalaluddin Haqqani (TAi.040). Has travelled to Saudi "
        "Arabia and the United Arab Emirates to raise funds for the Taliban. Reportedly deceased as of 2013. "
        "INTERPOL-UN Security Council Special Notice web link:"
        "https://www.interpol.int/en/How-we-work/Notices/View-UN-Notices-Individuals"
    }


def test_cdi_014_approximate_year_gender_and_address(by_id: dict[str, Record]) -> None:
    rec = by_id["CDi.014"]
    person = rec.target
    assert props(person, "birthDate") == {"1962-03-17", "1966"}
    assert props(person, "gender") == {"male"}
    assert props(person, "position") == {"FDLR-FOCA Chief of Staff", "FDLR-FOCA Interim Deputy Commander"}
    assert props(person, "weakAlias") == {"Musenyeri", "Achille", "Frere Petrus Ibrahim"}
    (addr,) = adjacent(rec, "Address")
    assert props(addr, "full") == {"Kinshasa, Democratic Republic of the Congo"}
    assert props(addr, "state") == {"Kinshasa"}
    assert props(addr, "country") == {"cd"}
    assert props(addr, "remarks") == {"as of June 2016"}
    assert props(person, "addressEntity") == {addr.id}
    assert props(person, "country") == {"cd"}


def test_tai_127_passport(by_id: dict[str, Record]) -> None:
    rec = by_id["TAi.127"]
    person = rec.target
    (passport,) = adjacent(rec, "Passport")
    assert adjacent(rec, "Identification") == []
    assert props(passport, "number") == {"D 001206"}
    assert props(passport, "type") == {"Passport"}
    assert props(passport, "country") == {"af"}
    assert props(passport, "startDate") == {"2000-07-17"}
    assert props(passport, "holder") == {"unsc-TAi.127"}
    assert props(person, "passportNumber") == {"D 001206"}
    assert props(person, "title") == {"Mullah"}
    assert props(person, "position") == {"Third Secretary, Taliban Embassy, Islamabad, Pakistan"}
    assert props(person, "birthDate") == {"1971"}
    assert props(person, "alias") == {"محمد زاهد", "Jan Agha Ahmadzai", "Zahid Ahmadzai"}


def test_qdi_262_passport_and_national_id(by_id: dict[str, Record]) -> None:
    rec = by_id["QDi.262"]
    person = rec.target
    (passport,) = adjacent(rec, "Passport")
    (ident,) = adjacent(rec, "Identification")
    assert props(passport, "number") == {"1005552350"}
    assert props(passport, "authority") == {"Municipality of Kiel"}
    assert props(passport, "summary") == {"expired on 26 Mar. 2011"}
    assert props(ident, "number") == {"1007850441"}
    assert props(ident, "type") == {"federal identity card number"}
    assert props(ident, "country") == {"de"}
    assert props(ident, "startDate") == {"2001-03-27"}
    assert props(person, "passportNumber") == {"1005552350"}
    assert props(person, "idNumber") == {"1007850441"}
    assert props(person, "nationality") == {"de", "ma"}
    (addr,) = adjacent(rec, "Address")
    assert props(addr, "full") == {"lltisstrasse 58, 24143 Kiel, Germany"}
    assert props(addr, "street") == {"lltisstrasse 58"}
    assert props(addr, "remarks") == {"previous address"}


def test_kpi_016_family_name_first_and_alias_birth_date(by_id: dict[str, Record]) -> None:
    person = by_id["KPi.016"].target
    assert props(person, "name") == {"JANG BOM SU"}
    assert props(person, "lastName") == {"JANG"}
    assert props(person, "firstName") == {"BOM SU"}
    # the alias "Jang Hyon U" carries DATE_OF_BIRTH 1958-02-22
    assert props(person, "alias") == {"Jang Hyon U", "Jang Pom Su"}
    assert "1958-02-22" in props(person, "birthDate")


def test_birth_dates_read_from_notes(by_id: dict[str, Record]) -> None:
    assert props(by_id["CDi.004"].target, "birthDate") == {"1973-11"}  # NOTE "Nov. 1973 "
    assert props(by_id["QDi.395"].target, "birthDate") == {"1958-09"}  # YEAR 1958, NOTE "Sep."


def test_single_part_name_sets_only_name(by_id: dict[str, Record]) -> None:
    person = by_id["TAi.014"].target
    assert props(person, "name") == {"HIDAYATULLAH"}
    assert props(person, "firstName") == set()
    assert props(person, "lastName") == set()


def test_entities_aliases_previous_names_and_addresses(by_id: dict[str, Record]) -> None:
    adf = by_id["CDe.001"]
    assert adf.target.schema.name == "Organization"
    assert props(adf.target, "name") == {"ADF"}
    assert props(adf.target, "alias") == {"Allied Democratic Forces"}
    assert props(adf.target, "previousName") == {
        "Forces Démocratiques Alliées-Armée Nationale de Libération de l’Ouganda",
        "ADF/NALU",
        "NALU",
    }
    assert props(adf.target, "modifiedAt") == {"2020-08-19"}
    cagl = by_id["CDe.003"]
    fulls = {next(iter(props(a, "full"))) for a in adjacent(cagl, "Address")}
    assert fulls == {
        "Avenue Président Mobutu, Goma, Democratic Republic of the Congo",
        "Gisenyi, Rwanda",
        "PO BOX 315, Goma, Democratic Republic of the Congo",
    }
    assert props(cagl.target, "alias") == {"CAGL"}
    assert props(cagl.target, "country") == {"cd", "rw"}
    assert props(sanction(cagl), "program") == {"DRC"}
    # FtM strips the quotes around '"The Base"'
    assert props(by_id["QDe.004"].target, "alias") >= {"القاعدة", "Al Qaeda", "The Base"}


def test_listing_date_with_time_zone_suffix(by_id: dict[str, Record]) -> None:
    # LISTED_ON is "2015-07-01-04:00" for the South Sudan listings
    assert props(sanction(by_id["SSi.001"]), "listingDate") == {"2015-07-01"}


# --- other inputs ------------------------------------------------------------------------


def test_sniff(un_xml: Path, tmp_path: Path, fixtures: Path) -> None:
    assert un.sniff(un_xml)
    assert not un.sniff(fixtures / "eu" / "fsf-sample.xml")
    assert not un.sniff(fixtures / "uk" / "uksl-sample.csv")
    assert not un.sniff(tmp_path)
    assert not un.sniff(tmp_path / "missing.xml")


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "un.xml"
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n{body}', encoding="utf-8")
    return path


def test_progress_counts_every_record(un_xml: Path) -> None:
    seen: list[int] = []
    parsed = un.read(un_xml, dataset="un_test", progress=seen.append)
    assert sum(seen) == 1003
    assert max(seen) == 100  # batched (gather's default), not one call per record
    assert parsed.dataset == "un_test"


def test_listing_without_reference_number_is_fatal(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '<CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z"><INDIVIDUALS>'
        "<INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL>"
        "</INDIVIDUALS></CONSOLIDATED_LIST>",
    )
    with pytest.raises(
        ListFormatError, match=r"INDIVIDUAL #1 \(DATAID 1\): a listing has no REFERENCE_NUMBER"
    ):
        un.read(path)


def test_listing_without_name_is_fatal(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "<CONSOLIDATED_LIST><ENTITIES><ENTITY><REFERENCE_NUMBER>XXe.001</REFERENCE_NUMBER>"
        "<FIRST_NAME>  </FIRST_NAME></ENTITY></ENTITIES></CONSOLIDATED_LIST>",
    )
    with pytest.raises(ListFormatError, match=r"ENTITY #1 \(XXe.001\): a listing has no name"):
        un.read(path)


def test_duplicate_reference_number_is_fatal(tmp_path: Path) -> None:
    entity = "<ENTITY><REFERENCE_NUMBER>XXe.001</REFERENCE_NUMBER><FIRST_NAME>A</FIRST_NAME></ENTITY>"
    path = write(tmp_path, f"<CONSOLIDATED_LIST><ENTITIES>{entity}{entity}</ENTITIES></CONSOLIDATED_LIST>")
    with pytest.raises(ListFormatError, match=r"XXe\.001 is used twice"):
        un.read(path)


def test_empty_list_is_fatal(tmp_path: Path) -> None:
    path = write(tmp_path, '<CONSOLIDATED_LIST dateGenerated="2026-01-01"><INDIVIDUALS/></CONSOLIDATED_LIST>')
    with pytest.raises(ListFormatError, match="no INDIVIDUAL or ENTITY listings"):
        un.read(path)


def test_wrong_root_is_fatal(tmp_path: Path) -> None:
    path = write(tmp_path, "<sdnList><INDIVIDUAL/></sdnList>")
    with pytest.raises(ListFormatError, match="root element is 'sdnList', expected 'CONSOLIDATED_LIST'"):
        un.read(path)


def test_bad_values_are_warnings_not_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '<CONSOLIDATED_LIST dateGenerated="yesterday"><INDIVIDUALS><INDIVIDUAL>'
        "<REFERENCE_NUMBER>XXi.001</REFERENCE_NUMBER><FIRST_NAME>ANNA</FIRST_NAME><SECOND_NAME>B</SECOND_NAME>"
        "<LISTED_ON>sometime</LISTED_ON><NATIONALITY><VALUE>Atlantis</VALUE></NATIONALITY>"
        "<INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1900</FROM_YEAR>"
        "<TO_YEAR>1990</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH>"
        "</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
    )
    parsed = un.read(path)
    (rec,) = parsed.records
    assert parsed.as_of is None
    assert parsed.stats["warnings"] == 4
    assert len(parsed.warnings) == 4
    joined = "\n".join(parsed.warnings)
    assert "dateGenerated 'yesterday'" in joined
    assert "'Atlantis'" in joined
    assert "'sometime'" in joined
    assert "1900-1990 is wide" in joined
    assert props(rec.target, "birthDate") == {"1900", "1990"}
    assert props(rec.target, "nationality") == set()
    assert props(sanction(rec), "listingDate") == set()
