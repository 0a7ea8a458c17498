"""Reports to regulators: due dates on the federal calendar, the due list, every required field."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli_people import as_, keys_for
from proscribe.cli.app import app
from proscribe.enforcement import audit, decisions, reports
from proscribe.enforcement.errors import EnforcementError, InputError, NotFoundError
from proscribe.enforcement.policy import Institution, preset, propose_policy
from proscribe.store import Store
from proscribe.store.audit import AuditRecord
from proscribe.store.book import Account, Party
from proscribe.store.casework import Block, Payment
from proscribe.store.ledger import LedgerEntry, LedgerTransaction

ACTOR = "officer.a"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
#: when every test account was opened: before any event the tests book
OPENED = datetime(2024, 1, 2, 9, 0, tzinfo=UTC)

RAW_PACS008 = """<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">
<FIToFICstmrCdtTrf><CdtTrfTxInf><PmtId><InstrId>INSTR-77</InstrId></PmtId>
<IntrBkSttlmAmt Ccy="USD">2500.00</IntrBkSttlmAmt>
<Dbtr><Nm>Acme Trading &amp; Co</Nm></Dbtr><Cdtr><Nm>Karim Khan</Nm></Cdtr>
<RmtInf><Ustrd>fees "May" &lt;invoice 12&gt;</Ustrd></RmtInf></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>"""


# --- building a real institution's records ------------------------------------------------------


@pytest.fixture()
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url, load_registry=False)
    yield s
    s.close()


@pytest.fixture()
def session(store: Store) -> Iterator[Session]:
    with Session(store.engine) as s:
        yield s


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def add_party(
    session: Session, pid: str, name: str, address: str | None = "Oude Waalsdorperweg 10, The Hague"
) -> Party:
    party = Party(
        id=pid,
        kind="person",
        name=name,
        aliases=[],
        country="GB",
        address=address,
        birth_date="1970-03-30",
        checksum="0" * 64,
        source="test",
        created_at=T0,
        updated_at=T0,
    )
    session.add(party)
    return party


def add_account(
    session: Session, aid: str, kind: str, owner: str | None, currency: str = "USD", **kw: object
) -> Account:
    account = Account(
        id=aid,
        kind=kind,
        owner_id=owner,
        currency=currency,
        balance=Decimal(0),
        status="blocked" if kind == "blocked" else "open",
        opened_at=OPENED,
        **kw,
    )
    session.add(account)
    session.flush()
    return account


def post(session: Session, kind: str, when: datetime, legs: list[tuple[str, Decimal]], **kw: object) -> None:
    """A balanced ledger transaction; each leg updates its account's balance as the ledger would."""
    assert sum(amount for _, amount in legs) == 0
    tx = LedgerTransaction(kind=kind, at=when, actor=ACTOR, reason=f"test {kind}", data={}, **kw)
    session.add(tx)
    session.flush()
    for account_id, amount in legs:
        account = session.get(Account, account_id)
        assert account is not None
        account.balance = Decimal(account.balance) + amount
        session.add(
            LedgerEntry(
                transaction_id=tx.id,
                account_id=account_id,
                amount=amount,
                currency=account.currency,
                balance_after=account.balance,
            )
        )
    session.flush()


def add_block(session: Session, party: str, when: datetime, **kw: object) -> Block:
    values: dict[str, object] = {
        "basis": "listing",
        "entity_id": "icc-khan-karim",
        "dataset": "proscribe_icc",
        "programs": ["ICC-EO14203"],
        "chain": [],
        "explanation": "confirmed match with the listed ICC Prosecutor",
        "blocked_by": ACTOR,
    }
    values.update(kw)
    block = Block(party_id=party, blocked_at=when, **values)
    session.add(block)
    session.flush()
    return block


def blocked_customer(
    session: Session, pid: str, name: str, amount: str, blocked_on: date, rate: str | None = "0.040000"
) -> Account:
    """A customer whose funds were moved into a blocked interest-bearing account on ``blocked_on``."""
    add_party(session, pid, name)
    session.flush()
    add_account(session, f"{pid}-CUR", "customer", pid)
    post(
        session,
        "opening",
        T0.replace(year=2024),
        [(f"{pid}-CUR", Decimal(amount)), ("BANK", -Decimal(amount))],
    )
    add_block(session, pid, at(blocked_on, 9))
    blocked = add_account(
        session,
        f"{pid}-BLK",
        "blocked",
        pid,
        source_account_id=f"{pid}-CUR",
        interest_rate=Decimal(rate) if rate else None,
    )
    post(session, "block", at(blocked_on), [(f"{pid}-CUR", -Decimal(amount)), (blocked.id, Decimal(amount))])
    return blocked


