"""Finding 5: a payment out of a blocked account creates no money; a blocked payment's funds come from
where they were."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from legal_helpers import D, account, audit_actions, balance, block_listed, check_books, mt103, party, screen
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.store import Store
from proscribe.store.casework import Report

SEPT = datetime(2025, 9, 18, 15, 0, tzinfo=UTC)


def test_a_payment_out_of_a_blocked_account_moves_nothing(store: Store, tmp_path: Path) -> None:
    """Property in which a blocked person has an interest is blocked where it is held (31 CFR 501.603;
    EO 14203 §1), and a transfer of it is void. An instruction to pay out of a blocked account moves
    nothing: the funds are blocked already (and were reported when blocked). Crediting the blocked
    account again from clearing would create money; the ledger's books must still balance and the
    blocked total change only by what is newly blocked."""
    with Session(store.engine) as s, s.begin():
        party(s, "O-3001", "Al-Haq", kind="organization")
        party(s, "C-1005", "John Robert Smith")
        account(s, "A-3001", "O-3001", "250000.00")
        account(s, "A-1005", "C-1005", "7300.00")
        block_listed(s, "O-3001", "icc-al-haq", "ICC-EO14203", at=datetime(2025, 9, 5, tzinfo=UTC))
    text = mt103(
        "HBL-SUP-7781",
        "48250.00",
        debtor=("A-3001", "AL-HAQ"),
        creditor=("GB33BUKB20201555555555", "NORTHSEA CHANDLERS LTD"),
        text="INVOICE 2025-311 SHIP STORES",
        day="250918",
    )
    [d] = screen(store, tmp_path, "out.fin", text, SEPT)
    assert (d.decision, d.blocked_account, d.reports) == ("block", "BLK-A-3001", [])
    assert balance(store.engine, "BLK-A-3001") == D("250000.00")  # not 298,250.00
    assert balance(store.engine, "SYS-CLEARING-USD") == 0
    refusal = audit_actions(store.engine, "ledger.debit_refused")[-1]
    assert refusal.subject == "account:A-3001" and refusal.data["payment"] == d.payment_id
    # a payment from an open account here to a designee: the money leaves that account, not clearing
    text = mt103(
        "LEC-2025-044",
        "3000.00",
        debtor=("A-1005", "JOHN ROBERT SMITH"),
        creditor=("NL91ABNA0417164300", "KARIM ASAD AHMAD KHAN"),
        text="SPEAKER FEE",
        day="250918",
    )
    [d] = screen(store, tmp_path, "to-designee.fin", text, SEPT)
    assert d.decision == "block" and d.blocked_account is not None
    assert balance(store.engine, "A-1005") == D("4300.00")
    assert balance(store.engine, d.blocked_account) == D("3000.00")
    assert balance(store.engine, "SYS-CLEARING-USD") == 0
    with Session(store.engine) as s:
        [report] = s.scalars(select(Report).where(Report.subject_id == str(d.payment_id))).all()
        assert report.kind == "blocked_property"
    check_books(store.engine)
