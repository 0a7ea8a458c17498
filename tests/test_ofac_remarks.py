"""The OFAC Remarks parser, on clauses copied from the July 2021 SDN files."""

from __future__ import annotations

import pytest

from proscribe.sources.ofac_remarks import (
    Document,
    Prop,
    Relation,
    SanctionNote,
    Wallet,
    WeakAlias,
    country_code,
    expand_date_range,
    parse_clause,
    parse_date,
    parse_dob,
    parse_remarks,
    split_clauses,
)

# --- splitting ----------------------------------------------------------------------------


def test_split_drops_the_final_full_stop_only() -> None:
    # ent 306 and 12452: the closing "." goes, a "." inside a name stays
    assert split_clauses("a.k.a. 'BNC'.") == ["a.k.a. 'BNC'"]
    assert split_clauses("Linked To: INMOBILIARIA U.M.V. S.A.; Linked To: GANADERIAS DEL VALLE S.A.") == [
        "Linked To: INMOBILIARIA U.M.V. S.A.",
        "Linked To: GANADERIAS DEL VALLE S.A",
    ]


def test_split_keeps_apostrophes_inside_weak_aliases() -> None:
    # the name itself holds apostrophes (ent 7011: "ABU-'UMAR")
    assert split_clauses("DOB 03 May 1938; a.k.a. 'ABU-'UMAR'; a.k.a. 'CHAPORI, Petit'.") == [
        "DOB 03 May 1938",
        "a.k.a. 'ABU-'UMAR'",
        "a.k.a. 'CHAPORI, Petit'",
    ]


def test_split_does_not_cut_a_quoted_alias_at_a_semicolon() -> None:
    assert split_clauses("a.k.a. 'SHAH; MOHAMMAD'; DOB 1961.") == ["a.k.a. 'SHAH; MOHAMMAD'", "DOB 1961"]


def test_split_keeps_a_bracketed_sub_list_whole() -> None:
    # ent 11313 (ROBOW): OFAC put a whole sub-list with its own ";" in brackets
    text = (
        "National ID No. 1372584 (Kenya); (Following data derived from an Eritrean passport issued under "
        "the alias name of Mukhtar Abdullahi Ali: Alt. DOB: 10 October 1969; Alt. POB: Keren Eritrea); "
        "a.k.a. 'ABU MANSUR'."
    )
    clauses = split_clauses(text)
    assert len(clauses) == 3
    assert clauses[1].startswith("(Following data") and clauses[1].endswith("Keren Eritrea)")


def test_split_falls_back_to_every_semicolon_when_brackets_do_not_close() -> None:
    assert split_clauses("DOB 1961; Operations in (Kabul; POB Iraq.") == [
        "DOB 1961",
        "Operations in (Kabul",
        "POB Iraq",
    ]


def test_a_clause_that_ends_in_its_own_full_stop() -> None:
    # ent 11380: "Individual's height is 5 feet 9 inches.;"
    clauses = parse_remarks("Individual's height is 5 feet 9 inches.; a.k.a. 'DAHHAK, Abu'.")
    assert [c.kind for c in clauses] == ["height", "weak_alias"]
    assert clauses[0].facts == (Prop("height", "175"),)


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01 Jan 1961", "1961-01-01"),
        ("31 Aug 1960", "1960-08-31"),
        ("10 October 1969", "1969-10-10"),
        ("Jan 1961", "1961-01"),
        ("1961", "1961"),
        ("31 Feb 1960", None),
        ("sometime", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("DOB 15 Jan 1955", ["1955-01-15"]),
        ("DOB Apr 1961", ["1961-04"]),
        ("DOB 1946", ["1946"]),
        ("DOB circa 1951", ["1951"]),
        ("DOB circa 07 Jul 1966", ["1966-07-07"]),
        ("DOB circa 1979-1982", ["1979", "1980", "1981", "1982"]),
        ("DOB 1951 to 1953", ["1951", "1952", "1953"]),
        ("DOB 01 Jan 1961 to 31 Dec 1963", ["1961", "1962", "1963"]),
        ("DOB 01 Oct 1992 to 31 Oct 1992", ["1992-10"]),
        ("DOB 26 Sep 1946 to 07 Dec 1946", ["1946-09", "1946-10", "1946-11", "1946-12"]),
        (
            "DOB Mar 1962 to Feb 1963",
            [f"1962-{m:02d}" for m in range(3, 13)] + ["1963-01", "1963-02"],
        ),
        ("alt. DOB 31 Aug 1953", ["1953-08-31"]),
    ],
)
def test_dob_clauses(clause: str, expected: list[str]) -> None:
    parsed = parse_clause(clause)
    assert parsed.kind == "dob"
    assert [f.value for f in parsed.facts if isinstance(f, Prop) and f.prop == "birthDate"] == expected


