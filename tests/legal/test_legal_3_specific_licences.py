"""Finding 3: unknown licence numbers are refused; a specific licence is registered under four eyes and
releases only what it names, never a listed person's block."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from legal_helpers import (
    T0,
    D,
    account,
    balance,
    block_listed,
    check_books,
    mt103,
    party,
    register_licence,
    screen,
)
from sqlalchemy.orm import Session

from proscribe.enforcement import blocking, decisions, ledger, licenses, specific_licenses
from proscribe.enforcement.errors import BlockedPropertyError, EnforcementError, FourEyesError
from proscribe.store import Store
from proscribe.store.book import Account

AUG = datetime(2025, 8, 1, 15, 0, tzinfo=UTC)


def _khan(store: Store) -> int:
    with Session(store.engine) as s, s.begin():
        party(s, "C-1001", "Karim Asad Ahmad Khan")
        account(s, "A-1001", "C-1001", "12500.00")
        return block_listed(s, "C-1001", "icc-khan-karim", "ICC-EO14203").id


def test_an_unknown_licence_number_authorises_nothing(store: Store, tmp_path: Path) -> None:
    """A licence is OFAC's: a general licence it published (the program registry holds the ICC
    programs'), or a specific licence it issued to a named licensee (31 CFR 501.801), which the bank
    verifies and keeps a copy of (FFIEC, Appendix H). A number that is neither, "GL 9" (whose
    contents were never retrieved) or any text, authorises nothing: it cannot unblock funds, debit
    them, or let a payment through."""
    block_id = _khan(store)
    for number in ("GL 9", "ICC-2020-77", "per our lawyer"):
        with (
            Session(store.engine) as s,
            pytest.raises(EnforcementError, match=r"not registered|does not unblock"),
        ):
            decisions.request_release(
                s,
                block_id=block_id,
                kind="license",
                reason="licence from OFAC",
                actor="alice",
                authority=number,
            )
        with Session(store.engine) as s, pytest.raises(BlockedPropertyError):
            ledger.withdraw(
                s,
                account_id="BLK-A-1001",
                amount=D("10.00"),
                actor="ops",
                reason="x",
                at=AUG,
                authority=number,
            )
    gl9 = licenses.check(
        "GL 9", programs=["ICC-EO14203"], entity_ids=["icc-khan-karim"], purpose=None, at=AUG
    )
    assert gl9.status == "refused" and "authorises nothing" in gl9.reason
    text = mt103(
        "GL9-PAY",
        "250.00",
        debtor=("GB33BUKB20201555555555", "JOHN SMITH"),
        creditor=("A-1001", "KARIM ASAD AHMAD KHAN"),
        text="WIND DOWN OF LEASE",
        licence="GL 9",
    )
    [d] = screen(store, tmp_path, "gl9.fin", text, AUG)
    assert d.decision == "block" and "authorises nothing" in (d.license_reason or "")
    assert balance(store.engine, "BLK-A-1001") == D("12750.00")  # blocked, as without any licence
    check_books(store.engine)


def test_specific_licences_are_recorded_under_four_eyes(store: Store) -> None:
    """A specific licence that lets blocked funds move is a decision like a release: recorded by one
    person and approved by another before it authorises anything (the institution's four-eyes
    control; OFAC's Framework for Compliance Commitments, internal controls), with its number,
    licensee, parties, accounts, amount, direction, purpose, dates and issuer (31 CFR 501.801)."""
    _khan(store)
    with Session(store.engine) as s, pytest.raises(EnforcementError, match="general licence"):
        specific_licenses.register(
            s,
            number="GL 2",
            licensee="x",
            direction="debit",
            parties=["C-1001"],
            accounts=["BLK-A-1001"],
            amount=D("1.00"),
            currency="USD",
            issued=date(2025, 1, 1),
            reference="r",
            reason="r",
            actor="a",
            counterparty="y",
            at=T0,
        )
    with Session(store.engine) as s, pytest.raises(EnforcementError, match="not a blocked account"):
        specific_licenses.register(
            s,
            number="ICC-EO14203-1371010-1",
            licensee="x",
            direction="debit",
            parties=["C-1001"],
            accounts=["A-1001"],
            amount=D("1.00"),
            currency="USD",
            issued=date(2025, 1, 1),
            reference="r",
            reason="r",
            actor="a",
            counterparty="y",
            at=T0,
        )
    decision_id = register_licence(
        store.engine,
        "ICC-EO14203-1371010-1",
        direction="debit",
        parties=["C-1001"],
        accounts=["BLK-A-1001"],
        amount="1000.00",
        counterparty="Temple Chambers LLP",
        approve=False,
    )
    with Session(store.engine) as s, pytest.raises(BlockedPropertyError, match="waits for a second person"):
        ledger.withdraw(
            s,
            account_id="BLK-A-1001",
            amount=D("10.00"),
            actor="ops",
            reason="fees",
            at=AUG,
            authority="ICC-EO14203-1371010-1",
            payee="Temple Chambers LLP",
        )
    with Session(store.engine) as s, pytest.raises(FourEyesError):
        decisions.approve(s, decision_id=decision_id, actor="alice", at=T0)
    with Session(store.engine) as s, s.begin():
        decisions.approve(s, decision_id=decision_id, actor="bob", at=T0)
        row = specific_licenses.get(s, "ICC-EO14203-1371010-1")
        assert row is not None and (row.status, row.registered_by, row.approved_by) == (
            "active",
            "alice",
            "bob",
        )
    with Session(store.engine) as s, s.begin():
        ledger.withdraw(
            s,
            account_id="BLK-A-1001",
            amount=D("10.00"),
            actor="ops",
            reason="fees",
            at=AUG,
            authority="ICC-EO14203-1371010-1",
            payee="Temple Chambers LLP",
        )
    assert balance(store.engine, "BLK-A-1001") == D("12490.00")
    check_books(store.engine)


def test_a_licence_never_lifts_the_block_on_a_person_still_listed(store: Store) -> None:
    """The block on a listed person lasts while the listing does: a release lifts it only on a
    delisting (31 CFR 501.807) or an error (31 CFR 501.806). A specific licence releases what it
    names and nothing else; unblocking a listed person's account would let them withdraw it at once,
    so a licensed payment out of it is a debit to the payee the licence names."""
    block_id = _khan(store)
    register_licence(
        store.engine,
        "ICC-EO14203-1371020-1",
        direction="release",
        parties=["C-1001"],
        accounts=["BLK-A-1001"],
        amount="20000.00",
    )
    with Session(store.engine) as s, pytest.raises(EnforcementError, match="still listed"):
        decisions.request_release(
            s,
            block_id=block_id,
            kind="license",
            reason="OFAC licence",
            actor="alice",
            authority="ICC-EO14203-1371020-1",
        )
    with Session(store.engine) as s, pytest.raises(EnforcementError, match="still listed"):
        blocking.release_block(
            s, block_id=block_id, kind="license", reason="r", actor="bob", authority="ICC-EO14203-1371020-1"
        )
    with Session(store.engine) as s:
        assert [b.id for b in blocking.active_blocks(s, "C-1001")] == [block_id]
        assert s.get(Account, "A-1001").status == "blocked"  # type: ignore[union-attr]
        with pytest.raises(BlockedPropertyError):
            ledger.withdraw(s, account_id="A-1001", amount=D("1.00"), actor="c", reason="cash", at=AUG)
    assert balance(store.engine, "BLK-A-1001") == D("12500.00")
