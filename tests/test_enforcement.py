"""The enforcement rules, each on its own: the 50% rule, four eyes, alerts and delta screening,
release on delisting with history kept, the blocking-statute conflict, the audit chain.

The book is the customer fixture in tests/fixtures/book (ICC designees, look-alikes, a company
owned 35% + 25% by two designees); the lists are the ICC registry bundled with proscribe, and for
delta screening a small FtM list written and re-written in the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, blocking, decisions, ledger
from proscribe.enforcement.alerts import rescreen
from proscribe.enforcement.book import import_book
from proscribe.enforcement.errors import EnforcementError, FourEyesError
from proscribe.enforcement.ownership import Edge, apply_rule
from proscribe.enforcement.payments import screen_payments
from proscribe.enforcement.policy import load_policy, preset, propose_policy
from proscribe.screening import Screener
from proscribe.store import Store
from proscribe.store.book import Account, Party
from proscribe.store.casework import Alert, Block, Payment, Report

BOOK = Path(__file__).parent / "fixtures" / "book"
PAYMENTS = Path(__file__).parent / "fixtures" / "payments"
# the EO 13928 designations (2 Sept 2020) were in force on this day; EO 14022 revoked them on 1 April 2021
IN_2020 = datetime(2020, 10, 1, 14, 0, tzinfo=UTC)
AFTER_REVOCATION = datetime(2021, 4, 6, 14, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# the 50 percent rule, as a pure function


def _listed(*ids: str) -> dict[str, tuple[list[str], list[str]]]:
    return {i: ([f"listed-{i}"], ["P"]) for i in ids}


def test_fifty_percent_aggregates_blocked_owners() -> None:
    edges = [Edge("x", "co", Decimal(35)), Edge("y", "co", Decimal(25)), Edge("z", "co", Decimal(40))]
    kinds = {"co": "organization", "x": "person", "y": "person", "z": "person"}
    result = apply_rule(_listed("x", "y"), edges, kinds)
    assert set(result) == {"co"}
    assert result["co"].total == Decimal(60)
    assert [o["owner"] for o in result["co"].owners] == ["x", "y"]
    # one designee alone (35%) is not enough
    assert apply_rule(_listed("x"), edges, kinds) == {}


def test_fifty_percent_threshold_is_inclusive() -> None:
    kinds = {"co": "organization"}
    assert "co" in apply_rule(_listed("x"), [Edge("x", "co", Decimal("50"))], kinds)
    assert apply_rule(_listed("x"), [Edge("x", "co", Decimal("49.9999"))], kinds) == {}


def test_fifty_percent_reaches_down_chains_of_blocked_entities() -> None:
    # x (listed) owns 60% of a; a owns 50% of b; b owns 30% and x 20% of c: all blocked
    edges = [
        Edge("x", "a", Decimal(60)),
        Edge("a", "b", Decimal(50)),
        Edge("b", "c", Decimal(30)),
        Edge("x", "c", Decimal(20)),
    ]
    kinds = {k: "organization" for k in "abc"}
    result = apply_rule(_listed("x"), edges, kinds)
    assert set(result) == {"a", "b", "c"}
    via_b = next(o for o in result["c"].owners if o["owner"] == "b")
    assert via_b["basis"] == "blocked under the 50 percent rule"
    assert via_b["via"][0]["owner"] == "a"  # the chain reads back to the listing
    assert result["c"].entity_ids == ["listed-x"]


def test_fifty_percent_ignores_holdings_through_unblocked_entities() -> None:
    # x holds 40% of a (not blocked), a holds 100% of b: b is not blocked (OFAC FAQ 401)
    edges = [Edge("x", "a", Decimal(40)), Edge("a", "b", Decimal(100))]
    assert apply_rule(_listed("x"), edges, {"a": "organization", "b": "organization"}) == {}


def test_fifty_percent_never_blocks_a_person_by_ownership() -> None:
    assert apply_rule(_listed("x"), [Edge("x", "p", Decimal(100))], {"p": "person"}) == {}


# ---------------------------------------------------------------------------------------------
# the book on a store (SQLite and PostgreSQL)


@pytest.fixture()
def bank(registry_db_url: str, tmp_path: Path) -> Iterator[Store]:
    """The registry and the fixture book, imported as of 2020."""
    store = Store.open(registry_db_url)
    with Session(store.engine) as s, s.begin():
        import_book(
            s,
            parties=BOOK / "parties.csv",
            accounts=BOOK / "accounts.csv",
            roles=BOOK / "roles.csv",
            ownership=BOOK / "ownership.csv",
            actor="loader",
            at=datetime(2020, 9, 1, tzinfo=UTC),
        )
    yield store
    store.close()


def _alert(store: Store, party: str, entity: str) -> Alert:
    with Session(store.engine) as s:
        return s.scalars(select(Alert).where(Alert.party_id == party, Alert.entity_id == entity)).one()


def _screen(store: Store, tmp_path: Path, at: datetime, mode: str = "delta") -> list[int]:
    return rescreen(store, mode=mode, actor="screening-job", at=at, cache_dir=tmp_path / "idx").alert_ids


def test_four_eyes_and_blocking(bank: Store, tmp_path: Path) -> None:
    _screen(bank, tmp_path, IN_2020)
    alert = _alert(bank, "C-1002", "icc-bensouda-fatou")
    with Session(bank.engine) as s, s.begin():
        d = decisions.decide(
            s, alert_id=alert.id, outcome="true_match", reason="same name, DOB", actor="alice", at=IN_2020
        )
        decision_id = d.id
    # the person who decided cannot approve, and nothing happens until someone else does
    with pytest.raises(FourEyesError, match="second person"), Session(bank.engine) as s, s.begin():
        decisions.approve(s, decision_id=decision_id, actor="alice", at=IN_2020)
    with Session(bank.engine) as s:
        assert s.get(Account, "A-1002").status == "open"  # type: ignore[union-attr]
        assert blocking.active_blocks(s) == []
    with Session(bank.engine) as s, s.begin():
        decisions.approve(s, decision_id=decision_id, actor="bob", at=IN_2020)
    with Session(bank.engine) as s:
        src = s.get(Account, "A-1002")
        assert src is not None and src.status == "blocked" and src.balance == 0
        blocked = s.scalars(
            select(Account).where(Account.owner_id == "C-1002", Account.kind == "blocked")
        ).one()
        assert blocked.balance == Decimal("8300.50")
        block = blocking.active_blocks(s, "C-1002")[0]
        assert block.entity_id == "icc-bensouda-fatou" and block.programs == ["ICC-EO13928"]
        # a blocked-property report is owed within 10 business days from the date the property became
        # blocked: held here since 1 September, it was blocked by law when Bensouda was designated on
        # 2 September 2020 (Labor Day, 7 September, skipped), not when the bank froze it on 1 October
        report = s.scalars(select(Report).where(Report.subject_id == blocked.id)).one()
        assert report.kind == "blocked_property" and report.trigger_date.isoformat() == "2020-09-02"
        assert report.due_date.isoformat() == "2020-09-17"
        assert report.data["frozen_on"] == "2020-10-01" and report.data["designated_on"] == "2020-09-02"
    # an approved decision cannot be approved again
    with pytest.raises(FourEyesError, match="approved"), Session(bank.engine) as s, s.begin():
        decisions.approve(s, decision_id=decision_id, actor="carol")


def test_fifty_percent_rule_on_the_book(bank: Store, tmp_path: Path) -> None:
    """O-3001 is 35% Khan's... in 2020 only Bensouda and Mochochoko are designated: use them."""
    with Session(bank.engine) as s, s.begin():
        # re-own Harbourline: 35% Bensouda (C-1002) + 25% Mochochoko (new party), both designated in 2020
        s.add(
            Party(
                id="P-9001",
                kind="person",
                name="Phakiso Mochochoko",
                aliases=[],
                is_customer=False,
                checksum="x",
                source="test",
                created_at=IN_2020,
                updated_at=IN_2020,
            )
        )
        s.execute(
            text(
                "UPDATE ownerships SET owner_id = 'C-1002' WHERE owner_id = 'C-1001' AND owned_id = 'O-3001'"
            )
        )
        s.execute(
            text(
                "UPDATE ownerships SET owner_id = 'P-9001' WHERE owner_id = 'P-2001' AND owned_id = 'O-3001'"
            )
        )
    _screen(bank, tmp_path, IN_2020)
    for party, entity in (("C-1002", "icc-bensouda-fatou"), ("P-9001", "icc-mochochoko-phakiso")):
        alert = _alert(bank, party, entity)
        with Session(bank.engine) as s, s.begin():
            d = decisions.decide(
                s,
                alert_id=alert.id,
                outcome="true_match",
                reason="confirmed match",
                actor="alice",
                at=IN_2020,
            )
            decisions.approve(s, decision_id=d.id, actor="bob", at=IN_2020)
    with Session(bank.engine) as s:
        blocks = {b.party_id: b for b in blocking.active_blocks(s)}
        # 35% + 25% = 60%: Harbourline blocked, and its 100% subsidiary O-3003 through it
        assert blocks["O-3001"].basis == "ownership"
        assert "60" in blocks["O-3001"].explanation and "Phakiso Mochochoko" in blocks["O-3001"].explanation
        assert blocks["O-3003"].chain[0]["owner"] == "O-3001"
        # Lakeside (70% Kowalska, an innocent) is not
        assert "O-3002" not in blocks
        assert s.get(Account, "A-3001").status == "blocked"  # type: ignore[union-attr]
        assert s.get(Account, "A-3004").status == "blocked"  # type: ignore[union-attr]
        parties = {bp.party_id: bp for bp in blocking.blocked_parties(s)}
        assert "icc-bensouda-fatou" in parties["O-3003"].entity_ids

    # the revocation: both delisted; the delta run asks to release; releasing them frees the companies too
    ids = _screen(bank, tmp_path, AFTER_REVOCATION)
    with Session(bank.engine) as s:
        delisted = [a for a in s.scalars(select(Alert).where(Alert.id.in_(ids))) if a.kind == "delisted"]
    assert {a.party_id for a in delisted} == {"C-1002", "P-9001"}
    for a in delisted:
        with Session(bank.engine) as s, s.begin():
            d = decisions.decide(
                s,
                alert_id=a.id,
                outcome="release",
                reason="EO 14022 revocation",
                actor="alice",
                at=AFTER_REVOCATION,
            )
            decisions.approve(s, decision_id=d.id, actor="bob", at=AFTER_REVOCATION)
    with Session(bank.engine) as s:
        assert blocking.active_blocks(s) == []
        src = s.get(Account, "A-3001")
        assert src is not None and src.status == "open" and src.balance >= Decimal("250000.00")
        released = s.scalars(select(Block).where(Block.party_id == "O-3001")).one()
        assert released.release_kind == "ownership_change" and released.released_by == "bob"
        # the whole history is kept: blocked, interest, released
        kinds = [h["kind"] for h in ledger.history(s, "BLK-A-3001")]
        assert kinds[0] == "block" and kinds[-1] == "release"