def test_alt_dob_is_marked_alt() -> None:
    assert parse_clause("alt. DOB 1936").alt is True
    assert parse_clause("DOB 1936").alt is False


def test_wide_or_reversed_ranges_keep_their_ends() -> None:
    assert expand_date_range("1900", "1950") == ["1900", "1950"]
    assert expand_date_range("1963", "1961") == ["1963", "1961"]
    assert parse_dob("1961 to sometime") == []


def test_organization_established_date_range() -> None:
    # ent 30548
    clause = parse_clause("Organization Established Date 01 Jan 2015 to 31 Dec 2015", "Organization")
    assert clause.facts == (Prop("incorporationDate", "2015"),)


# --- birth, nationality, gender -------------------------------------------------------------


def test_place_of_birth_and_its_country() -> None:
    assert parse_clause("POB Tehran, Iran").facts == (
        Prop("birthPlace", "Tehran, Iran"),
        Prop("birthCountry", "Iran"),
    )
    # the last part is no country: only the place
    assert parse_clause("POB Guadalajara, Jalisco").facts == (Prop("birthPlace", "Guadalajara, Jalisco"),)
    assert parse_clause("alt. POB Keren, Eritrea").kind == "pob"


def test_nationality_and_citizenship() -> None:
    assert parse_clause("nationality Korea, North").facts == (Prop("nationality", "Korea, North"),)
    assert parse_clause("citizen Mexico").facts == (Prop("citizenship", "Mexico"),)
    assert parse_clause("alt. nationality Bosnia and Herzegovina").facts == (
        Prop("nationality", "Bosnia and Herzegovina"),
    )
    # not a country: not a nationality
    assert parse_clause("nationality Atlantis", "Organization").kind is None


def test_country_code_is_not_fuzzy() -> None:
    assert country_code("Iran") == "ir"
    assert country_code("Bosnia-Herzegovina") == "ba"
    assert country_code("Palestinian") == "ps"
    assert country_code("Sinaloa") is None
    assert country_code("None Identified") is None


def test_gender() -> None:
    assert parse_clause("Gender Male").facts == (Prop("gender", "male"),)
    assert parse_clause("Gender Female").facts == (Prop("gender", "female"),)


# --- documents ------------------------------------------------------------------------------


def test_passport_with_country_and_dates() -> None:
    clause = parse_clause("Passport E590976 (Tunisia) issued 19 Jun 1987 expires 18 Jun 1992")
    assert clause.kind == "document"
    assert clause.facts == (
        Document("Passport", "Passport", "E590976", "Tunisia", "1987-06-19", "1992-06-18", "passportNumber"),
    )


def test_passport_without_country() -> None:
    (doc,) = parse_clause("Passport G025057 issued 23 Jun 1999 expires 05 Feb 2004").facts
    assert doc == Document(
        "Passport", "Passport", "G025057", None, "1999-06-23", "2004-02-05", "passportNumber"
    )


def test_alt_passport_and_diplomatic_passport() -> None:
    (doc,) = parse_clause("alt. Passport 6067015 (Comoros)").facts
    assert isinstance(doc, Document) and doc.number == "6067015" and doc.country == "Comoros"
    (dip,) = parse_clause("Diplomatic Passport 008827 (Iran) issued 1999").facts
    assert dip == Document(
        "Passport", "Diplomatic Passport", "008827", "Iran", "1999", None, "passportNumber"
    )