def add_payment(session: Session, decision: str = "reject", **kw: object) -> Payment:
    values: dict[str, object] = {
        "message_type": "pacs.008",
        "reference": "INSTR-77",
        "received_at": at(date(2025, 6, 13), 14),
        "value_date": date(2025, 6, 13),
        "amount": Decimal("2500.00"),
        "currency": "USD",
        "debtor": "Acme Trading & Co, 5 Harbour Road, Limassol, CY",
        "creditor": "Karim Khan, The Hague, NL",
        "status": "rejected",
        "rule": "31 CFR 528.201; EO 14203 sec. 3 (services to a listed person)",
        "reasons": ["Cdtr/Nm matches icc-khan-karim (0.97)"],
        "hits": [
            {
                "entity_id": "icc-khan-karim",
                "name": "Karim Asad Ahmad KHAN",
                "dataset": "proscribe_icc",
                "programs": ["ICC-EO14203"],
                "field": "Cdtr/Nm",
                "score": 0.97,
            }
        ],
        "stripping": [],
        "raw": RAW_PACS008,
        "actor": ACTOR,
    }
    values.update(kw)
    payment = Payment(decision=decision, **values)
    session.add(payment)
    session.flush()
    return payment


@pytest.fixture()
def book(session: Session) -> Session:
    """The bank's own account, the counterpart of openings and interest."""
    add_account(session, "BANK", "internal", None)
    return session


# --- due dates ----------------------------------------------------------------------------------


def test_due_dates_across_weekends_and_federal_holidays(book: Session) -> None:
    session = book
    cases = [
        # Wednesday before Thanksgiving (26 Nov 2026): the holiday is skipped, the Friday after counts
        ("T1", date(2026, 11, 25), date(2026, 12, 10)),
        # Monday before Christmas (Fri 25 Dec 2026) and New Year's Day (Fri 1 Jan 2027)
        ("T2", date(2026, 12, 21), date(2027, 1, 6)),
        # between Christmas and New Year
        ("T3", date(2026, 12, 30), date(2027, 1, 14)),
        # blocked on a Saturday: the count starts on Monday
        ("T4", date(2026, 3, 7), date(2026, 3, 20)),
        # the 2025 closures by executive order alone (24 and 26 December) are counted: the earlier,
        # safer deadline (part 501 does not define a business day); Christmas and New Year's Day are not
        ("T5", date(2025, 12, 22), date(2026, 1, 7)),
    ]
    for pid, blocked_on, expected in cases:
        account = blocked_customer(session, pid, f"Customer {pid}", "100.00", blocked_on)
        report = reports.record_due(
            session,
            kind="blocked_property",
            subject_type="account",
            subject_id=account.id,
            trigger=blocked_on,
            actor=ACTOR,
        )
        assert report.due_date == expected, pid
        assert "501.603" in report.rule and report.status == "due"

    # a transaction rejected on Friday 13 June 2025: Juneteenth (Thursday 19 June) is skipped
    payment = add_payment(session)
    rejected = reports.record_due(
        session,
        kind="rejected_transaction",
        subject_type="payment",
        subject_id=str(payment.id),
        trigger=date(2025, 6, 13),
        actor=ACTOR,
    )
    assert rejected.due_date == date(2025, 6, 30) and "501.604" in rejected.rule

    # the Blocking Statute counts 30 calendar days, weekends and holidays included (14 Feb 2026 is a Saturday)
    block = add_block(session, "T1", at(date(2026, 1, 15)))
    notice = reports.record_due(
        session,
        kind="blocking_statute_notice",
        subject_type="block",
        subject_id=str(block.id),
        trigger=date(2026, 1, 15),
        actor=ACTOR,
    )
    assert notice.due_date == date(2026, 2, 14) and "2271/96" in notice.rule
    session.commit()
    engine = session.get_bind()
    assert isinstance(engine, Engine) and audit.verify(engine).ok