def test_delta_screening_and_no_re_alerting(registry_db_url: str, tmp_path: Path) -> None:
    store = Store.open(registry_db_url)
    listing = tmp_path / "list.ftm.json"

    def write(aliases: list[str]) -> None:
        person = {
            "id": "demo-1",
            "schema": "Person",
            "properties": {"name": ["Anna Kowalska"], "alias": aliases, "birthDate": ["1990-05-17"]},
        }
        sanction = {
            "id": "demo-1-sanction",
            "schema": "Sanction",
            "properties": {"entity": ["demo-1"], "program": ["DEMO"], "authority": ["Demo authority"]},
        }
        lines = [json.dumps(person), json.dumps(sanction)]
        listing.write_text("\n".join(lines) + "\n", encoding="utf-8")

    write([])
    store.import_path(listing, dataset="demo_list", as_of=datetime(2026, 1, 1).date())
    with Session(store.engine) as s, s.begin():
        import_book(
            s, parties=BOOK / "parties.csv", accounts=None, roles=None, ownership=None, actor="loader"
        )
    first = rescreen(store, mode="delta", actor="job", cache_dir=tmp_path / "idx")
    assert "no earlier run" in first.note
    with Session(store.engine) as s:
        alert = s.scalars(select(Alert).where(Alert.party_id == "C-1006")).one()
        assert alert.entity_id.endswith("demo-1")
    with Session(store.engine) as s, s.begin():
        d = decisions.decide(
            s, alert_id=alert.id, outcome="false_positive", reason="other Anna K.", actor="alice"
        )
        decisions.approve(s, decision_id=d.id, actor="bob")

    # nothing changed: a delta screens nothing, a full run finds the pair but does not raise it again
    second = rescreen(store, mode="delta", actor="job", cache_dir=tmp_path / "idx")
    assert second.alerts_opened == 0 and "0 listings added or changed" in second.note
    full = rescreen(store, mode="full", actor="job", cache_dir=tmp_path / "idx")
    assert full.alerts_opened == 0 and full.suppressed == 1

    # the listing changes (a new alias): the delta says so and raises the decided pair again
    write(["Anna Kowalski"])
    store.import_path(listing, dataset="demo_list", as_of=datetime(2026, 2, 1).date())
    third = rescreen(store, mode="delta", actor="job", cache_dir=tmp_path / "idx")
    assert "1 listings added or changed" in third.note
    assert third.alerts_opened == 1
    with Session(store.engine) as s:
        again = s.get(Alert, third.alert_ids[0])
        assert again is not None and again.evidence["previous"]["why_again"] == "the listed record changed"
    store.close()


