"""Finding 7: a company's blocked property stays blocked when its blocked owners sell down below 50%."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from legal_helpers import (
    D,
    account,
    audit_actions,
    balance,
    block_listed,
    check_books,
    mt103,
    party,
    register_licence,
    screen,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import blocking, decisions
from proscribe.enforcement.book import import_book
from proscribe.enforcement.errors import EnforcementError, FourEyesError
from proscribe.store import Store
from proscribe.store.book import Account, Ownership
from proscribe.store.ledger import LedgerTransaction

SEPT = datetime(2025, 9, 1, 15, 0, tzinfo=UTC)
LATER = datetime(2025, 10, 1, 15, 0, tzinfo=UTC)


def test_a_fall_below_fifty_percent_releases_nothing_without_a_licence(store: Store, tmp_path: Path) -> None:
    """An entity owned 50% or more by blocked persons is blocked (OFAC guidance of 13 August 2014,
    79 FR 47726). If they later sell down below 50%, the entity is no longer blocked by the rule,
    but property blocked before stays blocked: OFAC does not recognise unlicensed transfers of
    blocked property "through changes in ownership or otherwise" (OFAC FAQ 402). Its release needs
    a specific licence, approved by a second person, and is reported to OFAC (31 CFR 501.603(b)(3);
    reported even where the licence exemption might apply, the safer side)."""
    with Session(store.engine) as s, s.begin():
        party(s, "C-1001", "Karim Asad Ahmad Khan")
        party(s, "P-2001", "Mame Mandiaye Niang")
        party(s, "C-1005", "John Robert Smith")
        party(s, "O-3001", "Harbourline Trading Ltd", kind="organization")
        account(s, "A-3001", "O-3001", "250000.00", at=SEPT)
        for owner, share in (("C-1001", "35"), ("P-2001", "25"), ("C-1005", "40")):
            s.add(Ownership(owner_id=owner, owned_id="O-3001", share=Decimal(share), source="test"))
        block_listed(s, "C-1001", "icc-khan-karim", "ICC-EO14203", at=SEPT)
        block_listed(s, "P-2001", "icc-niang-mame-mandiaye", "ICC-EO14203", at=SEPT)
        [company_block], _ = blocking.apply_ownership_rule(s, actor="officer", at=SEPT)
        block_id = company_block.id
    assert balance(store.engine, "BLK-A-3001") == D("250000.00")
    # the designees sell: 10% + 25% is below 50%; the import re-applies the rule
    sold = tmp_path / "ownership.csv"
    sold.write_text(
        "owner,owned,share\nC-1001,O-3001,10\nP-2001,O-3001,25\nC-1005,O-3001,65\n", encoding="utf-8"
    )
    with Session(store.engine) as s, s.begin():
        import_book(s, parties=None, accounts=None, roles=None, ownership=sold, actor="onboarding", at=LATER)
    with Session(store.engine) as s:
        [still] = blocking.active_blocks(s, "O-3001")
        assert (
            still.id == block_id and still.lapsed_at is not None and "FAQ 402" in (still.lapsed_reason or "")
        )
        assert s.get(Account, "A-3001").status == "blocked"  # type: ignore[union-attr]
    assert balance(store.engine, "BLK-A-3001") == D("250000.00")
    assert not audit_actions(store.engine, "party.release")
    assert [r.data["block"] for r in audit_actions(store.engine, "party.block_lapsed")] == [block_id]
    # a new payment to the company is not blocked on the lapsed basis: a person checks it
    text = mt103(
        "HBL-IN-1001",
        "5000.00",
        debtor=("GB33BUKB20201555555555", "NORTHSEA CHANDLERS LTD"),
        creditor=("A-3001", "HARBOURLINE TRADING LTD"),
        text="INVOICE 2025-900",
        day="251001",
    )
    [d] = screen(store, tmp_path, "in.fin", text, LATER)
    assert d.decision == "hold" and any("FAQ 402" in r for r in d.reasons)
    # the release: not under a licence nobody registered, not by one person
    with Session(store.engine) as s, pytest.raises(EnforcementError, match="not registered"):
        decisions.request_release(
            s,
            block_id=block_id,
            kind="license",
            reason="sold down",
            actor="alice",
            authority="ICC-EO14203-1372000-1",
            at=LATER,
        )
    register_licence(
        store.engine,
        "ICC-EO14203-1372000-1",
        direction="release",
        parties=["O-3001"],
        accounts=["BLK-A-3001"],
        amount="260000.00",
        at=LATER,
    )
    with Session(store.engine) as s, s.begin():
        decision_id = decisions.request_release(
            s,
            block_id=block_id,
            kind="license",
            reason="OFAC licensed the unblocking",
            actor="alice",
            authority="ICC-EO14203-1372000-1",
            at=LATER,
        ).id
    with Session(store.engine) as s, pytest.raises(FourEyesError):
        decisions.approve(s, decision_id=decision_id, actor="alice", at=LATER)
    with Session(store.engine) as s, s.begin():
        decisions.approve(s, decision_id=decision_id, actor="bob", at=LATER)
    with Session(store.engine) as s:
        assert s.get(Account, "A-3001").status == "open"  # type: ignore[union-attr]
        release = s.scalars(select(LedgerTransaction).where(LedgerTransaction.kind == "release")).one()
        assert release.data["unblocking_report"]["owed"] is True
        assert release.authority == "ICC-EO14203-1372000-1"
    assert balance(store.engine, "A-3001") > D("250000.00")  # with its interest
    [released] = audit_actions(store.engine, "party.release")
    assert released.data["kind"] == "license" and released.data["unblocking_report_owed"] == ["BLK-A-3001"]
    check_books(store.engine)