def test_record_due_is_idempotent_and_validated(book: Session) -> None:
    session = book
    account = blocked_customer(session, "C1", "Karim Khan", "100.00", date(2026, 3, 2))
    first = reports.record_due(
        session,
        kind="blocked_property",
        subject_type="account",
        subject_id=account.id,
        trigger=date(2026, 3, 2),
        actor=ACTOR,
    )
    again = reports.record_due(
        session,
        kind="blocked_property",
        subject_type="account",
        subject_id=account.id,
        trigger=date(2026, 3, 2),
        actor="other",
    )
    session.commit()
    assert again.id == first.id and again.trigger_date == date(2026, 3, 2)
    # blocked again on another day (released and blocked again): a new report is owed
    later = reports.record_due(
        session,
        kind="blocked_property",
        subject_type="account",
        subject_id=account.id,
        trigger=date(2026, 3, 3),
        actor="other",
    )
    assert later.id != first.id and later.due_date == date(2026, 3, 17)
    session.rollback()
    assert (
        session.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "report.due")
        )
        == 1
    )
    record = session.scalars(select(AuditRecord).where(AuditRecord.action == "report.due")).one()
    assert record.subject == f"report:{first.id}" and record.actor == ACTOR
    assert record.data["due_date"] == "2026-03-16"

    with pytest.raises(InputError, match="kind"):
        reports.record_due(
            session,
            kind="monthly",
            subject_type="account",
            subject_id=account.id,
            trigger=date(2026, 3, 2),
            actor=ACTOR,
        )
    with pytest.raises(InputError, match="subject_type"):
        reports.record_due(
            session,
            kind="rejected_transaction",
            subject_type="account",
            subject_id=account.id,
            trigger=date(2026, 3, 2),
            actor=ACTOR,
        )
    with pytest.raises(NotFoundError, match="no payment 999"):
        reports.record_due(
            session,
            kind="rejected_transaction",
            subject_type="payment",
            subject_id="999",
            trigger=date(2026, 3, 2),
            actor=ACTOR,
        )
    with pytest.raises(InputError, match="kind 'customer'"):
        reports.record_due(
            session,
            kind="blocked_property",
            subject_type="account",
            subject_id="C1-CUR",
            trigger=date(2026, 3, 2),
            actor=ACTOR,
        )
    with pytest.raises(ValueError, match="timezone"):
        reports.record_due(
            session,
            kind="blocked_property",
            subject_type="account",
            subject_id=account.id,
            trigger=date(2026, 3, 2),
            actor=ACTOR,
            at=datetime(2026, 3, 2, 9),
        )


def test_due_list_overdue_and_filed(book: Session) -> None:
    session = book
    a1 = blocked_customer(session, "C1", "Karim Khan", "100.00", date(2026, 3, 2))  # due 2026-03-16
    payment = add_payment(session, received_at=at(date(2026, 3, 10)))
    r1 = reports.record_due(
        session,
        kind="blocked_property",
        subject_type="account",
        subject_id=a1.id,
        trigger=date(2026, 3, 2),
        actor=ACTOR,
    )
    r2 = reports.record_due(
        session,
        kind="rejected_transaction",
        subject_type="payment",
        subject_id=str(payment.id),
        trigger=date(2026, 3, 10),
        actor=ACTOR,
    )
    session.commit()
    assert r2.due_date == date(2026, 3, 24)

    items = reports.due(session, on=date(2026, 3, 17))
    assert [(i.report_id, i.overdue, i.days_left) for i in items] == [(r1.id, True, -1), (r2.id, False, 7)]
    on_the_day = reports.due(session, on=date(2026, 3, 16))
    assert on_the_day[0].overdue is False and on_the_day[0].days_left == 0

    reports.mark_filed(session, r1.id, actor="officer.b", at=at(date(2026, 3, 13)), reference="ORS-2026-0042")
    session.commit()
    assert [i.report_id for i in reports.due(session, on=date(2026, 3, 17))] == [r2.id]
    everything = reports.due(session, on=date(2026, 3, 17), include_filed=True)
    filed = next(i for i in everything if i.report_id == r1.id)
    assert filed.status == "filed" and not filed.overdue and filed.reference == "ORS-2026-0042"
    assert filed.to_dict()["filed_at"].startswith("2026-03-13")

    with pytest.raises(EnforcementError, match=r"already filed on 2026-03-13 by officer\.b"):
        reports.mark_filed(session, r1.id, actor="officer.b")
    with pytest.raises(NotFoundError):
        reports.mark_filed(session, 9999, actor="officer.b")
    rec = session.scalars(select(AuditRecord).where(AuditRecord.action == "report.filed")).one()
    assert rec.actor == "officer.b" and rec.data["reference"] == "ORS-2026-0042"