@pytest.mark.parametrize(
    ("clause", "doc_type", "number", "country", "prop"),
    [
        ("Cedula No. 16247821 (Colombia)", "Cedula No.", "16247821", "Colombia", "idNumber"),
        ("NIT # 800146749-7 (Colombia)", "NIT #", "800146749-7", "Colombia", "taxNumber"),
        ("National ID No. 660000 73767 (Belgium)", "National ID No.", "660000 73767", "Belgium", "idNumber"),
        ("R.F.C. DIB-771110-HQ1 (Mexico)", "R.F.C.", "DIB-771110-HQ1", "Mexico", "taxNumber"),
        ("RUC # 581123-1-448204-93 (Panama)", "RUC #", "581123-1-448204-93", "Panama", "taxNumber"),
        ("Tax ID No. AABA 670850 Y", "Tax ID No.", "AABA 670850 Y", None, "taxNumber"),
        ("SSN 523-33-8386 (United States)", "SSN", "523-33-8386", "United States", "socialSecurityNumber"),
        (
            "Registration ID 27134614 (Netherlands)",
            "Registration Number",
            "27134614",
            "Netherlands",
            "registrationNumber",
        ),
        (
            "UK Company Number 01126618 (United Kingdom)",
            "Company Number",
            "01126618",
            "United Kingdom",
            "registrationNumber",
        ),
        ("D-U-N-S Number 52-024-2307", "D-U-N-S Number", "52-024-2307", None, "dunsCode"),
        ("SWIFT/BIC HAVIGB2L", "SWIFT/BIC", "HAVIGB2L", None, "swiftBic"),
        (
            "Unified Social Credit Code (USCC) 91222401MA0Y31E659 (China)",
            "USCC",
            "91222401MA0Y31E659",
            "China",
            "uscCode",
        ),
        ("Driver's License No. 180839 (Mexico)", "Driver's License No.", "180839", "Mexico", "idNumber"),
        (
            "Trade License No. 683633 (United Arab Emirates)",
            "Trade License No.",
            "683633",
            "United Arab Emirates",
            "licenseNumber",
        ),
        # the check digit in brackets belongs to the number
        ("National ID No. D489833(9) (Hong Kong)", "National ID No.", "D489833(9)", "Hong Kong", "idNumber"),
    ],
)
def test_identification_documents(
    clause: str, doc_type: str, number: str, country: str | None, prop: str
) -> None:
    (doc,) = parse_clause(clause, "Organization").facts
    assert isinstance(doc, Document)
    assert (doc.schema, doc.doc_type, doc.number, doc.country, doc.prop) == (
        "Identification",
        doc_type,
        number,
        country,
        prop,
    )


def test_document_qualifiers_are_kept_apart_from_the_number() -> None:
    (doc,) = parse_clause("Folio Mercantil No. 77704 (Jalisco) (Mexico)", "Organization").facts
    assert isinstance(doc, Document)
    assert (doc.number, doc.country, doc.remark) == ("77704", "Mexico", "Jalisco")
    (curp,) = parse_clause("C.U.R.P. AIMM67125HCHRRG06 (Mexico) issued 1968").facts
    assert isinstance(curp, Document)
    assert (curp.number, curp.issued) == ("AIMM67125HCHRRG06", "1968")


def test_a_passport_without_a_number_is_no_document() -> None:
    # ent 8116
    clause = parse_clause("Passport issued in Sarajevo, Bosnia-Herzegovina")
    assert clause.kind == "note"
    assert not any(isinstance(f, Document) for f in clause.facts)


# --- contact, crypto, vessels, aircraft ---------------------------------------------------


def test_contact_clauses() -> None:
    assert parse_clause("Email Address dam.d.free@net.sy").facts == (Prop("email", "dam.d.free@net.sy"),)
    assert parse_clause("Website http://waatasemu.org.ly").facts == (
        Prop("website", "http://waatasemu.org.ly"),
    )
    assert parse_clause("alt. Website www.hib.uk.com").facts == (Prop("website", "www.hib.uk.com"),)
    assert parse_clause("Telephone: 0097282851500").facts == (Prop("phone", "0097282851500"),)
    assert parse_clause("Fax No. 263-4-487261").kind == "phone"


