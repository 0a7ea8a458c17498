"""The EU Financial Sanctions Files XML importer, on a hand-written fixture of five entities."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from listing_helpers import adjacent, props, sanction
from proscribe.sources import eu_xml
from proscribe.sources.base import ListFormatError, ParsedList, Record, file_checksum

NS = "http://eu.europa.ec/fpi/fsd/export"


@pytest.fixture(scope="module")
def sample() -> Path:
    return Path(__file__).resolve().parent / "fixtures" / "eu" / "fsf-sample.xml"


@pytest.fixture(scope="module")
def parsed(sample: Path) -> ParsedList:
    return eu_xml.read(sample)


@pytest.fixture(scope="module")
def by_id(parsed: ParsedList) -> dict[str, Record]:
    return {rec.source_id: rec for rec in parsed.records}


def test_file_level(parsed: ParsedList, sample: Path) -> None:
    assert [rec.source_id for rec in parsed.records] == ["900101", "900102", "900103", "900104", "900105"]
    assert parsed.as_of == date(2026, 2, 20)
    assert parsed.format == "eu-xml"
    assert parsed.dataset == "eu_fsf"
    assert parsed.checksum == file_checksum(sample)
    assert parsed.warnings == []
    assert parsed.stats == {
        "records": 5,
        "by_schema": {"Person": 3, "Organization": 1, "Vessel": 1},
        "aliases": 3,
        "weak_aliases": 2,
        "previous_names": 0,
        "birth_dates": 4,
        "nationalities": 2,
        "addresses": 1,
        "identifiers": 3,
        "passports": 1,
        "sanctions": 5,
        "circa_birth_dates": 1,
        "country_only_addresses": 2,
        "listing_date_from_regulation": 1,
        "warnings": 0,
    }


def test_person_with_strong_weak_and_script_names_and_passport(by_id: dict[str, Record]) -> None:
    rec = by_id["900101"]
    person = rec.target
    assert person.id == "eu-fsf-900101"
    assert person.schema.name == "Person"
    assert props(person, "name") == {"Viktor Andreevich PETROVSKY"}
    assert props(person, "firstName") == {"Viktor"}
    assert props(person, "middleName") == {"Andreevich"}
    assert props(person, "lastName") == {"Petrovsky"}
    assert props(person, "alias") == {"Виктор Андреевич ПЕТРОВСКИЙ"}
    assert props(person, "weakAlias") == {"Vitya"}
    assert props(person, "gender") == {"male"}
    assert props(person, "title") == {"Major General"}
    assert props(person, "position") == {"Deputy Minister of Defence"}
    assert props(person, "nationality") == {"ru"}
    assert props(person, "birthDate") == {"1961-03-14"}
    assert props(person, "birthPlace") == {"Kursk, Kursk Oblast, RUSSIAN FEDERATION"}
    assert props(person, "birthCountry") == {"ru"}
    assert props(person, "passportNumber") == {"753118244"}
    assert props(person, "notes") == {"Deputy Minister of Defence of the Russian Federation (invented)."}
    (passport,) = adjacent(rec, "Passport")
    assert props(passport, "number") == {"753118244"}
    assert props(passport, "type") == {"National passport"}
    assert props(passport, "country") == {"ru"}
    assert props(passport, "authority") == {"Ministry of Internal Affairs"}
    assert props(passport, "startDate") == {"2016-05-30"}
    assert props(passport, "summary") == {"Valid until 30.5.2026"}
    assert props(passport, "holder") == {"eu-fsf-900101"}
    sanc = sanction(rec)
    assert props(sanc, "entity") == {"eu-fsf-900101"}
    assert props(sanc, "authority") == {"European Union"}
    assert props(sanc, "country") == {"eu"}
    assert props(sanc, "program") == {"UKR"}
    assert props(sanc, "listingDate") == {"2022-02-23"}
    assert props(sanc, "startDate") == {"2022-02-23"}
    assert props(sanc, "authorityId") == {"900101"}
    assert props(sanc, "recordId") == {"EU.9101.12"}
    assert props(sanc, "description") == {"2022/260 (OJ L42I)"}
    assert props(sanc, "sourceUrl") == {
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=OJ:L:2022:042I:FULL"
    }
    assert props(sanc, "unscId") == set()
    assert len(rec.adjacent) == 2


def test_person_with_year_only_and_circa_birth_dates(by_id: dict[str, Record]) -> None:
    rec = by_id["900102"]
    person = rec.target
    assert props(person, "name") == {"Amina Hassan Ali"}
    assert props(person, "gender") == {"female"}
    # one birthdate with only year="1975" (country "00" = unknown), one circa="true" year="1972" in Kismayo
    assert props(person, "birthDate") == {"1975", "1972"}
    assert props(person, "birthPlace") == {"Kismayo, SOMALIA"}
    assert props(person, "birthCountry") == {"so"}
    assert props(person, "idNumber") == {"SO-44871203"}
    (ident,) = adjacent(rec, "Identification")
    assert props(ident, "type") == {"National identification card"}
    assert props(ident, "summary") == {"known to be expired"}
    assert props(sanction(rec), "program") == {"SOM"}


def test_enterprise_with_address_and_contact_info(by_id: dict[str, Record]) -> None:
    rec = by_id["900103"]
    org = rec.target
    assert org.schema.name == "Organization"
    assert props(org, "name") == {"Northern Star Trading LLC"}
    assert props(org, "alias") == {"ООО Северная Звезда"}
    assert props(org, "phone") == {"+97145550142"}
    assert props(org, "email") == {"info@northernstar-trading.example"}
    assert props(org, "website") == {"http://www.northernstar-trading.example/"}
    assert props(org, "registrationNumber") == {"1187746401231"}
    assert props(org, "swiftBic") == {"NSTRAEAD"}  # FtM drops the XXX (head office) branch code
    # the second address names only a country
    assert props(org, "country") == {"ae", "ru"}
    (addr,) = adjacent(rec, "Address")
    assert props(addr, "full") == {
        "Office 1204, Al Saqr Business Tower, Sheikh Zayed Road, PO Box 55421, Dubai, UNITED ARAB EMIRATES"
    }
    assert props(addr, "street") == {"Office 1204, Al Saqr Business Tower, Sheikh Zayed Road"}
    assert props(addr, "postOfficeBox") == {"PO Box 55421"}
    assert props(addr, "city") == {"Dubai"}
    assert props(addr, "country") == {"ae"}
    assert props(org, "addressEntity") == {addr.id}
    (reg,) = adjacent(rec, "Identification")
    assert props(reg, "number") == {"1187746401231"}
    assert props(reg, "type") == {"Registration Number"}
    assert adjacent(rec, "Passport") == []  # a SWIFT code is a property, not a document
    assert props(sanction(rec), "reason") == {"Supplies fuel to the armed forces (invented)."}


def test_un_linked_entry_without_designation_date(by_id: dict[str, Record]) -> None:
    rec = by_id["900104"]
    sanc = sanction(rec)
    assert props(sanc, "unscId") == {"QDi.901"}
    assert props(sanc, "program") == {"TAQA"}
    # designationDate is blank: the first regulation's publicationDate stands in
    assert props(sanc, "listingDate") == {"2011-10-12"}
    assert props(sanc, "description") == {"1024/2011 (OJ L270)", "2016/507 (OJ L90)"}
    assert len(props(sanc, "sourceUrl")) == 2
    person = rec.target
    assert props(person, "birthDate") == {"1980-07"}  # monthOfYear="7" year="1980", no day
    assert props(person, "birthCountry") == {"iq"}
    assert props(person, "weakAlias") == {"Abu Sulayman"}
    assert props(person, "country") == {"sy"}
    assert adjacent(rec, "Address") == []


def test_enterprise_with_imo_number_is_a_vessel(by_id: dict[str, Record]) -> None:
    rec = by_id["900105"]
    vessel = rec.target
    assert vessel.schema.name == "Vessel"
    assert props(vessel, "name") == {"OCEAN WHISPER"}
    assert props(vessel, "alias") == {"SEA WHISPER"}
    assert props(vessel, "imoNumber") == {"IMO9387425"}
    assert [ent.schema.name for ent in rec.adjacent] == ["Sanction"]


def test_sniff(sample: Path, un_xml: Path, fixtures: Path, tmp_path: Path) -> None:
    assert eu_xml.sniff(sample)
    assert not eu_xml.sniff(un_xml)
    assert not eu_xml.sniff(fixtures / "uk" / "uksl-sample.csv")
    other_ns = tmp_path / "other.xml"
    other_ns.write_text('<export xmlns="urn:something-else"><sanctionEntity/></export>', encoding="utf-8")
    assert not eu_xml.sniff(other_ns)
    assert not eu_xml.sniff(tmp_path)


def test_progress(sample: Path) -> None:
    seen: list[int] = []
    eu_xml.read(sample, progress=seen.append)
    assert seen == [5]


# --- inline files ------------------------------------------------------------------------


def write(tmp_path: Path, entities: str, generated: str = "2026-01-05T10:00:00.000+01:00") -> Path:
    path = tmp_path / "fsf.xml"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<export xmlns="{NS}" generationDate="{generated}">'
        f"{entities}</export>",
        encoding="utf-8",
    )
    return path


def entity(inner: str, logical_id: str = "77", code: str = "person") -> str:
    return (
        f'<sanctionEntity logicalId="{logical_id}" euReferenceNumber="EU.77.1" designationDate="2025-01-01">'
        f'<regulation programme="IRN" publicationDate="2025-01-01"/><subjectType code="{code}"/>{inner}'
        "</sanctionEntity>"
    )


def test_missing_logical_id_is_fatal(tmp_path: Path) -> None:
    path = write(tmp_path, entity('<nameAlias wholeName="A B" strong="true"/>', logical_id=""))
    with pytest.raises(ListFormatError, match=r"sanctionEntity #1 \(logicalId missing\): .* no logicalId"):
        eu_xml.read(path)


def test_missing_name_is_fatal(tmp_path: Path) -> None:
    path = write(tmp_path, entity('<nameAlias wholeName="" firstName="" strong="true"/>'))
    with pytest.raises(ListFormatError, match=r"logicalId 77\): a sanctionEntity has no name"):
        eu_xml.read(path)


def test_duplicate_logical_id_is_fatal(tmp_path: Path) -> None:
    one = entity('<nameAlias wholeName="A B"/>')
    with pytest.raises(ListFormatError, match="logicalId 77 is used twice"):
        eu_xml.read(write(tmp_path, one + one))


def test_no_entities_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(ListFormatError, match="no sanctionEntity"):
        eu_xml.read(write(tmp_path, ""))


def test_root_in_another_namespace_is_fatal(tmp_path: Path) -> None:
    path = tmp_path / "fsf.xml"
    path.write_text('<export xmlns="urn:x"><sanctionEntity logicalId="1"/></export>', encoding="utf-8")
    with pytest.raises(ListFormatError, match=r"root element is '\{urn:x\}export'"):
        eu_xml.read(path)


def test_name_built_from_parts_when_whole_name_is_blank(tmp_path: Path) -> None:
    path = write(
        tmp_path, entity('<nameAlias firstName="Lena" middleName="" lastName="Moroz" wholeName=""/>')
    )
    (rec,) = eu_xml.read(path).records
    assert props(rec.target, "name") == {"Lena Moroz"}


def test_doubtful_values_are_warnings(tmp_path: Path) -> None:
    inner = (
        '<nameAlias wholeName="Only Weak" strong="false"/>'
        '<birthdate calendarType="ISLAMIC" birthdate="1400-01-01" countryIso2Code="00"/>'
        '<birthdate yearRangeFrom="1960" yearRangeTo="1962"/>'
        '<citizenship countryIso2Code="QQ"/>'
    )
    ship = entity(
        '<nameAlias wholeName="Bad Ship"/><identification identificationTypeCode="imo" number="9387426"/>',
        logical_id="78",
        code="enterprise",
    )
    odd = entity('<nameAlias wholeName="Odd Kind"/>', logical_id="79", code="aircraft")
    parsed = eu_xml.read(write(tmp_path, entity(inner) + ship + odd, generated="soon"))
    person, vessel, other = parsed.records
    assert parsed.as_of is None
    assert props(person.target, "name") == {"Only Weak"}
    assert props(person.target, "birthDate") == {"1960", "1961", "1962"}
    assert props(person.target, "notes") == {"Date of birth (ISLAMIC calendar): 1400-01-01"}
    assert props(person.target, "nationality") == set()
    assert vessel.target.schema.name == "Vessel"
    assert props(vessel.target, "imoNumber") == set()  # wrong check digit
    assert other.target.schema.name == "LegalEntity"
    joined = "\n".join(parsed.warnings)
    assert parsed.stats["warnings"] == len(parsed.warnings) == 6
    for expected in (
        "only weak names",
        "ISLAMIC calendar",
        "nationality value 'QQ'",
        "imoNumber value '9387426'",
        "subjectType 'aircraft' unknown",
        "generationDate 'soon'",
    ):
        assert expected in joined