# --- the annual report from the ledger ----------------------------------------------------------


def annual_book(session: Session) -> None:
    """Three blocked accounts: held over 30 June 2025, blocked after it, released before it."""
    held = blocked_customer(session, "H1", "Karim Khan", "1000.00", date(2025, 3, 10))
    post(
        session,
        "interest",
        at(date(2025, 6, 30), 23),
        [(held.id, Decimal("3.25")), ("BANK", Decimal("-3.25"))],
    )
    post(session, "interest", at(date(2025, 7, 31)), [(held.id, Decimal("3.40")), ("BANK", Decimal("-3.40"))])
    post(
        session,
        "release",
        at(date(2025, 8, 1)),
        [(held.id, Decimal("-1006.65")), ("H1-CUR", Decimal("1006.65"))],
    )
    blocked_customer(session, "L1", "Late Blocked Ltd", "500.00", date(2025, 7, 5), rate=None)
    gone = blocked_customer(session, "G1", "Gone Before June", "70.00", date(2025, 2, 3))
    post(
        session, "release", at(date(2025, 5, 1)), [(gone.id, Decimal("-70.00")), ("G1-CUR", Decimal("70.00"))]
    )
    session.commit()


def test_annual_report_reads_balances_on_30_june(book: Session) -> None:
    session = book
    annual_book(session)
    content = reports.annual(session, 2025)
    assert (content.trigger_date, content.due_date) == (date(2025, 6, 30), date(2025, 9, 30))
    props = content.to_dict()["sections"]["properties"]["items"]
    # only H1 was held on 30 June; its value includes the interest booked that evening (to 29 June)
    # and the interest accrued on 30 June itself, not yet credited: 1003.25 x 4% / 365 = 0.11
    # (31 CFR 501.603(b)(2): the value as of 30 June, accrued interest included)
    assert [p["account_id"] for p in props] == ["H1-BLK"]
    p = props[0]
    assert p["value"] == "1003.36" and p["currency"] == "USD"
    assert (p["balance_booked"], p["interest_accrued"]) == ("1003.25", "0.11")
    assert p["date_blocked"] == "2025-03-10" and p["owner_name"] == "Karim Khan"
    assert p["interest_rate"] == "0.04" and p["source_account"] == "H1-CUR"
    assert p["targets"] == "icc-khan-karim" and p["programs"] == "ICC-EO14203"
    summary = content.to_dict()["sections"]["summary"]
    assert summary["count"] == "1" and summary["totals"] == "1003.36 USD" and summary["as_of"] == "2025-06-30"
    assert content.missing == []

    # 2026: L1 is still held on 30 June 2026 (blocked 5 July 2025, no interest credited)
    props26 = reports.annual(session, 2026).to_dict()["sections"]["properties"]["items"]
    # nothing credited, but 5 July 2025 to 30 June 2026 (361 days) accrued at the default 4%:
    # 500.00 x 0.04 x 361 / 365 = 19.78
    assert [(p["account_id"], p["value"], p["balance_booked"]) for p in props26] == [
        ("L1-BLK", "519.78", "500.00")
    ]
    # 2024: nothing held
    assert reports.annual(session, 2024).to_dict()["sections"]["properties"]["items"] == []


