"""Finding 8: after a delisting, new payments are not blocked on the strength of the bank's own list."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from legal_helpers import D, account, balance, block_listed, check_books, mt103, party, screen
from sqlalchemy.orm import Session

from proscribe.enforcement import blocking
from proscribe.store import Store

BLOCKED = datetime(2020, 9, 3, 15, 0, tzinfo=UTC)
OCT_2020 = datetime(2020, 10, 1, 15, 0, tzinfo=UTC)
APR_2021 = datetime(2021, 4, 10, 15, 0, tzinfo=UTC)


def test_new_payments_to_a_person_no_longer_listed_are_held_not_blocked(store: Store, tmp_path: Path) -> None:
    """Blocking follows the listing: EO 14022 revoked EO 13928 on 1 April 2021, ending its
    designations. Property blocked before stays blocked until it is released (the delisted alert,
    under four eyes), but a new payment to a person no longer listed is not blocked on the strength
    of the institution's own stale list (31 CFR 501.603 reaches the property of persons whose
    property is blocked; a delisted person's is not). The lists in force decide; when the
    institution's list and the lists disagree, a person checks (the safer side: hold, not pass)."""
    with Session(store.engine) as s, s.begin():
        party(s, "C-1002", "Fatou Bensouda")
        account(s, "A-1002", "C-1002", "8300.50", currency="EUR", at=BLOCKED)
        block_listed(s, "C-1002", "icc-bensouda-fatou", "ICC-EO13928", at=BLOCKED)

    def pay(ref: str, at: datetime) -> tuple[str, list[str]]:
        text = mt103(
            ref,
            "9120.00",
            debtor=("NL43ABNA0481290021", "INTERNATIONAL CRIMINAL COURT"),
            creditor=("A-1002", "FATOU BENSOUDA"),
            text="SALARY",
            currency="EUR",
            day=at.strftime("%y%m%d"),
        )
        [d] = screen(store, tmp_path, f"{ref}.fin", text, at)
        return d.decision, d.reasons

    assert pay("SAL-2020-10", OCT_2020)[0] == "block"
    assert balance(store.engine, "BLK-A-1002") == D("17420.50")
    decision, reasons = pay("SAL-2021-04", APR_2021)
    assert decision == "hold"
    assert any(
        "icc-bensouda-fatou, which is not in force on the lists as of 2021-04-10" in r for r in reasons
    )
    # what was blocked stays blocked until the block is released under four eyes
    assert balance(store.engine, "BLK-A-1002") == D("17420.50")
    with Session(store.engine) as s:
        assert blocking.active_blocks(s, "C-1002")
    check_books(store.engine)
