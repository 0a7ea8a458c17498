"""Reading MT103 and pacs.008: every party and agent, the money, the free text, and clear errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from proscribe.enforcement.errors import InputError
from proscribe.payments import Party, PaymentMessage, parse_text, read_messages
from proscribe.payments.claims import find_license, purposes
from proscribe.payments.stripping import deobfuscate, party_flags, unknown_names_in_text

PAYMENTS = Path(__file__).parent / "fixtures" / "payments"


def _roles(message: PaymentMessage) -> dict[str, Party]:
    return {p.role: p for p in message.parties}


def test_mt103_fin_blocks_every_party_and_agent() -> None:
    [m] = read_messages(PAYMENTS / "mt103_innocent.fin")
    assert (m.message_type, m.reference, m.amount, m.currency) == (
        "MT103",
        "INV2025-0042",
        Decimal("12500.00"),
        "EUR",
    )
    assert m.value_date == date(2025, 6, 12)
    assert m.instructed_amount == Decimal("12500.00") and m.charges == "SHA"
    assert m.references["uetr"] == "2f0b6a1e-8c4d-4b61-9a3e-5d2c7e9f1a44"
    roles = _roles(m)
    assert roles["sender"].bic == "DEUTDEFF" and roles["receiver"].bic == "BNPAFRPP"
    debtor = roles["debtor"]
    assert debtor.name == "MUELLER MASCHINENBAU GMBH"
    assert debtor.account == "DE89370400440532013000"
    assert debtor.address == ("HAUPTSTRASSE 12", "DE/10115 BERLIN") and debtor.country == "DE"
    assert roles["debtor_agent"].bic == "DEUTDEFF"
    assert roles["intermediary_agent_1"].bic == "COBADEFF"
    assert roles["creditor_agent"].bic == "BNPAFRPP" and roles["creditor_agent"].country == "FR"
    assert roles["creditor"].name == "ATELIERS DURAND SARL"
    assert [(f.field, f.text) for f in m.free_text] == [
        ("70", "INVOICE 2025-117 SPARE PARTS"),
        ("72", "/INS/COBADEFF"),
    ]
    assert m.raw.startswith("{1:F01DEUTDEFF")


def test_mt103_options_a_b_c_d_f_and_several_messages() -> None:
    first, second = read_messages(PAYMENTS / "mt103_two_messages.txt")
    r = _roles(first)
    assert r["debtor"].bic == "NWBKGB2L" and r["debtor"].account == "GB29NWBK60161331926819"  # 50A
    assert (r["debtor_agent"].name, r["debtor_agent"].account) == ("NORTHERN SAVINGS BANK", "123456")  # 52D
    assert (r["senders_correspondent"].bic, r["senders_correspondent"].account) == ("MIDLGB22", "998877")
    assert r["receivers_correspondent"].bic == "CITIUS33"
    assert r["third_reimbursement_institution"].bic == "IRVTUS3N"
    assert r["intermediary_agent_1"].account == "FW021000021"  # 56C
    assert r["creditor_agent"].name == "FIRST STATE BANK"  # 57D
    assert r["creditor"].bic == "CHASUS33" and r["creditor"].account == "US33000111222"  # 59A
    assert first.amount == Decimal("100") and first.currency == "GBP"
    assert "SAME DAY VALUE" in next(f.text for f in first.free_text if f.field == "72")
    r2 = _roles(second)
    debtor = r2["debtor"]  # 50F with an identity code, numbered lines and a birth date
    assert debtor.name == "TANAKA HIROSHI" and debtor.country == "JP"
    assert debtor.identifiers == ("NIDN/JP/AB1234567",) and debtor.birth_date == "1975-04-02"
    assert r2["creditor"].name == "HANS WEBER" and r2["creditor"].country == "DE"  # 59F
    assert r2["creditor_agent"].address == ("TOKYO",)  # 57B
    assert second.amount == Decimal("150000") and second.currency == "JPY"


def test_pacs008_every_party_and_agent() -> None:
    first, second, third = read_messages(PAYMENTS / "pacs008_batch.xml")
    assert first.message_type == "pacs.008" and first.reference == "E2E-ALL-ROLES"
    assert first.references["message_id"] == "MSG-20250612-001"
    assert first.references["uetr"] == "7a562c67-ca16-48ba-b074-65581be6f001"
    assert first.references["version"] == "pacs.008.001.08"
    assert (first.amount, first.currency, first.value_date) == (Decimal("25000.00"), "EUR", date(2025, 6, 12))
    r = _roles(first)
    assert set(r) == {
        "instructing_agent", "instructed_agent", "previous_instructing_agent_1", "ultimate_debtor",
        "initiating_party", "debtor", "debtor_agent", "intermediary_agent_1", "creditor_agent", "creditor",
        "ultimate_creditor",
    }  # fmt: skip
    assert r["instructing_agent"].bic == "DEUTDEFF" and r["instructing_agent"].field == "GrpHdr/InstgAgt"
    assert r["ultimate_debtor"].identifiers == ("549300ABCDEF12345678",)
    debtor = r["debtor"]
    assert debtor.name == "NORDIC TIMBER AB" and debtor.bic == "NTIMSESS" and debtor.kind == "organization"
    assert debtor.account == "SE4550000000058398257466" and debtor.country == "SE"
    assert debtor.address == ("Sveavagen", "44", "11134", "Stockholm")
    assert r["intermediary_agent_1"].account == "400886"
    assert r["creditor_agent"].name == "BNP PARIBAS" and r["creditor_agent"].bic == "BNPAFRPPXXX"
    assert r["creditor"].address == ("12 RUE DE LA PAIX", "75002 PARIS") and r["creditor"].country == "FR"
    uc = r["ultimate_creditor"]
    assert (uc.kind, uc.birth_date) == ("person", "1980-05-17")
    assert first.purpose_code == "SUPP"
    assert [(f.field, f.text) for f in first.free_text] == [("RmtInf/Ustrd", "INVOICE 2025-117 OAK PANELS")]
    assert (
        _roles(second)["creditor_agent"].bic == "KDBKKPPY"
        and _roles(second)["creditor_agent"].country == "KP"
    )
    assert second.value_date is None and third.amount == Decimal("150000")


def test_licence_claims_and_purposes() -> None:
    [wd] = read_messages(PAYMENTS / "pacs008_wind_down.xml")
    assert wd.license_claim == "GL 1"
    [legal] = read_messages(PAYMENTS / "mt103_legal_services.fin")
    assert legal.license_claim == "GL 2"  # from 72 /LICENCE/
    assert find_license(["MEMBERS FEES PER LICENSE ICC-EO14203-1370890-1"]) == "ICC-EO14203-1370890-1"
    assert find_license(["AUTHORISED UNDER 31 CFR 528.506"]) == "31 CFR 528.506"
    assert find_license(["PER OFAC GENERAL LICENSE NO. 2"]) == "GL 2"
    assert find_license(["INVOICE 2025-117"]) is None
    assert purposes("MDCS", ["FINAL RENT, WIND DOWN OF LEASE"]) == ["medical", "wind_down"]
    assert purposes(None, ["LEGAL FEES MARCH", "legal services"]) == ["legal_fees", "legal_services"]


def test_stripping_signs() -> None:
    [m] = read_messages(PAYMENTS / "mt103_stripping.fin")
    assert [f.kind for f in party_flags(m)] == ["placeholder_name"]
    unknown = unknown_names_in_text(m)
    assert [(f.kind, f.text) for f in unknown] == [("unknown_name_in_text", "MARTA LINDQVIST")]
    assert deobfuscate("TICKETS FOR B.E.T.I H0HLER") == "TICKETS FOR BETI HOHLER"
    assert deobfuscate("K4RIM K-H-A-N") == "KARIM KHAN"
    assert deobfuscate("INVOICE 2025-117 INV2025") == "INVOICE 2025-117 INV2025"
    [innocent] = read_messages(PAYMENTS / "mt103_innocent.fin")
    assert party_flags(innocent) == [] and unknown_names_in_text(innocent) == []
    blank = parse_text(
        (PAYMENTS / "mt103_innocent.fin").read_text().replace("MUELLER MASCHINENBAU GMBH\n", ""), "x"
    )
    # the address line moves up into the name: not blank; a 59 with only an account is
    only_account = parse_text(
        (PAYMENTS / "mt103_free_text.fin")
        .read_text()
        .replace("RIVERSIDE TRAVEL AGENCY INC\nUS/NEW YORK\n", ""),
        "y",
    )
    assert [f.kind for f in party_flags(only_account[0])] == ["blank_name"]
    assert blank[0].debtor_name == "HAUPTSTRASSE 12"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("malformed_bad_xml.xml", "line 63, column 35: field XML: not well-formed XML (mismatched tag)"),
        (
            "malformed_missing_amount.xml",
            "CdtTrfTxInf[3]: field IntrBkSttlmAmt: the interbank settlement amount",
        ),
        ("malformed_bad_currency.fin", "line 4: field 32A currency: the currency 'EUX' is not an ISO 4217"),
        ("malformed_bad_date.fin", "line 4: field 32A: '251340' is not a date as YYMMDD"),
        ("malformed_unknown_tag.fin", "line 19: field 99Z: MT103 has no field :99Z:"),
        ("malformed_truncated.fin", "field block 4: the text block never ends"),
        ("malformed_xxe.xml", "field DOCTYPE: DTDs and entity declarations are refused"),
    ],
)
def test_malformed_files_name_the_place_and_field(name: str, expected: str) -> None:
    with pytest.raises(InputError) as err:
        read_messages(PAYMENTS / name)
    assert str(err.value).startswith(str(PAYMENTS / name))
    assert expected in str(err.value)


def _mt(**replace: str) -> str:
    text = (PAYMENTS / "mt103_innocent.fin").read_text()
    for old, new in replace.items():
        assert old.replace("_", ":") in text or old in text
        text = text.replace(old.replace("_", ":"), new)
    return text


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            ":32A:250612EUR12500,00",
            ":32A:250612EUR12500.00",
            "field 32A amount: the amount '12500.00' is not digits",
        ),
        (":32A:250612EUR12500,00", ":32A:250612JPY12500,50", "12500,50 has 2 decimals; JPY has 0"),
        (":32A:250612EUR12500,00", ":32A:250612EUR", "field 32A amount: the amount is missing"),
        (":32A:250612EUR12500,00\n", "", "field 32A: the mandatory field (value date"),
        (":71A:SHA", ":71A:XYZ", "field 71A: 'XYZ' is not OUR, SHA or BEN"),
        (":57A:BNPAFRPP", ":57A:BNP-PARIS", "field 57A: 'BNP-PARIS' is not a BIC"),
        (":23B:CRED", ":23B:CRED\n:23B:CRED", "field 23B: the field appears twice"),
        ("{2:I103", "{2:I202", "field block 2: message type 202 is not an MT103"),
        (":59:/FR", ":59A:BNPAFRPP\n:59:/FR", "a second option of field 59"),
        # one digit mistyped in the beneficiary's IBAN (check digits), one left out (length)
        ("/FR1420041010050500013M02606", "/FR1420041010050500013M02607", "field 59: the IBAN"),
        ("/DE89370400440532013000", "/DE8937040044053201300", "field 50K: the IBAN"),
    ],
)
def test_mt103_field_errors(old: str, new: str, expected: str) -> None:
    text = (PAYMENTS / "mt103_innocent.fin").read_text()
    assert old in text
    with pytest.raises(InputError, match=r"^msg\.fin: ") as err:
        parse_text(text.replace(old, new, 1), "msg.fin")
    assert expected in str(err.value)


_NO_DEBTOR = "<Dbtr><Nm>NORDIC TIMBER AB</Nm></Dbtr>\n      <DbtrAgt><FinInstnId><BICFI>ESSESESS</BICFI>"
_PACS_ERRORS = [
    ('Ccy="EUR">25000.00</', 'Ccy="EURO">25000.00</', "IntrBkSttlmAmt/@Ccy"),
    ("<IntrBkSttlmDt>2025-06-12", "<IntrBkSttlmDt>2025-13-12", "field IntrBkSttlmDt: '2025-13-12' is not"),
    ("<NbOfTxs>3</NbOfTxs>", "<NbOfTxs>4</NbOfTxs>", "field GrpHdr/NbOfTxs: says 4 transactions"),
    ("pacs.008.001.08", "pacs.009.001.08", "field namespace: 'urn:iso:std:iso:20022:tech:xsd:pacs.009"),
    ("<EndToEndId>E2E-3</EndToEndId>", "", "CdtTrfTxInf[3]: field PmtId/EndToEndId"),
    (
        "<BICFI>KDBKKPPY</BICFI>",
        "<BICFI>KDB</BICFI>",
        "CdtTrfTxInf[2]/CdtrAgt: field CdtrAgt/FinInstnId/BICFI",
    ),
    (_NO_DEBTOR, _NO_DEBTOR.split("\n", 1)[1], "CdtTrfTxInf[2]: field Dbtr: the element is missing"),
    (
        "<IBAN>SE4550000000058398257466</IBAN>",
        "<IBAN>SE4550000000058398257467</IBAN>",
        "field DbtrAcct/Id/IBAN: the IBAN 'SE4550000000058398257467' has wrong check digits",
    ),
    ("<IBAN>FR1420041010050500013M02606</IBAN>", "<IBAN>123456</IBAN>", "'123456' is not an IBAN"),
]


@pytest.mark.parametrize(("old", "new", "expected"), _PACS_ERRORS)
def test_pacs008_field_errors(old: str, new: str, expected: str) -> None:
    text = (PAYMENTS / "pacs008_batch.xml").read_text()
    assert old in text
    with pytest.raises(InputError) as err:
        parse_text(text.replace(old, new, 1), "msg.xml")
    assert expected in str(err.value)


def test_pacs008_without_namespace_and_truncated() -> None:
    text = (PAYMENTS / "pacs008_wind_down.xml").read_text()
    plain = text.replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.10"', "")
    assert parse_text(plain, "p.xml")[0].reference == "LEASE-FINAL-0707"
    with pytest.raises(InputError, match="looks truncated"):
        parse_text(text[: len(text) // 2], "t.xml")
    with pytest.raises(InputError, match="neither an MT103"):
        parse_text("hello", "h.txt")


def test_accounts_that_are_not_ibans_and_ibans_written_with_spaces() -> None:
    """A domestic account number passes as written; an IBAN in groups of four is read compactly."""
    text = (PAYMENTS / "mt103_innocent.fin").read_text()
    us = parse_text(text.replace("/FR1420041010050500013M02606", "/US44CITI00001234567"), "m.fin")
    assert _roles(us[0])["creditor"].account == "US44CITI00001234567"
    spaced = parse_text(
        text.replace("/FR1420041010050500013M02606", "/FR14 2004 1010 0505 0001 3M02 606"), "m"
    )
    assert _roles(spaced[0])["creditor"].account == "FR1420041010050500013M02606"
    plain = parse_text(text.replace("/FR1420041010050500013M02606", "/00012345"), "m.fin")
    assert _roles(plain[0])["creditor"].account == "00012345"