def test_annual_report_in_due_list_until_filed(book: Session) -> None:
    session = book
    annual_book(session)
    assert [i.kind for i in reports.due(session, on=date(2025, 6, 29))] == []
    july = reports.due(session, on=date(2025, 7, 1))
    assert [(i.kind, i.subject_id, i.due_date, i.days_left, i.report_id) for i in july] == [
        ("annual_blocked_property", "2025", date(2025, 9, 30), 91, None)
    ]
    later = reports.due(session, on=date(2026, 10, 1))
    assert [(i.subject_id, i.overdue) for i in later] == [("2025", True), ("2026", True)]

    row = reports.record_annual(session, 2025, actor=ACTOR, at=at(date(2025, 9, 1)))
    assert reports.record_annual(session, 2025, actor=ACTOR).id == row.id
    reports.mark_filed(session, row.id, actor="officer.b", at=at(date(2025, 9, 2)), reference="ARBP-2025")
    session.commit()
    assert [i.subject_id for i in reports.due(session, on=date(2026, 10, 1))] == ["2026"]
    assert reports.build(session, row.id).to_dict()["sections"]["summary"]["reference"] == "ARBP-2025"
    with pytest.raises(EnforcementError, match="no blocked property was held on 2024-06-30"):
        reports.record_annual(session, 2024, actor=ACTOR)


# --- every required field, in every format ------------------------------------------------------

BLOCKED_REQUIRED = {
    "filer": {"name", "address", "country", "contact"},
    "filing": {"report_id", "trigger_date", "due_date", "status"},
    "owner": {"name", "address", "country"},
    "property": {
        "description",
        "account_id",
        "account_name",
        "currency",
        "amount_blocked",
        "balance",
        "interest_bearing",
        "interest_rate",
        "date_blocked",
        "location",
    },
    "targets": {"entity_id", "dataset", "programs", "basis", "explanation"},
    "transaction": {"type", "date", "reason"},
}

REJECTED_REQUIRED = {
    "filer": {"name", "address", "country", "contact"},
    "transaction": {"type", "reference", "date", "amount", "currency"},
    "parties": {"role", "details"},
    "targets": {"entity_id", "name", "programs"},
    "rejection": {"date_rejected", "legal_authority"},
    "instructions": {"raw"},
}