def test_digital_currency_addresses() -> None:
    assert parse_clause("Digital Currency Address - XBT 12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h").facts == (
        Wallet("XBT", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"),
    )
    clause = parse_clause("alt. Digital Currency Address - ETH 0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c")
    assert clause.alt and clause.facts == (Wallet("ETH", "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c"),)


def test_vessel_clauses() -> None:
    assert parse_clause("Vessel Registration Identification IMO 9187629", "Vessel").facts == (
        Prop("imoNumber", "IMO9187629"),
    )
    assert parse_clause("MMSI 572469210", "Vessel").facts == (Prop("mmsi", "572469210"),)
    assert parse_clause("Former Vessel Flag Malta", "Vessel").facts == (Prop("pastFlags", "Malta"),)
    assert parse_clause("Other Vessel Call Sign 5IM713", "Vessel").facts == (Prop("callSign", "5IM713"),)
    # a flag OFAC could not identify is understood, and holds nothing
    assert parse_clause("alt. Former Vessel Flag None Identified", "Vessel").kind == "vessel_flag"


def test_aircraft_clauses() -> None:
    # ent 15431 (EP-GOM)
    text = (
        "Aircraft Construction Number (also called L/N or S/N or F/N) 8401; Aircraft Manufacture Date 1992; "
        "Aircraft Model IL76-TD; Aircraft Operator YAS AIR; "
        "Aircraft Manufacturer's Serial Number (MSN) 1023409321; Linked To: POUYA AIR."
    )
    facts = [f for c in parse_remarks(text, "Airplane") for f in c.facts]
    assert facts == [
        Prop("serialNumber", "8401"),
        Prop("buildDate", "1992"),
        Prop("model", "IL76-TD"),
        Relation("operator", "Aircraft Operator", "YAS AIR"),
        Prop("serialNumber", "1023409321"),
        Relation("link", "Linked To", "POUYA AIR"),
    ]
    assert parse_clause("Aircraft Tail Number YV2486", "Airplane").facts == (
        Prop("registrationNumber", "YV2486"),
    )


# --- names, relations, the sanction -------------------------------------------------------


def test_weak_aliases() -> None:
    assert parse_clause("a.k.a. 'ABU-'UMAR'").facts == (WeakAlias("aka", "ABU-'UMAR"),)
    assert parse_clause("f.k.a. 'ANA I'", "Vessel").facts == (WeakAlias("fka", "ANA I"),)
    assert parse_clause("d.b.a. 'ANARQUIA PAINTBALL'", "Organization").facts == (
        WeakAlias("dba", "ANARQUIA PAINTBALL"),
    )


def test_links_and_family() -> None:
    assert parse_clause("Linked To: LAZARUS GROUP", "Organization").facts == (
        Relation("link", "Linked To", "LAZARUS GROUP"),
    )
    assert parse_clause("wife of Slobodan Milosevic").facts == (
        Relation("family", "wife", "Slobodan Milosevic"),
    )
    assert parse_clause("Saddam Hussein al-Tikriti's eldest son").facts == (
        Relation("family", "son", "Saddam Hussein al-Tikriti"),
    )


def test_sanction_information() -> None:
    text = "Secondary sanctions risk: North Korea Sanctions Regulations, sections 510.201 and 510.210"
    assert parse_clause(text, "Organization").facts == (SanctionNote(text),)
    assert (
        parse_clause("Additional Sanctions Information - Subject to Secondary Sanctions").kind
        == "sanction_info"
    )
    assert parse_clause("alt. Executive Order 13846 information: FOREIGN EXCHANGE.  Sec. 5(a)(ii)").kind == (
        "sanction_info"
    )


def test_organisation_clauses() -> None:
    assert parse_clause("Organization Type: Mining of hard coal", "Organization").facts == (
        Prop("sector", "Mining of hard coal"),
    )
    assert parse_clause("Target Type State-Owned Enterprise", "Organization").facts == (
        Prop("classification", "State-Owned Enterprise"),
    )
    assert parse_clause("all offices worldwide", "Organization").kind == "offices"


def test_roles_and_honorifics_are_read_for_persons_only() -> None:
    assert parse_clause("Minister of Finance").facts == (Prop("position", "Minister of Finance"),)
    assert parse_clause("Alternate Title, Brigadier General").facts == (
        Prop("position", "Brigadier General"),
    )
    assert parse_clause("Mufti or Maulana").facts == (Prop("title", "Mufti"), Prop("title", "Maulana"))
    assert parse_clause("Minister of Finance", "Organization").kind is None


def test_an_unknown_clause_is_not_understood() -> None:
    clause = parse_clause("juice manufacturer", "Organization")
    assert clause.kind is None and not clause.understood and clause.facts == ()
    assert clause.leading_word == "juice"
    assert parse_clause("alt. Frobnication 12").leading_word == "Frobnication"
