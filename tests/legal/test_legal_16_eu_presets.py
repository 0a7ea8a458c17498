"""Finding 16: the EU presets apply EU law: the Blocking Statute's Annex, the EU and UK ownership
tests, and a policy that changes only under four eyes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from legal_helpers import audit_actions, check_books, mt103, party
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import blocking, decisions
from proscribe.enforcement.book import import_book
from proscribe.enforcement.errors import FourEyesError
from proscribe.enforcement.ownership import Edge, apply_rule
from proscribe.enforcement.payments import screen_payments
from proscribe.enforcement.policy import load_policy, preset, propose_policy
from proscribe.screening import Screener
from proscribe.store import Store
from proscribe.store.casework import Block, Report

AUG_2025 = datetime(2025, 8, 1, 15, 0, tzinfo=UTC)


def test_the_annex_programs_raise_the_conflict_for_an_eu_operator() -> None:
    """Council Regulation (EC) No 2271/96 forbids EU operators to comply with the foreign laws in its
    Annex (Art. 5) and has them inform the Commission within 30 days (Art. 2). The Annex lists the US
    measures on Cuba (the Cuban Assets Control Regulations, 31 CFR part 515, and the Cuban Democracy
    and LIBERTAD Acts) and, since Commission Delegated Regulation (EU) 2018/1100 (from 7 August 2018),
    those on Iran (the Iranian Transactions and Sanctions Regulations, 31 CFR part 560; the Iran
    Sanctions Act; the Iran Freedom and Counter-Proliferation Act; the Iran Threat Reduction Act).
    An EU bank does not comply (noted, the Commission informed); an EU subsidiary of a US bank, a US
    person too (EO 14203 §8(c)), faces conflicting duties: escalated. A US bank blocks."""
    eu, sub, us = preset("eu-bank"), preset("eu-subsidiary-of-us-bank"), preset("us-bank")
    for program, law in (("CUBA", "31 CFR part 515"), ("IRAN", "31 CFR part 560"), ("IFCA", "Iran Freedom")):
        noted = eu.action_for("us_ofac_sdn", [program], on=date(2025, 8, 1))
        assert noted.action == "note" and noted.conflict is not None
        assert law in noted.conflict and "2271/96" in noted.conflict and "Art. 2" in noted.conflict
        torn = sub.action_for("us_ofac_sdn", ["SDGT", program], on=date(2025, 8, 1))
        assert torn.action == "escalate" and torn.conflict is not None
        blocked = us.action_for("us_ofac_sdn", [program], on=date(2025, 8, 1))
        assert blocked.action == "block" and blocked.conflict is None
    assert "2018/1100" in (eu.action_for("us_ofac_sdn", ["IRAN"], on=date(2025, 8, 1)).conflict or "")
    # before 2018/1100 applied, the Iran measures were not in the Annex
    assert eu.action_for("us_ofac_sdn", ["IRAN"], on=date(2018, 8, 6)).conflict is None
    # a program that only carries out Acts the Annex lists: a person decides (the safer side)
    maybe = eu.action_for("us_ofac_sdn", ["IFSR"], on=date(2025, 8, 1))
    assert maybe.action == "escalate" and "possibly" in (maybe.conflict or "")
    # the ICC orders were not in the Annex (as of mid-2026): no conflict, the risk-based escalation
    icc = eu.action_for("proscribe_icc", ["ICC-EO14203"], on=date(2025, 8, 1))
    assert icc.action == "escalate" and icc.conflict is None


def test_a_cuba_payment_at_an_eu_bank_is_not_complied_with_and_notified(
    store: Store, screener: Screener, tmp_path: Path
) -> None:
    """The same rule on a payment (Reg. (EC) 2271/96, Arts. 2 and 5): a payment to a bank listed under
    the US Cuba program is not blocked by an EU bank, and a notice to the Commission falls due; an EU
    subsidiary of a US bank holds it for a person, with the notice; a US bank blocks it."""
    path = tmp_path / "cuba.fin"
    path.write_text(
        mt103(
            "CU-1",
            "12000.00",
            debtor=("NL43ABNA0481290021", "HOLLAND SUGAR TRADERS BV"),
            creditor=("CU0012345678", "BANCO NACIONAL DE CUBA"),
            text="INVOICE 2025-77",
            day="250801",
        ),
        encoding="utf-8",
    )
    outcomes = {}
    for name in ("eu-bank", "eu-subsidiary-of-us-bank", "us-bank"):
        [d] = screen_payments(
            store, path, actor="gateway", at=AUG_2025, screener=screener, policy=preset(name)
        )
        with Session(store.engine) as s:
            kinds = sorted(s.scalars(select(Report.kind).where(Report.subject_id == str(d.payment_id))))
        outcomes[name] = (d.decision, bool(d.conflicts), kinds)
    assert outcomes["eu-bank"] == ("pass", True, ["blocking_statute_notice"])
    assert outcomes["eu-subsidiary-of-us-bank"] == ("hold", True, ["blocking_statute_notice"])
    assert outcomes["us-bank"] == ("block", False, ["blocked_property"])


def test_eu_and_uk_ownership_is_more_than_half_or_control(store: Store, tmp_path: Path) -> None:
    """The EU freezes what a listed person owns, holds or controls (e.g. Council Regulation (EU) No
    269/2014, Art. 2(1)); the Council's EU Best Practices read ownership as more than 50% of the
    proprietary rights, and control as enough on its own. UK regulations under SAMLA 2018 say the
    same ("more than 50% of the shares or voting rights", or control: e.g. the Russia (Sanctions)
    (EU Exit) Regulations 2019, reg. 7). OFAC's rule is 50% or more and ignores control (guidance of
    13 August 2014). Each regime counts the persons it lists."""
    eu_listed = {"p": (["eu-1"], ["EU-RUS"])}
    kinds = {"co": "organization"}
    assert apply_rule(eu_listed, [Edge("p", "co", Decimal(50))], kinds, {"p": ["eu"]}) == {}
    assert "co" in apply_rule(eu_listed, [Edge("p", "co", Decimal("50.0001"))], kinds, {"p": ["eu"]})
    assert "co" in apply_rule(eu_listed, [Edge("p", "co", Decimal(10), control=True)], kinds, {"p": ["uk"]})
    assert apply_rule(eu_listed, [Edge("p", "co", Decimal(10), control=True)], kinds, {"p": ["us"]}) == {}
    assert "co" in apply_rule(eu_listed, [Edge("p", "co", Decimal(50))], kinds, {"p": ["us"]})

    with Session(store.engine) as s, s.begin():
        proposed = propose_policy(
            s, preset("eu-bank"), actor="alice", reason="we are a Dutch bank", at=AUG_2025
        )
        decisions.approve(s, decision_id=proposed.id, actor="bob", at=AUG_2025)
        party(s, "P-1", "Ivan Example")
        party(s, "P-2", "Karim Asad Ahmad Khan")
        for org in ("O-HALF", "O-MORE", "O-CTRL", "O-US"):
            party(s, org, f"{org} Holding BV", kind="organization")
        blocking.block_party(
            s, party_id="P-1", basis="listing", explanation="EU listing", actor="officer", at=AUG_2025,
            entity_id="eu-1", dataset="eu_fsf", programs=["EU-RUS"],
        )  # fmt: skip
        blocking.block_party(
            s, party_id="P-2", basis="listing", explanation="ICC listing", actor="officer", at=AUG_2025,
            entity_id="icc-khan-karim", dataset="proscribe_icc", programs=["ICC-EO14203"],
        )  # fmt: skip
    owners = tmp_path / "ownership.csv"
    owners.write_text(
        "owner,owned,share,control\n"
        "P-1,O-HALF,50,no\n"
        "P-1,O-MORE,50.01,no\n"
        "P-1,O-CTRL,10,yes\n"
        "P-2,O-US,50,no\n",
        encoding="utf-8",
    )
    with Session(store.engine) as s, s.begin():
        import_book(
            s, parties=None, accounts=None, roles=None, ownership=owners, actor="onboarding", at=AUG_2025
        )
        blocking.apply_ownership_rule(s, actor="officer", at=AUG_2025)
    with Session(store.engine) as s:
        frozen = {b.party_id: b for b in s.scalars(select(Block).where(Block.basis == "ownership"))}
    assert sorted(frozen) == ["O-CTRL", "O-MORE", "O-US"]
    assert "more than 50%, or control" in frozen["O-MORE"].explanation
    assert "controlled by Ivan Example" in frozen["O-CTRL"].explanation
    assert "50 percent rule" in frozen["O-US"].explanation
    check_books(store.engine)


def test_a_policy_change_needs_a_second_person(store: Store) -> None:
    """A change of jurisdiction policy changes what every hit does (block, escalate, not comply), so
    it is a decision under four eyes like the others (maker-checker: one person proposes, a second,
    independent person approves, with the rationale recorded; Wolfsberg and industry practice,
    FFIEC's expectation that decisions are reviewed outside the maker). Nothing changes before the
    approval; the audit trail records who proposed and who approved (31 CFR 501.601 records)."""
    with Session(store.engine) as s, s.begin():
        proposed = propose_policy(s, preset("eu-bank"), actor="alice", reason="the bank moves to Amsterdam")
        proposed_id = proposed.id
    with Session(store.engine) as s:
        assert load_policy(s).name == "us-bank"
    with Session(store.engine) as s, pytest.raises(FourEyesError, match="second person"):
        decisions.approve(s, decision_id=proposed_id, actor="alice")
    with Session(store.engine) as s, s.begin():
        decisions.approve(s, decision_id=proposed_id, actor="bob")
    with Session(store.engine) as s:
        assert load_policy(s).name == "eu-bank"
    [record] = audit_actions(store.engine, "policy.set")
    assert (record.actor, record.data["proposed_by"], record.data["approved_by"]) == ("bob", "alice", "bob")
    assert record.data["decision"] == proposed_id
    # a proposal sent back changes nothing
    with Session(store.engine) as s, s.begin():
        back = propose_policy(s, preset("us-bank"), actor="alice", reason="back to the US preset")
        decisions.reject(s, decision_id=back.id, actor="bob", note="not agreed by the board")
    with Session(store.engine) as s:
        assert load_policy(s).name == "eu-bank"
    check_books(store.engine)