def test_blocking_statute_conflict_for_an_eu_subsidiary(bank: Store, tmp_path: Path) -> None:
    policy = preset("eu-subsidiary-of-us-bank")
    # as if the Commission had put EO 14203 in the Annex to Reg. 2271/96 (it had not, as of mid-2026)
    conflicted = type(policy)(**{**policy.__dict__, "blocking_statute": ("ICC-EO14203",)})
    with Session(bank.engine) as s, s.begin():
        proposed = propose_policy(s, conflicted, actor="cco", reason="the Annex now lists EO 14203")
        decisions.approve(s, decision_id=proposed.id, actor="cro")
    at = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
    _screen(bank, tmp_path, at)
    alert = _alert(bank, "C-1001", "icc-khan-karim")
    with Session(bank.engine) as s, s.begin():
        d = decisions.decide(
            s, alert_id=alert.id, outcome="true_match", reason="the Prosecutor", actor="alice", at=at
        )
        done = decisions.approve(s, decision_id=d.id, actor="bob", at=at)
        effect = done.params["effect"]
    assert effect["policy"]["action"] == "escalate"
    assert "Blocking Statute" in effect["policy"]["conflict"]
    with Session(bank.engine) as s:
        assert blocking.active_blocks(s, "C-1001") == []  # not frozen: escalated to compliance
        notice = s.get(Report, effect["report"])
        assert notice is not None and notice.kind == "blocking_statute_notice"
        assert (notice.due_date - notice.trigger_date).days == 30
        assert load_policy(s).blocking_statute == ("ICC-EO14203",)


