"""Finding 6: a payment into a joint account is blocked in that joint account's own blocked account."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from legal_helpers import D, account, balance, block_listed, check_books, mt103, party, screen
from sqlalchemy.orm import Session

from proscribe.store import Store
from proscribe.store.book import AccountParty

AUG = datetime(2025, 8, 1, 15, 0, tzinfo=UTC)


def test_a_payment_into_a_joint_account_stays_the_joint_accounts(store: Store, tmp_path: Path) -> None:
    """Funds in which a blocked person has an interest are blocked where they are held (31 CFR
    501.603; EO 14203 §1: "property and interests in property"). A payment to a joint account is the
    joint account's property: its blocked account takes it, so the co-holder's interest stays with
    that account, not in another account of the designee's."""
    with Session(store.engine) as s, s.begin():
        party(s, "C-1001", "Karim Asad Ahmad Khan")
        party(s, "C-1004", "Maria Fernanda Lopez Garcia")
        account(s, "A-1001", "C-1001", "12500.00")
        account(s, "A-2000", "C-1004", "4000.00")
        s.add(AccountParty(account_id="A-2000", party_id="C-1001", role="joint_holder", share=None))
        s.flush()
        block_listed(s, "C-1001", "icc-khan-karim", "ICC-EO14203")
    assert balance(store.engine, "BLK-A-2000") == D("4000.00")  # the joint account is blocked too
    text = mt103(
        "RENT-0801",
        "1500.00",
        debtor=("GB33BUKB20201555555555", "JOHN SMITH"),
        creditor=("A-2000", "MARIA LOPEZ AND KARIM KHAN"),
        text="RENT AUGUST",
    )
    [d] = screen(store, tmp_path, "joint.fin", text, AUG)
    assert (d.decision, d.blocked_account) == ("block", "BLK-A-2000")
    assert balance(store.engine, "BLK-A-2000") == D("5500.00")
    assert balance(store.engine, "BLK-A-1001") == D("12500.00")  # not the designee's sole account
    check_books(store.engine)
