"""Finding 10: blocked property unblocked or transferred is reported to OFAC within 10 business days,
unless an exception of 31 CFR 501.603(b)(3) applies."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from legal_helpers import D, account, block_listed, check_books, party, register_licence
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from proscribe.cli.app import app
from proscribe.enforcement import blocking, decisions, ledger, reports
from proscribe.store import Store
from proscribe.store.casework import Report

BLOCKED = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
#: Wednesday 25 November 2026, 15:00 in Washington; Thanksgiving is Thursday 26 November
RELEASED = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


def _blocked(store: Store, party_id: str = "C-1005", name: str = "John Robert Smith") -> int:
    with Session(store.engine) as s, s.begin():
        party(s, party_id, name)
        account(s, f"A-{party_id}", party_id, "4200.00", at=BLOCKED)
        return block_listed(s, party_id, "icc-khan-karim", "ICC-EO14203", at=BLOCKED).id


def _release(store: Store, block_id: int, kind: str, authority: str | None = None) -> None:
    """One person proposes the release, another approves it (four eyes)."""
    with Session(store.engine) as s, s.begin():
        decision_id = decisions.request_release(
            s,
            block_id=block_id,
            kind=kind,
            reason="see the file",
            actor="alice",
            authority=authority,
            at=RELEASED,
        ).id
    with Session(store.engine) as s, s.begin():
        decisions.approve(s, decision_id=decision_id, actor="bob", at=RELEASED)


def _unblocking(store: Store) -> list[Report]:
    with Session(store.engine) as s:
        return list(s.scalars(select(Report).where(Report.kind == reports.UNBLOCKING).order_by(Report.id)))


def test_a_compliance_release_owes_an_unblocking_report_in_10_business_days(
    store: Store, tmp_path: Path
) -> None:
    """31 CFR 501.603(b)(3) (added by the interim final rule 89 FR 40372 of 10 May 2024, effective
    8 August 2024): a holder that unblocks or transfers blocked property reports it to OFAC within 10
    business days from the date the property is unblocked or transferred. The final rule 89 FR 81358
    (effective 7 November 2024) exempts property unblocked or transferred under a licence that does not
    require the report, property unblocked because OFAC removed the person from the SDN list, and
    transfers between blocked accounts and normal service charges. A compliance release of property
    blocked in error (31 CFR 501.806, a person mistaken for a listed one) is none of these: the report
    is owed. Released on Wednesday 25 November 2026, it is due on Thursday 10 December (Thanksgiving,
    26 November, is not a business day), and it says what was unblocked, with its interest, when it was
    blocked, under what authority, to whom, and which initial report it follows."""
    block_id = _blocked(store)
    _release(store, block_id, "compliance_release", authority="OFAC case COMP-2026-0412")
    [report] = _unblocking(store)
    assert (report.subject_type, report.subject_id) == ("account", "BLK-A-C-1005")
    assert (report.trigger_date, report.due_date) == (date(2026, 11, 25), date(2026, 12, 10))
    assert "31 CFR 501.603(b)(3)" in report.rule
    with Session(store.engine) as s:
        [item] = [i for i in reports.due(s, on=date(2026, 11, 30)) if i.kind == reports.UNBLOCKING]
        assert (item.days_left, item.overdue) == (10, False)
        content = reports.build(s, report.id)
        initial = s.scalars(
            select(Report).where(Report.kind == reports.BLOCKED_PROPERTY, Report.subject_id == "BLK-A-C-1005")
        ).one()
    [prop] = content.to_dict()["sections"]["property"]["items"]
    assert prop["action"] == "unblocked" and prop["account_id"] == "BLK-A-C-1005"
    assert D(prop["amount"]) > D("4200.00")  # returned with its interest
    assert (prop["date_blocked"], prop["date_unblocked"]) == ("2026-09-01", "2026-11-25")
    assert "31 CFR 501.806" in prop["legal_authority"] and "COMP-2026-0412" in prop["legal_authority"]
    assert prop["to"] == "A-C-1005" and prop["initial_report"] == str(initial.id)
    assert content.to_dict()["sections"]["targets"]["items"][0]["entity_id"] == "icc-khan-karim"
    assert content.rule == report.rule and content.due_date == date(2026, 12, 10)

    # the command line lists it where blocking reports appear, and prints it
    cli = CliRunner(env={"PROSCRIBE_DB": str(store.engine.url.render_as_string(hide_password=False))})
    due = cli.invoke(app, ["reports", "due", "--on", "2026-11-30", "--json"])
    assert due.exit_code == 0, due.stderr
    kinds = {(d["kind"], d["due_date"]) for d in json.loads(due.stdout)}
    # the blocking of Tuesday 1 September 2026: ten business days, Labor Day (7 September) skipped
    assert ("unblocking", "2026-12-10") in kinds and ("blocked_property", "2026-09-16") in kinds
    shown = cli.invoke(app, ["reports", "show", str(report.id), "--format", "json"])
    assert shown.exit_code == 0, shown.stderr
    assert (
        json.loads(shown.stdout)["report"]["title"] == "Report of unblocked or transferred blocked property"
    )
    check_books(store.engine)


def test_a_delisting_owes_no_unblocking_report(store: Store) -> None:
    """89 FR 81358 (31 CFR 501.603(b)(3), effective 7 November 2024): no report is required for
    property unblocked because the person was removed from the SDN list. The release is recorded with
    why nothing is owed."""
    block_id = _blocked(store)
    with Session(store.engine) as s, s.begin():
        blocking.release_block(
            s,
            block_id=block_id,
            kind="delisting",
            reason="removed from the SDN list",
            actor="bob",
            at=RELEASED,
        )
    assert _unblocking(store) == []
    with Session(store.engine) as s:
        tx = s.scalars(
            select(ledger.LedgerTransaction).where(ledger.LedgerTransaction.kind == "release")
        ).one()
        assert tx.data["unblocking_report"]["owed"] is False
    check_books(store.engine)


def test_a_licensed_transfer_is_reported_only_when_its_licence_asks(store: Store) -> None:
    """89 FR 81358 (31 CFR 501.603(b)(3)): property unblocked or transferred under a general or
    specific licence needs no report unless the licence itself requires one. A payment of legal fees
    out of a blocked account under a specific licence is a transfer of blocked property: under a
    licence silent on it nothing is owed; under one that requires it, a report on the transaction is
    due 10 business days after the day of the debit in Washington."""
    _blocked(store, "C-1001", "Karim Asad Ahmad Khan")
    register_licence(
        store.engine,
        "ICC-EO14203-1380001-1",
        direction="debit",
        parties=["C-1001"],
        accounts=["BLK-A-C-1001"],
        amount="500.00",
        counterparty="Temple Chambers LLP",
        at=BLOCKED,
    )
    register_licence(
        store.engine,
        "ICC-EO14203-1380002-1",
        direction="debit",
        parties=["C-1001"],
        accounts=["BLK-A-C-1001"],
        amount="700.00",
        counterparty="Temple Chambers LLP",
        unblocking_report=True,
        at=BLOCKED,
    )
    for number, amount in (("ICC-EO14203-1380001-1", "500.00"), ("ICC-EO14203-1380002-1", "700.00")):
        with Session(store.engine) as s, s.begin():
            ledger.withdraw(
                s,
                account_id="BLK-A-C-1001",
                amount=D(amount),
                actor="ops",
                reason="invoice",
                at=RELEASED,
                authority=number,
                payee="Temple Chambers LLP",
            )
    [report] = _unblocking(store)
    assert report.subject_type == "transaction" and report.due_date == date(2026, 12, 10)
    with Session(store.engine) as s:
        [prop] = reports.build(s, report.id).to_dict()["sections"]["property"]["items"]
    assert prop["action"] == "transferred" and prop["amount"] == "700.00"
    assert "ICC-EO14203-1380002-1" in prop["legal_authority"] and prop["to"] == "Temple Chambers LLP"
    check_books(store.engine)


def test_a_release_in_the_evening_counts_from_the_day_in_washington(store: Store) -> None:
    """OFAC counts business days in Washington: a compliance release at 22:30 Eastern on Friday
    4 December 2026 (03:30 UTC on Saturday) is Friday's; ten business days later is Friday
    18 December 2026."""
    block_id = _blocked(store)
    late = datetime(2026, 12, 5, 3, 30, tzinfo=UTC)
    with Session(store.engine) as s, s.begin():
        decision_id = decisions.request_release(
            s,
            block_id=block_id,
            kind="compliance_release",
            reason="error",
            actor="alice",
            authority="OFAC case COMP-2026-0500",
            at=late,
        ).id
    with Session(store.engine) as s, s.begin():
        decisions.approve(s, decision_id=decision_id, actor="bob", at=late)
    [report] = _unblocking(store)
    assert (report.trigger_date, report.due_date) == (date(2026, 12, 4), date(2026, 12, 18))


def test_the_duty_starts_with_the_2024_rule_and_its_exceptions_came_later(store: Store) -> None:
    """31 CFR 501.603(b)(3) took effect on 8 August 2024 (89 FR 40372); a release before then owes no
    unblocking report (EO 13928's revocation released property in April 2021). Its exceptions took
    effect on 7 November 2024 (89 FR 81358): a release after a delisting between those dates was
    reported like any other. Released on Tuesday 10 September 2024, due Tuesday 24 September."""
    early = datetime(2021, 4, 6, 15, 0, tzinfo=UTC)
    interim = datetime(2024, 9, 10, 15, 0, tzinfo=UTC)
    with Session(store.engine) as s, s.begin():
        party(s, "C-1002", "Fatou Bensouda")
        account(s, "A-C-1002", "C-1002", "8300.50", at=datetime(2020, 9, 1, 15, 0, tzinfo=UTC))
        first = block_listed(s, "C-1002", "icc-bensouda-fatou", "ICC-EO13928", at=BLOCKED.replace(year=2020))
        blocking.release_block(
            s, block_id=first.id, kind="compliance_release", reason="error", actor="bob", at=early
        )
        party(s, "C-1003", "Another Person")
        account(s, "A-C-1003", "C-1003", "100.00", at=datetime(2024, 8, 1, 15, 0, tzinfo=UTC))
        second = block_listed(
            s, "C-1003", "icc-khan-karim", "ICC-EO14203", at=datetime(2024, 8, 2, 15, 0, tzinfo=UTC)
        )
        blocking.release_block(
            s, block_id=second.id, kind="delisting", reason="removed", actor="bob", at=interim
        )
    [report] = _unblocking(store)
    assert (report.subject_id, report.trigger_date, report.due_date) == (
        "BLK-A-C-1003",
        date(2024, 9, 10),
        date(2024, 9, 24),
    )
    with Session(store.engine) as s:
        whys = {
            tx.data["unblocking_report"]["why"]
            for tx in s.scalars(
                select(ledger.LedgerTransaction).where(ledger.LedgerTransaction.kind == "release")
            )
        }
    assert any("before 31 CFR 501.603(b)(3) took effect" in w for w in whys)
    check_books(store.engine)