def test_decisions_need_reasons_and_valid_outcomes(bank: Store, tmp_path: Path) -> None:
    _screen(bank, tmp_path, IN_2020)
    alert = _alert(bank, "C-1002", "icc-bensouda-fatou")
    with pytest.raises(EnforcementError, match="reason"), Session(bank.engine) as s, s.begin():
        decisions.decide(s, alert_id=alert.id, outcome="true_match", reason="", actor="alice")
    with (
        pytest.raises(EnforcementError, match="true_match or false_positive"),
        Session(bank.engine) as s,
        s.begin(),
    ):
        decisions.decide(s, alert_id=alert.id, outcome="release", reason="no reason", actor="alice")
    # a rejected decision sends the alert back to the queue
    with Session(bank.engine) as s, s.begin():
        d = decisions.decide(
            s, alert_id=alert.id, outcome="false_positive", reason="looks different", actor="alice"
        )
        decisions.reject(s, decision_id=d.id, actor="bob", note="same date of birth: look again")
    with Session(bank.engine) as s:
        assert s.get(Alert, alert.id).status == "open"  # type: ignore[union-attr]


def test_audit_chain_detects_a_changed_record(bank: Store, tmp_path: Path) -> None:
    _screen(bank, tmp_path, IN_2020)
    report = audit.verify(bank.engine)
    assert report.ok and report.records >= 5
    with bank.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
    broken = audit.verify(bank.engine)
    assert not broken.ok
    assert any("record 2" in p and "changed" in p for p in broken.problems)
    with bank.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'loader' WHERE seq = 2"))
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    gone = audit.verify(bank.engine)
    assert any("record 3 is missing" in p for p in gone.problems)