def parse_csv(text: str) -> dict[tuple[str, str], list[str]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and list(rows[0]) == list(reports.CSV_COLUMNS)
    out: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        out.setdefault((row["section"], row["field"]), []).append(row["value"])
    return out


def check_formats(
    content: reports.ReportContent, required: dict[str, set[str]]
) -> tuple[dict[str, Any], dict[tuple[str, str], list[str]], str]:
    as_json = json.loads(reports.render(content, "json"))
    as_csv = parse_csv(reports.render(content, "csv"))
    as_html = reports.render(content, "html")
    for section, keys in required.items():
        body = as_json["sections"][section]
        rows = body.get("items", [body])
        assert rows, section
        for key in keys:
            for row in rows:
                assert row[key] not in (None, ""), f"{section}.{key} empty in JSON"
            assert all(v != "" for v in as_csv[(section, key)]), f"{section}.{key} empty in CSV"
            assert as_csv[(section, key)] == [str(r[key]) for r in rows]
            assert f'data-field="{section}.{key}"' in as_html, f"{section}.{key} not in HTML"
    assert as_json["report"]["due_date"] == content.due_date.isoformat()
    assert as_csv[("report", "due_date")] == [content.due_date.isoformat()]
    assert "CONFIDENTIAL" in as_html and "501.603(a)(2)" in as_html
    assert "<script" not in as_html.lower() and "@media print" in as_html and "break-after: page" in as_html
    return as_json, as_csv, as_html


def test_blocked_property_report_fields(book: Session) -> None:
    session = book
    account = blocked_customer(session, "C1", "Karim Khan", "1250.50", date(2026, 3, 2))
    post(
        session,
        "interest",
        at(date(2026, 3, 31)),
        [(account.id, Decimal("4.1234")), ("BANK", Decimal("-4.1234"))],
    )
    report = reports.record_due(
        session,
        kind="blocked_property",
        subject_type="account",
        subject_id=account.id,
        trigger=date(2026, 3, 2),
        actor=ACTOR,
    )
    session.commit()
    content = reports.build(session, report.id)
    assert content.missing == []
    as_json, as_csv, as_html = check_formats(content, BLOCKED_REQUIRED)
    prop = as_json["sections"]["property"]["items"][0]
    assert prop["amount_blocked"] == "1250.50" and prop["balance"] == "1254.6234"
    assert prop["date_blocked"] == "2026-03-02" and prop["interest_rate"] == "0.04"
    assert "Example National Bank" in prop["location"]  # the default (US bank) policy's institution
    assert as_json["sections"]["filer"]["name"] == "Example National Bank"
    assert as_json["sections"]["targets"]["items"][0]["entity_id"] == "icc-khan-karim"
    assert as_csv[("owner", "name")] == ["Karim Khan"]
    assert "Karim Khan" in as_html and "1254.6234" in as_html


def test_blocked_payment_carries_the_instructions(book: Session) -> None:
    session = book
    add_party(session, "C9", "Karim Khan")
    session.flush()
    payment = add_payment(session, decision="block", status="blocked")
    blocked = add_account(session, "C9-BLK", "blocked", "C9", interest_rate=Decimal("0.04"))
    post(
        session,
        "block",
        payment.received_at,
        [("BANK", Decimal("-2500.00")), (blocked.id, Decimal("2500.00"))],
        payment_id=payment.id,
    )
    add_block(session, "C9", payment.received_at.replace(hour=8))
    report = reports.record_due(
        session,
        kind="blocked_property",
        subject_type="payment",
        subject_id=str(payment.id),
        trigger=date(2025, 6, 13),
        actor=ACTOR,
    )
    session.commit()
    content = reports.build(session, report.id)
    as_json, as_csv, _ = check_formats(
        content, {**BLOCKED_REQUIRED, "transaction": {"type", "amount", "date"}}
    )
    assert as_json["sections"]["instructions"]["raw"] == RAW_PACS008
    assert as_csv[("instructions", "raw")] == [RAW_PACS008]
    assert as_json["sections"]["property"]["items"][0]["account_id"] == "C9-BLK"


def test_rejected_transaction_report_fields(book: Session) -> None:
    session = book
    payment = add_payment(session)
    report = reports.record_due(
        session,
        kind="rejected_transaction",
        subject_type="payment",
        subject_id=str(payment.id),
        trigger=date(2025, 6, 13),
        actor=ACTOR,
    )
    session.commit()
    content = reports.build(session, report.id)
    assert content.missing == []
    as_json, as_csv, as_html = check_formats(content, REJECTED_REQUIRED)
    # a copy of the original instructions, byte for byte in JSON and CSV, escaped (not interpreted) in HTML
    assert as_json["sections"]["instructions"]["raw"] == RAW_PACS008
    assert as_csv[("instructions", "raw")] == [RAW_PACS008]
    assert "&lt;Document xmlns=" in as_html and "<Document" not in as_html
    assert as_json["sections"]["rejection"]["legal_authority"].startswith("31 CFR 528.201")
    assert as_json["sections"]["rejection"]["date_rejected"] == "2025-06-13"
    assert as_json["sections"]["transaction"]["amount"] == "2500.00"
    assert as_json["report"]["due_date"] == "2025-06-30"
    assert [p["details"] for p in as_json["sections"]["parties"]["items"]] == [
        payment.debtor,
        payment.creditor,
    ]


def test_blocking_statute_notice_and_missing_fields_named(book: Session) -> None:
    session = book
    add_party(session, "C1", "Karim Khan", address=None)
    session.flush()
    block = add_block(session, "C1", at(date(2026, 1, 15)))
    # an EU bank that has not filled in its contact: the report names the gap instead of hiding it
    policy = preset("eu-bank")
    policy = dataclasses.replace(
        policy, institution=Institution(name="Voorbeeld Bank N.V.", address="Damrak 1", country="NL")
    )
    proposed = propose_policy(session, policy, actor=ACTOR, reason="the EU bank's policy")
    decisions.approve(session, decision_id=proposed.id, actor="second-officer")
    report = reports.record_due(
        session,
        kind="blocking_statute_notice",
        subject_type="block",
        subject_id=str(block.id),
        trigger=date(2026, 1, 15),
        actor=ACTOR,
    )
    session.commit()
    content = reports.build(session, report.id)
    assert content.regulator == "European Commission"
    assert set(content.missing) == {"filer.contact", "customer.address"}
    data = json.loads(reports.render(content, "json"))
    assert data["missing"] == content.missing
    effect = data["sections"]["effect"]
    assert effect["foreign_measures"] == "ICC-EO14203" and effect["date_affected"] == "2026-01-15"
    assert (
        data["sections"]["filer"]["name"] == "Voorbeeld Bank N.V."
        and data["sections"]["filer"]["contact"] is None
    )
    page = reports.render(content, "html")
    assert "filer.contact" in page and "CONFIDENTIAL" in page
    assert page.count("missing: required") == 2  # the contact and the customer's address, not the empty note
    rows = parse_csv(reports.render(content, "csv"))
    assert sorted(rows[("missing", "field")]) == ["customer.address", "filer.contact"]
    with pytest.raises(InputError, match="format"):
        reports.render(content, "pdf")


def test_annual_report_formats(book: Session) -> None:
    session = book
    annual_book(session)
    content = reports.annual(session, 2025)
    check_formats(
        content,
        {
            "filer": {"name", "address", "contact"},
            "summary": {"as_of", "count", "totals"},
            "properties": {
                "account_id",
                "owner_name",
                "value",
                "currency",
                "date_blocked",
                "targets",
                "programs",
                "location",
            },
        },
    )
    page = reports.render_html([content, reports.annual(session, 2026)])
    assert page.count('<article class="report">') == 2 and page.count("CONFIDENTIAL") == 2


# --- the command line ---------------------------------------------------------------------------


def test_cli_due_show_filed_annual(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store.open(url, load_registry=False)
    with Session(store.engine) as session:
        add_account(session, "BANK", "internal", None)
        annual_book(session)
        account = blocked_customer(session, "C1", "Karim Khan", "100.00", date(2026, 11, 25))
        report = reports.record_due(
            session,
            kind="blocked_property",
            subject_type="account",
            subject_id=account.id,
            trigger=date(2026, 11, 25),
            actor=ACTOR,
        )
        session.commit()
        report_id = report.id
    store.close()
    cli = CliRunner(env={"PROSCRIBE_DB": url})
    officer = as_(keys_for(url, **{"officer.b": "approver"})["officer.b"])

    result = cli.invoke(app, ["reports", "due", "--on", "2026-12-11", "--json"])
    assert result.exit_code == 0, result.stderr
    due = json.loads(result.stdout)
    assert [(d["kind"], d["due_date"], d["overdue"]) for d in due] == [
        ("annual_blocked_property", "2025-09-30", True),
        ("annual_blocked_property", "2026-09-30", True),
        ("blocked_property", "2026-12-10", True),
    ]
    table = cli.invoke(app, ["reports", "due", "--on", "2026-12-01"])
    assert table.exit_code == 0 and "2026-12-10" in table.stdout and "overdue" in table.stdout

    out = tmp_path / "r.html"
    shown = cli.invoke(app, ["reports", "show", str(report_id), "--format", "html", "--out", str(out)])
    assert shown.exit_code == 0, shown.stderr
    assert "CONFIDENTIAL" in out.read_text() and "Karim Khan" in out.read_text()
    as_csv = cli.invoke(app, ["reports", "show", str(report_id), "--format", "csv"])
    assert parse_csv(as_csv.stdout)[("property", "amount_blocked")] == ["100.00"]
    bad = cli.invoke(app, ["reports", "show", str(report_id), "--format", "pdf"])
    assert bad.exit_code == 2 and "--format" in bad.stderr
    assert cli.invoke(app, ["reports", "show", "999"]).exit_code == 1

    annual = cli.invoke(app, ["reports", "annual", "2025", "--format", "json"])
    assert json.loads(annual.stdout)["sections"]["properties"]["items"][0]["value"] == "1003.36"

    filed = cli.invoke(
        app, ["reports", "filed", str(report_id), "--reference", "ORS-1", "--json"], env=officer
    )
    assert filed.exit_code == 0, filed.stderr
    assert json.loads(filed.stdout)["status"] == "filed"
    again = cli.invoke(app, ["reports", "filed", str(report_id)], env=officer)
    assert again.exit_code == 1 and "already filed" in again.stderr
    filed_annual = cli.invoke(app, ["reports", "filed", "--annual", "2025"], env=officer)
    assert filed_annual.exit_code == 0, filed_annual.stderr
    left = json.loads(cli.invoke(app, ["reports", "due", "--on", "2026-12-11", "--json"]).stdout)
    assert [(d["kind"], d["subject_id"]) for d in left] == [("annual_blocked_property", "2026")]
    assert re.search(r"give a report id", cli.invoke(app, ["reports", "filed"]).stderr)


def test_end_to_end_with_the_ledger_and_blocking(store: Store) -> None:
    """A real blocking (blocking.block_party -> ledger.block_funds -> record_due) reported from the ledger."""
    from proscribe.enforcement import blocking, ledger

    with Session(store.engine) as session:
        add_party(session, "C1", "Karim Khan")
        session.flush()
        ledger.open_account(
            session,
            account_id="C1-CUR",
            owner_id="C1",
            currency="USD",
            opening_balance=Decimal("5000.00"),
            actor=ACTOR,
            at=at(date(2025, 1, 10)),
        )
        # Wednesday 11 June 2025: ten business days, Juneteenth skipped, end on Thursday 26 June
        blocking.block_party(
            session,
            party_id="C1",
            basis="listing",
            explanation="confirmed match with icc-khan-karim",
            actor=ACTOR,
            at=at(date(2025, 6, 11)),
            entity_id="icc-khan-karim",
            dataset="proscribe_icc",
            programs=["ICC-EO14203"],
            interest_rate=Decimal("0.04"),
        )
        ledger.accrue_all(session, until=at(date(2025, 6, 30), 12), actor=ACTOR)
        session.commit()

        [item] = reports.due(session, on=date(2025, 6, 20))
        assert (item.kind, item.due_date, item.days_left) == ("blocked_property", date(2025, 6, 26), 6)
        content = reports.build(session, item.report_id or 0)
        assert content.missing == []
        data = content.to_dict()["sections"]
        [prop] = data["property"]["items"]
        assert prop["amount_blocked"] == "5000.00" and prop["date_blocked"] == "2025-06-11"
        assert prop["source_account"] == "C1-CUR" and prop["interest_rate"] == "0.04"
        assert data["targets"]["items"][0]["entity_id"] == "icc-khan-karim"

        [held] = reports.annual(session, 2025).to_dict()["sections"]["properties"]["items"]
        # simple interest on 5000.00 at 4% for 11..29 June (19 days, actual/365) = 10.41 credited;
        # 30 June accrued, not yet credited: 5010.41 x 4% / 365 + the 0.000959 carried = 0.55
        assert (held["balance_booked"], held["interest_accrued"]) == ("5010.41", "0.55")
        assert (held["value"], held["date_blocked"], held["owner_name"]) == (
            "5010.96",
            "2025-06-11",
            "Karim Khan",
        )
        assert [i.kind for i in reports.due(session, on=date(2025, 7, 1))] == [
            "blocked_property",
            "annual_blocked_property",
        ]


def test_csv_cells_from_a_payment_message_cannot_be_formulas(book: Session) -> None:
    """Names from a payment message reach the report's CSV as text, never as a spreadsheet formula.

    OWASP's rule for CSV injection: a cell starting with = + - @ tab or CR gets a leading quote. A
    plain number, negative ones included, is left as it is (a spreadsheet reads it as that number).
    """
    session = book
    formula = '=HYPERLINK("http://x","y")'
    payment = add_payment(
        session,
        debtor=formula,
        creditor="@SUM(1+1)*cmd|' /C calc'!A0",
        reference="+INSTR-1",
        amount=Decimal("-2500.00"),
    )
    report = reports.record_due(
        session,
        kind="rejected_transaction",
        subject_type="payment",
        subject_id=str(payment.id),
        trigger=date(2025, 6, 13),
        actor=ACTOR,
    )
    session.commit()
    content = reports.build(session, report.id)
    text = reports.render(content, "csv")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") and c != "-2500.00"]
    assert not [c for c in cells if c.startswith("-") and c != "-2500.00"]
    details = parse_csv(text)[("parties", "details")]
    assert details == ["'" + formula, "'@SUM(1+1)*cmd|' /C calc'!A0"]
    assert parse_csv(text)[("transaction", "amount")] == ["-2500.00"]  # a number stays a number
    # JSON and HTML carry the text as it came (HTML escapes it; JSON is not a spreadsheet)
    parties = json.loads(reports.render(content, "json"))["sections"]["parties"]["items"]
    assert parties[0]["details"] == formula
