"""Finding 4: only normal service charges from the policy's schedule, under four eyes, citing the program's
own regulation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from legal_helpers import T0, D, account, balance, block_listed, check_books, party
from sqlalchemy.orm import Session

from proscribe.enforcement import decisions, ledger
from proscribe.enforcement.errors import BlockedPropertyError, EnforcementError, FourEyesError
from proscribe.enforcement.policy import preset, propose_policy
from proscribe.store import Store
from proscribe.store.casework import Decision


def test_only_scheduled_service_charges_leave_a_blocked_account_under_four_eyes(store: Store) -> None:
    """A bank may debit a blocked account for the normal service charges its owner owes it (the
    normal-service-charge provision of the program's regulations: 31 CFR 528.505 for EO 14203 by the
    standard layout of OFAC's parts, its text not retrieved; the wording is that of e.g. 31 CFR
    562.505, an Iran program's, which is not the authority here). "Normal" is the institution's
    schedule: an item, its amount, once a period. One person proposes, a second approves. 12,330 of
    13,700 USD moved by one person as "service charges" is not that."""
    with Session(store.engine) as s, s.begin():
        party(s, "C-1001", "Karim Asad Ahmad Khan")
        account(s, "A-1001", "C-1001", "13700.00")
        block_listed(s, "C-1001", "icc-khan-karim", "ICC-EO14203")
    with Session(store.engine) as s, pytest.raises(BlockedPropertyError, match="normal service charge"):
        ledger.withdraw(
            s, account_id="BLK-A-1001", amount=D("12330.00"), actor="ops", reason="service charges"
        )
    with Session(store.engine) as s, pytest.raises(EnforcementError, match="not a normal service charge"):
        decisions.propose_charge(
            s, account_id="BLK-A-1001", item="12330 fee", reason="fees", actor="ops", at=T0
        )
    with Session(store.engine) as s, s.begin():
        proposed = decisions.propose_charge(
            s,
            account_id="BLK-A-1001",
            item="account_maintenance",
            reason="June maintenance fee",
            actor="ops",
            at=T0,
        )
        decision_id = proposed.id
    with Session(store.engine) as s, pytest.raises(FourEyesError):
        decisions.approve(s, decision_id=decision_id, actor="ops", at=T0)
    with Session(store.engine) as s, s.begin():
        decisions.approve(s, decision_id=decision_id, actor="supervisor", at=T0)
        effect = s.get(Decision, decision_id).params["effect"]  # type: ignore[union-attr]
    assert "31 CFR 528.505" in effect["rule"] and "562" not in effect["rule"]
    assert balance(store.engine, "BLK-A-1001") == D("13685.00")  # 15.00, the schedule's amount
    # once a month: a second maintenance charge in the same month is refused when approved
    with Session(store.engine) as s, s.begin():
        again = decisions.propose_charge(
            s, account_id="BLK-A-1001", item="account_maintenance", reason="again", actor="ops", at=T0
        ).id
    with Session(store.engine) as s, pytest.raises(EnforcementError, match="already"):
        decisions.approve(s, decision_id=again, actor="supervisor", at=T0)
    # an institution whose policy sets no schedule (an EU bank) takes no service charge at all
    with Session(store.engine) as s, s.begin():
        no_charges = dataclasses.replace(preset("us-bank"), service_charges=())
        proposed = propose_policy(s, no_charges, actor="cco", reason="no schedule of charges", at=T0)
        decisions.approve(s, decision_id=proposed.id, actor="cro", at=T0)
    with Session(store.engine) as s, pytest.raises(EnforcementError, match="schedule: none"):
        decisions.propose_charge(
            s, account_id="BLK-A-1001", item="account_maintenance", reason="fee", actor="o"
        )
    assert balance(store.engine, "BLK-A-1001") == D("13685.00")
    check_books(store.engine)


def test_the_2020_programs_charges_cite_part_520(store: Store) -> None:
    """Funds blocked under EO 13928 (2020) are held under its own regulations, 31 CFR part 520: a
    normal service charge on them cites part 520 (the section was not retrieved), never another
    program's part."""
    at = datetime(2020, 9, 3, 15, 0, tzinfo=UTC)
    with Session(store.engine) as s, s.begin():
        party(s, "C-1002", "Fatou Bensouda")
        account(s, "A-1002", "C-1002", "8300.50", currency="EUR", at=at)
        block_listed(s, "C-1002", "icc-bensouda-fatou", "ICC-EO13928", at=at)
        tx = ledger.charge(
            s,
            account_id="BLK-A-1002",
            item="account_maintenance",
            actor="b",
            proposed_by="a",
            reason="fee",
            at=at,
        )
        assert "31 CFR part 520" in (tx.authority or "") and "528" not in (tx.authority or "")
    assert balance(store.engine, "BLK-A-1002") == D("8285.50")