def test_a_held_payment_is_decided_under_four_eyes(registry_db_url: str, screener: Screener) -> None:
    """A near miss is held; blocking it after review needs a second person, and then freezes the funds."""
    store = Store.open(registry_db_url)
    at = datetime(2025, 9, 2, 14, 0, tzinfo=UTC)
    near_miss = PAYMENTS / "mt103_near_miss.fin"
    [held] = screen_payments(store, near_miss, actor="gateway", at=at, screener=screener)
    [again] = screen_payments(store, near_miss, actor="gateway", at=at, screener=screener)
    assert held.decision == again.decision == "hold"
    assert held.payment_id is not None and again.payment_id is not None
    with Session(store.engine) as s, s.begin():
        d = decisions.decide_payment(
            s,
            payment_id=held.payment_id,
            outcome="block",
            reason="the listed Prosecutor",
            actor="alice",
            at=at,
        )
        block_id = d.id
        with pytest.raises(EnforcementError, match="already has a decision"):
            decisions.decide_payment(
                s, payment_id=held.payment_id, outcome="release", reason="other view", actor="carol", at=at
            )
    with pytest.raises(FourEyesError), Session(store.engine) as s, s.begin():
        decisions.approve(s, decision_id=block_id, actor="alice", at=at)
    with Session(store.engine) as s, s.begin():
        effect = decisions.approve(s, decision_id=block_id, actor="bob", at=at).params["effect"]
        r = decisions.decide_payment(
            s,
            payment_id=again.payment_id,
            outcome="release",
            reason="a different Karim Khan",
            actor="alice",
            at=at,
        )
        decisions.approve(s, decision_id=r.id, actor="bob", at=at)
    with Session(store.engine) as s:
        payment = s.get(Payment, held.payment_id)
        assert payment is not None and payment.status == "blocked" and payment.decision == "hold"
        blocked = s.get(Account, effect["blocked_account"])
        assert blocked is not None and blocked.kind == "blocked" and blocked.balance == payment.amount
        report = s.get(Report, effect["report"])
        assert report is not None and report.kind == "blocked_property"
        assert s.get(Payment, again.payment_id).status == "released"  # type: ignore[union-attr]
        # the person known only from the payment is blocked in its own right, so it can be released later
        [own_block] = blocking.active_blocks(s, effect["owner"])
        assert own_block.entity_id == "icc-khan-karim" and own_block.decision_id == block_id
    with pytest.raises(EnforcementError, match="not held"), Session(store.engine) as s, s.begin():
        decisions.decide_payment(
            s, payment_id=held.payment_id, outcome="reject", reason="too late", actor="x"
        )
    assert audit.verify(store.engine).ok
    store.close()


