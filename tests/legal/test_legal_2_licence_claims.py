"""Finding 2: a licence written in a payment is a claim; a specific licence is checked against its record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from legal_helpers import (
    D,
    account,
    balance,
    block_listed,
    check_books,
    mt103,
    pacs008,
    party,
    register_licence,
    screen,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import specific_licenses
from proscribe.store import Store
from proscribe.store.casework import Payment
from proscribe.store.ledger import LedgerTransaction

AUG = datetime(2025, 8, 1, 15, 0, tzinfo=UTC)
KHAN = ("NL91ABNA0417164300", "KARIM ASAD AHMAD KHAN")


def test_a_licence_claimed_by_the_remitter_is_held_for_a_person(store: Store, tmp_path: Path) -> None:
    """A bank acting on a claimed licence must verify that the transaction conforms to it and keep a
    copy (FFIEC BSA/AML Manual, OFAC, Appendix H; domain notes 2.6). A licence number, a purpose code
    (LEGL) or an emergency-medical claim written by the remitter is therefore not an authorisation:
    the payment to the designee is held for a person, with what the licence covers and what it does
    not (31 CFR 528.506, 528.508; GL 2), and nothing moves until then."""
    texts = {
        "gl2.fin": mt103(
            "LEGAL-GL2",
            "2500.00",
            debtor=("GB33BUKB20201555555555", "JOHN SMITH"),
            creditor=KHAN,
            text="LEGAL SERVICES PER OFAC GL 2",
            licence="GL 2",
        ),
        "legl.xml": pacs008(
            "LEGL-0801",
            "1800.00",
            debtor=("GB33BUKB20201555555555", "JOHN SMITH"),
            creditor=KHAN,
            purpose="LEGL",
            text="COUNSEL FEES",
            regulatory="OFAC GL 2",
        ),
        "medical.fin": mt103(
            "MED-0801",
            "900.00",
            debtor=("GB33BUKB20201555555555", "JOHN SMITH"),
            creditor=KHAN,
            text="EMERGENCY MEDICAL TREATMENT",
            licence="31 CFR 528.508",
        ),
    }
    for name, text in texts.items():
        [d] = screen(store, tmp_path, name, text, AUG)
        assert d.decision == "hold", (name, d.decision, d.reasons)
        assert d.license is None and "a claim, checked by a person" in d.rule
        claim = next(r for r in d.reasons if r.startswith("licence"))
        assert "may cover it" in claim and "it does not authorise debits of blocked accounts" in claim
    with Session(store.engine) as s:
        assert {p.status for p in s.scalars(select(Payment))} == {"held"}
        assert s.scalars(select(LedgerTransaction)).first() is None  # nothing moved, nothing blocked yet
    check_books(store.engine)


def test_a_specific_licence_is_checked_against_its_record_before_anything_moves(
    store: Store, tmp_path: Path
) -> None:
    """A specific licence is issued to a named licensee for named property and transactions
    (31 CFR 501.801); the bank checks the transaction conforms to it (FFIEC, Appendix H). A payment
    out of blocked funds under one goes only if the licence is registered and approved here, names
    the payer and the account, the payee, enough unused amount, and is in force; otherwise it is
    not authorised and the funds stay blocked."""
    with Session(store.engine) as s, s.begin():
        party(s, "C-1001", "Karim Asad Ahmad Khan")
        account(s, "A-1001", "C-1001", "12500.00")
        block_listed(s, "C-1001", "icc-khan-karim", "ICC-EO14203")
    number = "ICC-EO14203-1371002-1"
    register_licence(
        store.engine,
        number,
        direction="debit",
        parties=["C-1001"],
        accounts=["BLK-A-1001"],
        amount="3500.00",
        licensee="Temple Chambers LLP",
        counterparty="Temple Chambers LLP",
        purpose="legal_services",
        expires=datetime(2025, 12, 31, 23, 59, tzinfo=UTC),
    )

    def pay(ref: str, amount: str, payee: str, at: datetime = AUG, licence: str = number) -> str:
        text = mt103(
            ref,
            amount,
            debtor=("A-1001", "KARIM ASAD AHMAD KHAN"),
            creditor=("GB29NWBK60161331926819", payee),
            text="LEGAL SERVICES INVOICE 2025/44",
            licence=licence,
        )
        [d] = screen(store, tmp_path, f"{ref}.fin", text, at)
        return str(d.decision)

    assert pay("LEGAL-1", "3500.00", "TEMPLE CHAMBERS LLP") == "pass"
    assert balance(store.engine, "BLK-A-1001") == D("9000.00")
    # the licence is used up, the payee is not the one named, the licence has expired: not authorised,
    # and a payment out of blocked funds moves nothing
    assert pay("LEGAL-2", "100.00", "TEMPLE CHAMBERS LLP") == "block"
    assert pay("LEGAL-3", "100.00", "OTHER CHAMBERS") == "block"
    assert pay("LEGAL-4", "100.00", "TEMPLE CHAMBERS LLP", at=datetime(2026, 1, 2, tzinfo=UTC)) == "block"
    with Session(store.engine) as s:
        reasons = {p.reference: " ".join(p.reasons) for p in s.scalars(select(Payment))}
        row = specific_licenses.get(s, number)
        assert row is not None and row.used == D("3500.00")
    assert "has 0.00 USD left" in reasons["LEGAL-2"]
    assert "names the payee Temple Chambers LLP, not OTHER CHAMBERS" in reasons["LEGAL-3"]
    assert "expired" in reasons["LEGAL-4"]
    assert balance(store.engine, "BLK-A-1001") == D("9000.00")  # no money created by the refused ones
    # a licence recorded but not yet approved by a second person authorises nothing
    register_licence(
        store.engine,
        "ICC-EO14203-1371003-1",
        direction="debit",
        parties=["C-1001"],
        accounts=["BLK-A-1001"],
        amount="500.00",
        counterparty="Temple Chambers LLP",
        approve=False,
        licensee="Temple Chambers LLP",
    )
    assert pay("LEGAL-5", "100.00", "TEMPLE CHAMBERS LLP", licence="ICC-EO14203-1371003-1") == "block"
    with Session(store.engine) as s:
        pending = s.scalars(select(Payment).where(Payment.reference == "LEGAL-5")).one()
        assert "waits for a second person's approval" in " ".join(pending.reasons)
    assert balance(store.engine, "BLK-A-1001") == D("9000.00")
    check_books(store.engine)