def test_audit_chain_stays_whole_under_concurrent_writers(db_url: str) -> None:
    """Eight threads appending at once: one chain, no gaps, no duplicate sequence numbers."""
    from concurrent.futures import ThreadPoolExecutor

    store = Store.open(db_url, load_registry=False)

    def write(worker: int) -> None:
        for i in range(10):
            with Session(store.engine) as s, s.begin():
                audit.append(s, actor=f"w{worker}", action="test.write", subject=f"t:{worker}", data={"i": i})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))
    report = audit.verify(store.engine)
    assert report.ok, report.problems
    assert report.records == 80
    store.close()


def _confirm(store: Store, party: str, entity: str, at: datetime) -> None:
    alert = _alert(store, party, entity)
    with Session(store.engine) as s, s.begin():
        d = decisions.decide(
            s, alert_id=alert.id, outcome="true_match", reason="confirmed match", actor="alice", at=at
        )
        decisions.approve(s, decision_id=d.id, actor="bob", at=at)


def test_a_release_needs_a_specific_licence_in_force(bank: Store, tmp_path: Path) -> None:
    _screen(bank, tmp_path, IN_2020)
    _confirm(bank, "C-1002", "icc-bensouda-fatou", IN_2020)
    with Session(bank.engine) as s:
        block_id = blocking.active_blocks(s, "C-1002")[0].id
    # a general licence authorises dealings; it does not unblock property
    with pytest.raises(EnforcementError, match="does not unblock"), Session(bank.engine) as s, s.begin():
        decisions.request_release(
            s,
            block_id=block_id,
            kind="license",
            reason="wind-down",
            actor="alice",
            authority="GL 1",
            at=IN_2020,
        )
    # a number nobody registered is refused, whatever it looks like
    with pytest.raises(EnforcementError, match="not registered"), Session(bank.engine) as s, s.begin():
        decisions.request_release(
            s,
            block_id=block_id,
            kind="license",
            reason="OFAC licence",
            actor="alice",
            authority="ICC-2020-77",
            at=IN_2020,
        )
    # a compliance release (blocked in error) goes through four eyes and returns the funds
    with Session(bank.engine) as s, s.begin():
        d = decisions.request_release(
            s,
            block_id=block_id,
            kind="compliance_release",
            reason="mistaken identity",
            actor="alice",
            authority="OFAC case 2020-1234",
            at=IN_2020,
        )
        decisions.approve(s, decision_id=d.id, actor="bob", at=IN_2020)
    with Session(bank.engine) as s:
        assert s.get(Account, "A-1002").status == "open"  # type: ignore[union-attr]
        assert s.get(Account, "BLK-A-1002").status == "closed"  # type: ignore[union-attr]


def test_joint_accounts_stay_blocked_while_any_holder_is(bank: Store, tmp_path: Path) -> None:
    """A-1004 is held by C-1004 with C-1005 as joint holder: blocking either freezes it."""
    with Session(bank.engine) as s, s.begin():
        for pid, name in (("C-1004", "Fatou Bensouda"), ("C-1005", "Phakiso Mochochoko")):
            party = s.get(Party, pid)
            assert party is not None
            party.name, party.aliases, party.birth_date, party.nationality = name, [], None, None
            party.country = None
            party.updated_at = IN_2020
    _screen(bank, tmp_path, IN_2020, mode="full")
    _confirm(bank, "C-1005", "icc-mochochoko-phakiso", IN_2020)  # the joint holder
    _confirm(bank, "C-1004", "icc-bensouda-fatou", IN_2020)  # the primary holder
    with Session(bank.engine) as s:
        assert s.get(Account, "A-1004").status == "blocked"  # type: ignore[union-attr]
        joint_block = blocking.active_blocks(s, "C-1005")[0].id
        primary_block = blocking.active_blocks(s, "C-1004")[0].id
    # the primary holder's block ends: the joint holder still has an interest, so the funds stay
    with Session(bank.engine) as s, s.begin():
        blocking.release_block(s, block_id=primary_block, kind="delisting", reason="test", actor="bob")
    with Session(bank.engine) as s:
        assert s.get(Account, "A-1004").status == "blocked"  # type: ignore[union-attr]
        assert s.get(Account, "BLK-A-1004").balance == Decimal("100000.00")  # type: ignore[union-attr]
    # the joint holder's ends too: now they come back
    with Session(bank.engine) as s, s.begin():
        blocking.release_block(s, block_id=joint_block, kind="delisting", reason="test", actor="bob")
    with Session(bank.engine) as s:
        a = s.get(Account, "A-1004")
        assert a is not None and a.status == "open" and a.balance >= Decimal("100000.00")


def test_a_blocked_persons_new_account_is_blocked_from_the_start(bank: Store, tmp_path: Path) -> None:
    _screen(bank, tmp_path, IN_2020)
    _confirm(bank, "C-1002", "icc-bensouda-fatou", IN_2020)
    new = tmp_path / "accounts.csv"
    new.write_text("id,owner,currency,balance\nA-1099,C-1002,USD,500.00\n", encoding="utf-8")
    with Session(bank.engine) as s, s.begin():
        import_book(s, parties=None, accounts=new, roles=None, ownership=None, actor="onboarding", at=IN_2020)
    with Session(bank.engine) as s:
        assert s.get(Account, "A-1099").status == "blocked"  # type: ignore[union-attr]
        assert s.get(Account, "BLK-A-1099").balance == Decimal("500.00")  # type: ignore[union-attr]
        assert (
            s.scalars(select(Report).where(Report.subject_id == "BLK-A-1099")).one().kind
            == "blocked_property"
        )


def test_report_deadlines_count_from_the_date_in_washington(bank: Store, tmp_path: Path) -> None:
    # 20:30 Eastern on Friday 2 October 2020 is Saturday in UTC: the block is Friday's
    # (the property of an account opened that evening became blocked that evening, in Washington)
    late = datetime(2020, 10, 3, 0, 30, tzinfo=UTC)
    new = tmp_path / "accounts.csv"
    new.write_text("id,owner,currency,balance\nA-1098,C-1002,USD,500.00\n", encoding="utf-8")
    with Session(bank.engine) as s, s.begin():
        import_book(s, parties=None, accounts=new, roles=None, ownership=None, actor="onboarding", at=late)
    _screen(bank, tmp_path, late)
    _confirm(bank, "C-1002", "icc-bensouda-fatou", late)
    with Session(bank.engine) as s:
        report = s.scalars(select(Report).where(Report.subject_id == "BLK-A-1098")).one()
        assert report.trigger_date.isoformat() == "2020-10-02"
        assert report.due_date.isoformat() == "2020-10-19"  # Columbus Day (12 Oct) is not counted


def test_every_blocked_account_follows_the_policy_rate(bank: Store, tmp_path: Path) -> None:
    """A confirmed match's account and a company blocked by the 50% rule earn the same, the policy's."""
    import dataclasses

    with Session(bank.engine) as s, s.begin():
        lower = dataclasses.replace(preset("us-bank"), interest_rate=Decimal("0.0150"))
        proposed = propose_policy(s, lower, actor="cco", reason="a lower rate for blocked funds")
        decisions.approve(s, decision_id=proposed.id, actor="cro")
        party = s.get(Party, "P-2001")
        assert party is not None
        party.name, party.nationality, party.country = "Phakiso Mochochoko", None, None
        s.execute(
            text(
                "UPDATE ownerships SET owner_id = 'C-1002' WHERE owner_id = 'C-1001' AND owned_id = 'O-3001'"
            )
        )
    _screen(bank, tmp_path, IN_2020, mode="full")
    _confirm(bank, "C-1002", "icc-bensouda-fatou", IN_2020)
    _confirm(bank, "P-2001", "icc-mochochoko-phakiso", IN_2020)
    with Session(bank.engine) as s:
        assert blocking.active_blocks(s, "O-3001")[0].basis == "ownership"
        for account in ("BLK-A-1002", "BLK-A-3001"):
            blocked = s.get(Account, account)
            assert blocked is not None
            assert ledger.effective_rate(s, blocked) == (Decimal("0.0150"), "policy")
