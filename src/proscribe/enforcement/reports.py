"""Reports owed to regulators: what is due when, and the content of each report, built from the store.

Three reports follow an event, one follows the calendar:

* ``blocked_property``: property became blocked; due within 10 business days (31 CFR 501.603(b)(1)).
* ``rejected_transaction``: a transaction was rejected; due within 10 business days (31 CFR 501.604).
* ``unblocking``: blocked property was unblocked or transferred; due within 10 business days
  (31 CFR 501.603(b)(3), since 8 August 2024), except for property unblocked or transferred under a
  licence that does not require the report, unblocked because OFAC removed the person from the SDN
  list, or moved between blocked accounts or debited for normal service charges (89 FR 81358).
  ``ledger.unblocking_report`` decides, and the ledger records it with the release.
* ``blocking_statute_notice``: an EU operator's economic or financial interests were affected by a
  listed foreign law; the Commission is to be told within 30 days (Council Regulation (EC) 2271/96,
  Art. 2). Counted in calendar days, with no roll-forward over weekends: the earlier, safer date.
* ``annual_blocked_property``: blocked property held on 30 June, due by 30 September
  (31 CFR 501.603(b)(2)). Owed for every year in which the ledger shows blocked property on 30 June,
  whether or not anyone recorded it, so ``due()`` derives it from the ledger rather than from rows.

Dates come from ``deadlines`` (the federal business-day calendar); nothing here counts business days.
A report's content is gathered when it is built, not when it falls due, so it shows the facts the
store holds at filing time (a balance with interest, a block's programs) and names any field the
rule asks for that the store cannot supply (``ReportContent.missing``), so nobody files a report
with a silent gap. Reports are privileged and confidential (31 CFR 501.603(a)(2)); every rendering
says so. See docs/reports.md for the fields and the rules behind them.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

import jinja2
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from proscribe import csvsafe
from proscribe.enforcement import audit, ledger
from proscribe.enforcement.clock import aware, now
from proscribe.enforcement.deadlines import (
    annual_blocked_property_report,
    blocked_property_report,
    rejected_transaction_report,
    unblocking_report,
)
from proscribe.enforcement.errors import EnforcementError, InputError, NotFoundError
from proscribe.labels import say_field
from proscribe.store.book import Account, Party
from proscribe.store.casework import Alert, Block, Payment, Report
from proscribe.store.ledger import LedgerEntry, LedgerTransaction

BLOCKED_PROPERTY = "blocked_property"
REJECTED_TRANSACTION = "rejected_transaction"
BLOCKING_STATUTE_NOTICE = "blocking_statute_notice"
ANNUAL = "annual_blocked_property"
UNBLOCKING = "unblocking"

#: which subjects each event-driven report can be about
SUBJECTS: dict[str, frozenset[str]] = {
    BLOCKED_PROPERTY: frozenset({"account", "payment", "block"}),
    REJECTED_TRANSACTION: frozenset({"payment"}),
    # a blocked account released, or a ledger transaction that transferred blocked property
    UNBLOCKING: frozenset({"account", "transaction"}),
    # an alert: a confirmed match not complied with (nothing blocked) is still an affected interest
    BLOCKING_STATUTE_NOTICE: frozenset({"account", "payment", "block", "alert"}),
}

#: EU Blocking Statute, Art. 2: the Commission is informed within 30 days
BLOCKING_STATUTE_DAYS = 30
BLOCKING_STATUTE_RULE = (
    "Council Regulation (EC) No 2271/96, Art. 2: inform the Commission within 30 days "
    "of the date the operator's economic or financial interests were affected"
)

TITLES = {
    BLOCKED_PROPERTY: "Report of blocked property",
    REJECTED_TRANSACTION: "Report of rejected transaction",
    BLOCKING_STATUTE_NOTICE: "Notification to the European Commission (Blocking Statute, Art. 2)",
    ANNUAL: "Annual report of blocked property",
    UNBLOCKING: "Report of unblocked or transferred blocked property",
}

CONFIDENTIAL = (
    "CONFIDENTIAL. Reports filed with OFAC are regarded as privileged and confidential "
    "(31 CFR 501.603(a)(2))."
)
#: the EU notice is not an OFAC filing, but it names a customer and a sanctions measure all the same
CONFIDENTIAL_EU = "CONFIDENTIAL. Names a customer and the sanctions measures applied to them; restricted."

Format = Literal["csv", "json", "html"]


# --- what is due when ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    """One report owed: by when, how many days are left, whether it is late or filed."""

    report_id: int | None
    kind: str
    subject_type: str
    subject_id: str
    trigger_date: date
    due_date: date
    rule: str
    status: str  # due | filed
    days_left: int
    overdue: bool
    filed_at: datetime | None = None
    reference: str | None = None

    @property
    def title(self) -> str:
        return TITLES.get(self.kind, self.kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "kind": self.kind,
            "title": self.title,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "trigger_date": self.trigger_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "rule": self.rule,
            "status": self.status,
            "days_left": self.days_left,
            "overdue": self.overdue,
            "filed_at": self.filed_at.isoformat() if self.filed_at else None,
            "reference": self.reference,
        }


def _due_date(kind: str, trigger: date) -> tuple[date, str]:
    if kind == BLOCKED_PROPERTY:
        deadline = blocked_property_report(trigger)
        return deadline.due, deadline.rule
    if kind == REJECTED_TRANSACTION:
        deadline = rejected_transaction_report(trigger)
        return deadline.due, deadline.rule
    if kind == UNBLOCKING:
        deadline = unblocking_report(trigger)
        return deadline.due, deadline.rule
    if kind == BLOCKING_STATUTE_NOTICE:
        return trigger + timedelta(days=BLOCKING_STATUTE_DAYS), BLOCKING_STATUTE_RULE
    raise InputError(f"report kind: {kind!r} is not one of {', '.join(sorted(SUBJECTS))}")


def _check_subject(session: Session, subject_type: str, subject_id: str) -> None:
    """The subject must exist (and an account must be a blocked one): a report about nothing is refused."""
    if subject_type == "account":
        account = session.get(Account, subject_id)
        if account is None:
            raise NotFoundError(f"no account {subject_id!r}")
        if account.kind != "blocked":
            raise InputError(
                f"account {subject_id!r}: a blocked-property report is about a blocked account, "
                f"and this one is of kind {account.kind!r}"
            )
    elif subject_type in ("payment", "block", "alert", "transaction"):
        table = {"payment": Payment, "block": Block, "alert": Alert, "transaction": LedgerTransaction}[
            subject_type
        ]
        try:
            key = int(subject_id)
        except ValueError:
            raise InputError(f"subject_id: a {subject_type} id is a number, not {subject_id!r}") from None
        if session.get(table, key) is None:
            raise NotFoundError(f"no {subject_type} {subject_id}")


def _lock_reports(session: Session) -> None:
    """Serialise writers of reports on PostgreSQL.

    The reports table has no unique key on (kind, subject), so two concurrent ``record_due`` calls
    could both find nothing and both insert. Every writer here also appends to the audit trail,
    whose head row it must lock anyway; taking that lock *before* looking makes the look and the
    insert one step. (SQLite serialises writers by itself.)
    """
    audit.lock(session)


def _find(
    session: Session, kind: str, subject_type: str, subject_id: str, trigger: date | None = None
) -> Report | None:
    query = (
        select(Report)
        .where(Report.kind == kind, Report.subject_type == subject_type, Report.subject_id == subject_id)
        .order_by(Report.id)
        .limit(1)
    )
    if trigger is not None:
        query = query.where(Report.trigger_date == trigger)
    return session.execute(query).scalar_one_or_none()


def record_due(
    session: Session,
    *,
    kind: str,
    subject_type: str,
    subject_id: str,
    trigger: date,
    actor: str,
    at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> Report:
    """Record that a report is owed, with its due date; the same (kind, subject, trigger) twice gives
    the same row, while the same subject blocked again on another day (an account released and
    blocked again years later) owes a new report.

    Called in the caller's transaction, next to the blocking or rejection that triggered it, so the
    duty to report is committed with the act or not at all.
    """
    at = aware(at)
    if kind not in SUBJECTS:
        raise InputError(f"report kind: {kind!r} is not one of {', '.join(sorted(SUBJECTS))}")
    if subject_type not in SUBJECTS[kind]:
        raise InputError(
            f"subject_type: a {kind} report is about "
            f"{' or '.join(sorted(SUBJECTS[kind]))}, not {subject_type!r}"
        )
    if isinstance(trigger, datetime) or not isinstance(trigger, date):
        raise InputError(f"trigger: a date is needed, not {trigger!r}")
    subject_id = str(subject_id)
    _check_subject(session, subject_type, subject_id)
    _lock_reports(session)
    existing = _find(session, kind, subject_type, subject_id, trigger)
    if existing is not None:
        return existing
    due_date, rule = _due_date(kind, trigger)
    report = Report(
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        trigger_date=trigger,
        due_date=due_date,
        rule=rule,
        status="due",
        data=audit._canonical(data or {}),
        created_at=at,
    )
    session.add(report)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="report.due",
        subject=f"report:{report.id}",
        data={
            "kind": kind,
            "subject": f"{subject_type}:{subject_id}",
            "trigger_date": trigger.isoformat(),
            "due_date": due_date.isoformat(),
            "rule": rule,
        },
        at=at,
    )
    return report


def record_annual(session: Session, year: int, *, actor: str, at: datetime | None = None) -> Report:
    """The row for one year's annual report (so it can be marked filed); refused if nothing was held."""
    at = aware(at)
    if not _holdings(session, date(year, 6, 30)):
        raise EnforcementError(
            f"no blocked property was held on {year}-06-30: no annual report is owed for {year}"
        )
    _lock_reports(session)
    existing = _find(session, ANNUAL, "year", str(year))
    if existing is not None:
        return existing
    deadline = annual_blocked_property_report(year)
    report = Report(
        kind=ANNUAL,
        subject_type="year",
        subject_id=str(year),
        trigger_date=deadline.event_date,
        due_date=deadline.due,
        rule=deadline.rule,
        status="due",
        data={},
        created_at=at,
    )
    session.add(report)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="report.due",
        subject=f"report:{report.id}",
        data={"kind": ANNUAL, "subject": f"year:{year}", "due_date": deadline.due.isoformat()},
        at=at,
    )
    return report


def mark_filed(
    session: Session, report_id: int, *, actor: str, at: datetime | None = None, reference: str | None = None
) -> Report:
    """Record that a report was filed (with the regulator's reference, if any); it leaves the due list."""
    at = aware(at)
    report = session.get(Report, report_id, with_for_update=True)
    if report is None:
        raise NotFoundError(f"no report {report_id}")
    if report.status == "filed":
        raise EnforcementError(
            f"report {report_id} was already filed on {report.filed_at:%Y-%m-%d} by {report.filed_by}"
            if report.filed_at
            else f"report {report_id} was already filed"
        )
    report.status = "filed"
    report.filed_at = at
    report.filed_by = actor
    # the table has no column for the regulator's reference: it is kept with the report's data
    report.data = {**(report.data or {}), "filing_reference": reference}
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="report.filed",
        subject=f"report:{report.id}",
        data={
            "kind": report.kind,
            "subject": f"{report.subject_type}:{report.subject_id}",
            "reference": reference,
        },
        at=at,
    )
    return report


def _item(report: Report, on: date) -> DueItem:
    filed = report.status == "filed"
    return DueItem(
        report_id=report.id,
        kind=report.kind,
        subject_type=report.subject_type,
        subject_id=report.subject_id,
        trigger_date=report.trigger_date,
        due_date=report.due_date,
        rule=report.rule,
        status=report.status,
        days_left=(report.due_date - on).days,
        overdue=not filed and on > report.due_date,
        filed_at=report.filed_at,
        reference=(report.data or {}).get("filing_reference"),
    )


def due(session: Session, *, on: date | None = None, include_filed: bool = False) -> list[DueItem]:
    """Every report owed as of ``on`` (today by default), soonest first, with days left and overdue flags.

    The annual report appears for every year whose 30 June is on or before ``on`` and on which the
    ledger shows blocked property, whether or not a row was ever recorded for it.
    """
    on = on or now().date()
    rows = list(session.execute(select(Report).order_by(Report.due_date, Report.id)).scalars())
    items = [_item(r, on) for r in rows if r.kind != ANNUAL and (include_filed or r.status != "filed")]
    annual_rows = {r.subject_id: r for r in rows if r.kind == ANNUAL}
    for year in _years_with_holdings(session, on):
        row = annual_rows.get(str(year))
        if row is not None:
            if include_filed or row.status != "filed":
                items.append(_item(row, on))
            continue
        deadline = annual_blocked_property_report(year)
        items.append(
            DueItem(
                report_id=None,
                kind=ANNUAL,
                subject_type="year",
                subject_id=str(year),
                trigger_date=deadline.event_date,
                due_date=deadline.due,
                rule=deadline.rule,
                status="due",
                days_left=(deadline.due - on).days,
                overdue=on > deadline.due,
            )
        )
    items.sort(key=lambda i: (i.due_date, i.report_id or 0, i.kind))
    return items


# --- the ledger: blocked property and when it was blocked --------------------------------------


def _end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC): what was booked before it counts as held that day."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _holdings(session: Session, on: date) -> list[ledger.Holding]:
    """Blocked accounts holding money at the end of ``on``, read from the ledger entries."""
    return ledger.blocked_holdings(session, on=on)


def _years_with_holdings(session: Session, on: date) -> list[int]:
    first = session.execute(
        select(func.min(LedgerTransaction.at))
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(Account, Account.id == LedgerEntry.account_id)
        .where(Account.kind == "blocked")
    ).scalar()
    if first is None:
        return []
    last_year = on.year if on >= date(on.year, 6, 30) else on.year - 1
    return [y for y in range(first.year, last_year + 1) if _holdings(session, date(y, 6, 30))]


def _blocking_transaction(session: Session, account_id: str) -> LedgerTransaction | None:
    """The first ledger movement that put funds into a blocked account: the blocking."""
    query = (
        select(LedgerTransaction)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerEntry.account_id == account_id, LedgerEntry.amount > 0)
        .order_by(LedgerTransaction.at, LedgerTransaction.id)
    )
    rows = list(session.execute(query).scalars())
    for tx in rows:
        if tx.kind == "block":
            return tx
    return rows[0] if rows else None


def _credit(session: Session, tx: LedgerTransaction, account_id: str) -> Decimal | None:
    amount = session.execute(
        select(func.sum(LedgerEntry.amount)).where(
            LedgerEntry.transaction_id == tx.id, LedgerEntry.account_id == account_id
        )
    ).scalar()
    return None if amount is None else Decimal(amount)


# --- content ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One item of a report: a stable key, a human label, the value as text (None: not known)."""

    key: str
    label: str
    value: str | None
    #: the rule asks for it (an empty required field is listed in ``ReportContent.missing``)
    required: bool = True


@dataclass
class Section:
    """A part of a report. A repeating section (parties, targets, properties) has one row per item."""

    key: str
    title: str
    rows: list[list[Field]] = field(default_factory=list)
    repeating: bool = False


@dataclass
class ReportContent:
    """Everything a report must say, gathered from the store at ``generated_at``."""

    report_id: int | None
    kind: str
    title: str
    rule: str
    regulator: str
    trigger_date: date
    due_date: date
    status: str
    generated_at: datetime
    sections: list[Section]
    #: required fields the store could not supply, as "section.field"
    missing: list[str] = field(default_factory=list)

    @property
    def confidential(self) -> str:
        return CONFIDENTIAL_EU if self.kind == BLOCKING_STATUTE_NOTICE else CONFIDENTIAL

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def header(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "kind": self.kind,
            "title": self.title,
            "regulator": self.regulator,
            "rule": self.rule,
            "trigger_date": self.trigger_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "status": self.status,
            "generated_at": self.generated_at.isoformat(),
            "confidential": self.confidential,
        }

    def to_dict(self) -> dict[str, Any]:
        sections: dict[str, Any] = {}
        for s in self.sections:
            rows = [{f.key: f.value for f in row} for row in s.rows]
            sections[s.key] = (
                {"title": s.title, "items": rows} if s.repeating else {"title": s.title, **rows[0]}
            )
        return {"report": self.header(), "sections": sections, "missing": list(self.missing)}


class _Builder:
    """Collects sections and notes which required values are absent."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.missing: list[str] = []

    def add(
        self,
        key: str,
        title: str,
        rows: list[list[tuple[str, str, Any]]],
        *,
        repeating: bool = False,
        optional: frozenset[str] = frozenset(),
    ) -> None:
        out: list[list[Field]] = []
        for index, row in enumerate(rows, start=1):
            fields = []
            for fkey, label, value in row:
                text = _text(value)
                if text is None and fkey not in optional:
                    self.missing.append(f"{key}[{index}].{fkey}" if repeating else f"{key}.{fkey}")
                fields.append(Field(fkey, label, text, fkey not in optional))
            out.append(fields)
        if not repeating and not out:
            out = [[]]
        self.sections.append(Section(key, title, out, repeating))


def _money(value: Decimal | None) -> str | None:
    """A Decimal as text: two places when that loses nothing, else all the places stored."""
    if value is None:
        return None
    value = Decimal(value)
    cents = value.quantize(Decimal("0.01"))
    if cents == value:
        return f"{cents:f}"
    return f"{value.normalize():f}"


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return _money(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        parts = [p for p in (_text(v) for v in value) if p]
        return "; ".join(parts) if parts else None
    if isinstance(value, dict):
        return json.dumps(audit._canonical(value), sort_keys=True, ensure_ascii=False)
    return str(value)


def _institution(session: Session) -> dict[str, str]:
    """The filer (holder of the property) from the jurisdiction policy in force."""
    from proscribe.enforcement.policy import load_policy

    institution = load_policy(session).institution
    return {k: v for k, v in asdict(institution).items() if isinstance(v, str)}


def _filer_rows(session: Session) -> list[list[tuple[str, str, Any]]]:
    inst = _institution(session)
    return [
        [
            ("name", "Name of the person filing (the holder)", inst.get("name")),
            ("address", "Address", inst.get("address")),
            ("country", "Country", inst.get("country")),
            (
                "contact",
                "Contact person and telephone number for compliance information",
                inst.get("contact"),
            ),
            ("identifier", "Institution identifier", inst.get("identifier")),
        ]
    ]


_FILER_OPTIONAL = frozenset({"identifier"})


def _party_rows(party: Party | None, role: str) -> list[tuple[str, str, Any]]:
    return [
        ("role", "Role", role),
        ("party_id", "Customer id", party.id if party else None),
        ("name", "Name", party.name if party else None),
        ("kind", "Person or organisation", party.kind if party else None),
        ("address", "Address", party.address if party else None),
        ("country", "Country", party.country if party else None),
        ("birth_date", "Date of birth", party.birth_date if party else None),
        ("id_number", "Identification number", party.id_number if party else None),
    ]


_PARTY_OPTIONAL = frozenset({"birth_date", "id_number", "kind", "party_id"})


def _blocks_in_force(session: Session, party_id: str | None, on: date) -> list[Block]:
    """The owner's blocks in force on ``on``: the sanctions targets whose interest blocked the property."""
    if party_id is None:
        return []
    cutoff = _end_of(on)
    rows = session.execute(select(Block).where(Block.party_id == party_id).order_by(Block.id)).scalars()
    return [b for b in rows if b.blocked_at < cutoff and (b.released_at is None or b.released_at >= cutoff)]


def _target_rows(blocks: list[Block]) -> list[list[tuple[str, str, Any]]]:
    return [
        [
            ("block_id", "Block", b.id),
            ("basis", "Basis (listing, or 50 percent ownership)", b.basis),
            ("entity_id", "Listed entity id", b.entity_id),
            ("dataset", "List", b.dataset),
            ("programs", "Sanctions programs", b.programs),
            ("ownership_chain", "Ownership chain (50 percent rule)", _chain_text(b.chain)),
            ("explanation", "Why blocked", b.explanation),
            ("blocked_at", "Blocked at", b.blocked_at),
            ("blocked_by", "Blocked by", b.blocked_by),
        ]
        for b in blocks
    ]


def _chain_text(chain: list[Any]) -> str | None:
    """The 50 percent rule's chain in words: ``C-1002 owns 35% (listed: icc-bensouda-fatou); P-2001
    owns 25% (...)``, an owner blocked by the rule itself followed by its own owners in brackets.
    (Each link is stored as a mapping: it was written out as JSON.)"""
    if not chain:
        return None
    parts = []
    for link in chain:
        if isinstance(link, dict):
            text = f"{link.get('owner')} owns {link.get('share')}% ({link.get('basis')})"
            via = _chain_text(list(link.get("via") or []))
            parts.append(f"{text}, itself owned by: [{via}]" if via else text)
        elif isinstance(link, (list, tuple)):
            parts.append(" -> ".join(str(x) for x in link))
        else:
            parts.append(_text(link) or "")
    return "; ".join(parts)


_TARGET_OPTIONAL = frozenset({"entity_id", "dataset", "ownership_chain", "blocked_by"})


def _hit_rows(hits: list[Any]) -> list[list[tuple[str, str, Any]]]:
    """The listed persons a payment matched (its associated sanctions targets)."""
    rows = []
    for hit in hits:
        if not isinstance(hit, dict):
            rows.append([("entity_id", "Listed entity id", None), ("name", "Name", hit)])
            continue
        rows.append(
            [
                ("entity_id", "Listed entity id", hit.get("entity_id") or hit.get("id")),
                ("name", "Name", hit.get("name") or hit.get("caption") or hit.get("matched_name")),
                ("dataset", "List", hit.get("dataset")),
                ("programs", "Sanctions programs", hit.get("programs")),
                ("field", "Message field matched", hit.get("field") or hit.get("tag")),
                ("score", "Match score", hit.get("score")),
            ]
        )
    return rows


_HIT_OPTIONAL = frozenset({"dataset", "programs", "field", "score", "entity_id"})


def _payment_rows(payment: Payment) -> list[list[tuple[str, str, Any]]]:
    return [
        [
            ("payment_id", "Payment", payment.id),
            ("type", "Type of transaction", f"funds transfer ({payment.message_type})"),
            ("reference", "Reference", payment.reference),
            ("date", "Date of the transaction", payment.value_date or payment.received_at.date()),
            ("received_at", "Received at", payment.received_at),
            ("amount", "Amount", payment.amount),
            ("currency", "Currency", payment.currency),
            ("decision", "Decision", payment.decision),
            ("status", "Status", payment.status),
            ("license", "Licence relied on", payment.license),
        ]
    ]


def _payment_party_rows(payment: Payment) -> list[list[tuple[str, str, Any]]]:
    return [
        [
            ("role", "Role", "originator (debtor / ordering customer)"),
            ("details", "Name and address", payment.debtor),
        ],
        [("role", "Role", "beneficiary (creditor)"), ("details", "Name and address", payment.creditor)],
    ]


def _account_rows(session: Session, account: Account) -> tuple[list[tuple[str, str, Any]], date | None]:
    """A blocked account as property: what, where, how much, since when."""
    owner = session.get(Party, account.owner_id) if account.owner_id else None
    tx = _blocking_transaction(session, account.id)
    blocked_on = tx.at.date() if tx else None
    amount = _credit(session, tx, account.id) if tx else None
    rate, rate_source = ledger.effective_rate(session, account)
    rows: list[tuple[str, str, Any]] = [
        ("description", "Description of the property", f"funds held in blocked account {account.id}"),
        ("account_id", "Blocked account", account.id),
        ("account_name", "Account held in the name of", owner.name if owner else None),
        ("source_account", "Account the funds were blocked from", account.source_account_id),
        ("currency", "Currency", account.currency),
        ("amount_blocked", "Amount blocked", amount),
        ("balance", "Current balance (with interest)", account.balance),
        ("interest_bearing", "Interest-bearing", rate > 0),
        ("interest_rate", "Annual interest rate", rate),
        ("interest_rate_source", "Rate set by", rate_source),
        ("date_blocked", "Date the property was blocked", blocked_on),
        ("account_status", "Account status", account.status),
    ]
    return rows, blocked_on


_ACCOUNT_OPTIONAL = frozenset({"source_account", "interest_rate", "account_status"})


def _location_rows(session: Session) -> list[tuple[str, str, Any]]:
    inst = _institution(session)
    return [("location", "Location of the property", _text([inst.get("name"), inst.get("address")]))]


def _header(report: Report, regulator: str, builder: _Builder, at: datetime) -> ReportContent:
    return ReportContent(
        report_id=report.id,
        kind=report.kind,
        title=TITLES.get(report.kind, report.kind),
        rule=report.rule,
        regulator=regulator,
        trigger_date=report.trigger_date,
        due_date=report.due_date,
        status=report.status,
        generated_at=at,
        sections=builder.sections,
        missing=builder.missing,
    )


def _filing_rows(report: Report) -> list[list[tuple[str, str, Any]]]:
    return [
        [
            ("report_id", "Report", report.id),
            ("trigger_date", "Date of the event", report.trigger_date),
            ("due_date", "Due", report.due_date),
            ("status", "Status", report.status),
            ("filed_at", "Filed at", report.filed_at),
            ("filed_by", "Filed by", report.filed_by),
            ("reference", "Filing reference", (report.data or {}).get("filing_reference")),
            ("note", "Note", (report.data or {}).get("note")),
        ]
    ]


_FILING_OPTIONAL = frozenset({"filed_at", "filed_by", "reference", "note"})


def build(session: Session, report_id: int) -> ReportContent:
    """Everything the rule asks the report to say, read from the store now."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFoundError(f"no report {report_id}")
    if report.kind == ANNUAL:
        return annual(session, int(report.subject_id))
    at = now()
    b = _Builder()
    b.add("filer", "Filer", _filer_rows(session), optional=_FILER_OPTIONAL)
    b.add("filing", "Report", _filing_rows(report), optional=_FILING_OPTIONAL)
    if report.kind == BLOCKED_PROPERTY:
        _blocked_property(session, report, b)
        regulator = "OFAC (US Treasury), through the OFAC Reporting System"
    elif report.kind == REJECTED_TRANSACTION:
        _rejected_transaction(session, report, b)
        regulator = "OFAC (US Treasury), through the OFAC Reporting System"
    elif report.kind == UNBLOCKING:
        _unblocking(session, report, b)
        regulator = "OFAC (US Treasury), through the OFAC Reporting System (optional form TD F 93.10)"
    elif report.kind == BLOCKING_STATUTE_NOTICE:
        _blocking_statute(session, report, b)
        regulator = "European Commission"
    else:
        raise EnforcementError(f"report {report_id}: unknown kind {report.kind!r}")
    return _header(report, regulator, b, at)


def _subject_payment(session: Session, report: Report) -> Payment:
    payment = session.get(Payment, int(report.subject_id))
    if payment is None:
        raise NotFoundError(f"report {report.id}: payment {report.subject_id} is not in the store")
    return payment


def _blocked_account_of_payment(session: Session, payment: Payment) -> Account | None:
    query = (
        select(Account)
        .join(LedgerEntry, LedgerEntry.account_id == Account.id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.payment_id == payment.id, Account.kind == "blocked")
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


def _blocked_property(session: Session, report: Report, b: _Builder) -> None:
    """31 CFR 501.603(b)(1): holder, transaction, targets, property, date blocked, instructions."""
    payment: Payment | None = None
    accounts: list[Account] = []
    owner_id: str | None = None
    if report.subject_type == "account":
        account = session.get(Account, report.subject_id)
        if account is None:
            raise NotFoundError(f"report {report.id}: account {report.subject_id} is not in the store")
        accounts = [account]
        owner_id = account.owner_id
        tx = _blocking_transaction(session, account.id)
        if tx is not None and tx.payment_id is not None:
            payment = session.get(Payment, tx.payment_id)
    elif report.subject_type == "payment":
        payment = _subject_payment(session, report)
        account = _blocked_account_of_payment(session, payment)
        accounts = [account] if account else []
        owner_id = account.owner_id if account else None
    else:  # block: the owner's blocked accounts
        block = session.get(Block, int(report.subject_id))
        if block is None:
            raise NotFoundError(f"report {report.id}: block {report.subject_id} is not in the store")
        owner_id = block.party_id
        accounts = list(
            session.execute(
                select(Account)
                .where(Account.owner_id == owner_id, Account.kind == "blocked")
                .order_by(Account.id)
            ).scalars()
        )
    owner = session.get(Party, owner_id) if owner_id else None
    b.add("owner", "Owner of the blocked property", [_party_rows(owner, "owner")], optional=_PARTY_OPTIONAL)

    property_rows = []
    for account in accounts:
        rows, _ = _account_rows(session, account)
        property_rows.append(rows + _location_rows(session))
    if not property_rows and payment is not None:
        property_rows.append(
            [
                ("description", "Description of the property", f"funds of payment {payment.reference}"),
                ("currency", "Currency", payment.currency),
                ("amount_blocked", "Amount blocked", payment.amount),
                ("date_blocked", "Date the property was blocked", report.trigger_date),
                *_location_rows(session),
            ]
        )
    if not property_rows:
        b.missing.append("property: no blocked account holds this property")
    b.add("property", "Blocked property", property_rows, repeating=True, optional=_ACCOUNT_OPTIONAL)

    targets = _blocks_in_force(session, owner_id, report.trigger_date)
    target_rows = _target_rows(targets)
    if not target_rows and payment is not None:
        target_rows = _hit_rows(list(payment.hits or []))
    if not target_rows:
        b.missing.append("targets: no sanctions target recorded for this property")
    b.add(
        "targets",
        "Associated sanctions targets",
        target_rows,
        repeating=True,
        optional=_TARGET_OPTIONAL | _HIT_OPTIONAL,
    )

    if payment is not None:
        b.add(
            "transaction",
            "Transaction associated with the blocking",
            _payment_rows(payment),
            optional=_PAY_OPT,
        )
        b.add("parties", "Parties to the transaction", _payment_party_rows(payment), repeating=True)
        b.add(
            "instructions", "Copy of the payment instructions", [[("raw", "Original message", payment.raw)]]
        )
    else:
        tx = _blocking_transaction(session, accounts[0].id) if accounts else None
        b.add(
            "transaction",
            "Transaction associated with the blocking",
            [
                [
                    ("type", "Type of transaction", f"ledger {tx.kind}" if tx else None),
                    ("date", "Date of the transaction", tx.at.date() if tx else None),
                    ("reason", "Reason recorded", tx.reason if tx else None),
                    ("authority", "Authority", tx.authority if tx else None),
                    ("actor", "Recorded by", tx.actor if tx else None),
                ]
            ],
            optional=frozenset({"authority"}),
        )


_PAY_OPT = frozenset({"license", "received_at"})


def _rejected_transaction(session: Session, report: Report, b: _Builder) -> None:
    """31 CFR 501.604(b): submitter, transaction and parties, targets, authority, date, instructions."""
    payment = _subject_payment(session, report)
    b.add("transaction", "Rejected transaction", _payment_rows(payment), optional=_PAY_OPT)
    b.add("parties", "Parties to the transaction", _payment_party_rows(payment), repeating=True)
    hit_rows = _hit_rows(list(payment.hits or []))
    b.add("targets", "Associated sanctions targets", hit_rows, repeating=True, optional=_HIT_OPTIONAL)
    b.add(
        "rejection",
        "Rejection",
        [
            [
                ("date_rejected", "Date the transaction was rejected", report.trigger_date),
                ("legal_authority", "Legal authority under which it was rejected", payment.rule),
                ("reasons", "Reasons", [_text(r) for r in payment.reasons or []]),
                ("decided_by", "Decided by", payment.actor),
            ]
        ],
        optional=frozenset({"reasons"}),
    )
    b.add("instructions", "Copy of the payment instructions", [[("raw", "Original message", payment.raw)]])


def _blocking_statute(session: Session, report: Report, b: _Builder) -> None:
    """Reg. 2271/96 Art. 2: what happened, to whom, under which foreign measure, and the effect."""
    owner_id: str | None = None
    programs: list[Any] = []
    description = None
    if report.subject_type == "alert":
        alert = session.get(Alert, int(report.subject_id))
        if alert is None:
            raise NotFoundError(f"report {report.id}: alert {report.subject_id} is not in the store")
        owner_id, programs = alert.party_id, list(alert.evidence.get("programs") or [])
        description = (
            f"confirmed match with {alert.entity_id} ({alert.dataset}); "
            f"{(report.data or {}).get('conflict', 'not complied with')}"
        )
    elif report.subject_type == "block":
        block = session.get(Block, int(report.subject_id))
        if block is None:
            raise NotFoundError(f"report {report.id}: block {report.subject_id} is not in the store")
        owner_id, programs = block.party_id, list(block.programs or [])
        description = f"property of the customer blocked ({block.basis}): {block.explanation}"
    elif report.subject_type == "account":
        account = session.get(Account, report.subject_id)
        if account is None:
            raise NotFoundError(f"report {report.id}: account {report.subject_id} is not in the store")
        owner_id = account.owner_id
        blocks = _blocks_in_force(session, owner_id, report.trigger_date)
        programs = sorted({p for blk in blocks for p in (blk.programs or [])})
        description = f"funds placed in blocked account {account.id}"
    else:
        payment = _subject_payment(session, report)
        for hit in payment.hits or []:
            if isinstance(hit, dict):
                programs.extend(hit.get("programs") or [])
        programs = sorted(set(map(str, programs)))
        description = (
            f"payment {payment.reference} ({payment.amount} {payment.currency}) {payment.decision}ed"
        )
        b.add("transaction", "Transaction concerned", _payment_rows(payment), optional=_PAY_OPT)
    owner = session.get(Party, owner_id) if owner_id else None
    b.add("customer", "Person concerned", [_party_rows(owner, "customer")], optional=_PARTY_OPTIONAL)
    b.add(
        "effect",
        "How the operator's economic or financial interests are affected",
        [
            [
                ("date_affected", "Date the interests were affected", report.trigger_date),
                ("foreign_measures", "Foreign measures (programs) applied", programs),
                ("description", "What was done", description),
                ("note", "Further information", (report.data or {}).get("note")),
            ]
        ],
        optional=frozenset({"note"}),
    )


_RELEASE_AUTHORITY = {
    "delisting": "removal of the person from the list (31 CFR 501.807)",
    "ownership_change": "the blocked owner's removal from the list: the 50 percent rule no longer reaches it",
    "license": "specific licence",
    "compliance_release": "compliance release of property blocked in error (31 CFR 501.806)",
}


def _unblocking_transaction(session: Session, report: Report) -> LedgerTransaction:
    """The ledger transaction that unblocked or transferred the property the report is about."""
    tx_id = (report.data or {}).get("transaction")
    if report.subject_type == "transaction":
        tx_id = int(report.subject_id)
    tx = session.get(LedgerTransaction, int(tx_id)) if tx_id is not None else None
    if tx is None and report.subject_type == "account":
        tx = session.execute(
            select(LedgerTransaction)
            .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
            .where(
                LedgerEntry.account_id == report.subject_id,
                LedgerEntry.amount < 0,
                LedgerTransaction.kind == "release",
            )
            .order_by(LedgerTransaction.at.desc(), LedgerTransaction.id.desc())
            .limit(1)
        ).scalar_one_or_none()
    if tx is None:
        raise NotFoundError(
            f"report {report.id}: the ledger holds no transaction that unblocked its property"
        )
    return tx


def _unblocking(session: Session, report: Report, b: _Builder) -> None:
    """31 CFR 501.603(b)(3)(ii) (OFAC's optional form TD F 93.10): the holder before the release, each
    property unblocked or transferred (what, whose, how much, blocked when, released when, under what
    authority, to whom) and the initial report of its blocking."""
    tx = _unblocking_transaction(session, report)
    entries = list(
        session.execute(
            select(LedgerEntry, Account)
            .join(Account, Account.id == LedgerEntry.account_id)
            .where(LedgerEntry.transaction_id == tx.id)
            .order_by(LedgerEntry.id)
        ).all()
    )
    debited = [
        (e, a) for e, a in entries if e.amount < 0 and (a.kind == "blocked" or a.id == report.subject_id)
    ]
    credited = [a.id for e, a in entries if e.amount > 0]
    data = tx.data or {}
    release_kind = data.get("release_kind")
    action = "unblocked" if tx.kind == "release" else "transferred"
    authority = _RELEASE_AUTHORITY.get(str(release_kind)) if release_kind else None
    if tx.authority:
        authority = f"{authority}: {tx.authority}" if authority else f"specific licence {tx.authority}"
    owner_id = debited[0][1].owner_id if debited else None
    owner = session.get(Party, owner_id) if owner_id else None
    b.add("owner", "Owner of the property", [_party_rows(owner, "owner")], optional=_PARTY_OPTIONAL)
    rows = []
    for entry, account in debited:
        first = _blocking_transaction(session, account.id)
        initial = _find(session, BLOCKED_PROPERTY, "account", account.id)
        rows.append(
            [
                ("action", "Action", action),
                ("description", "Description of the property", f"funds held in blocked account {account.id}"),
                ("account_id", "Blocked account", account.id),
                ("account_name", "Account held in the name of", owner.name if owner else None),
                ("currency", "Currency", entry.currency),
                ("amount", "Amount unblocked or transferred (interest included)", -Decimal(entry.amount)),
                ("date_blocked", "Date the property was blocked", first.at.date() if first else None),
                ("date_unblocked", "Date unblocked or transferred", report.trigger_date),
                ("legal_authority", "Authority for the unblocking or transfer", authority),
                (
                    "to",
                    "Released or transferred to",
                    data.get("destination") or data.get("payee") or credited,
                ),
                ("initial_report", "Initial report of the blocking", initial.id if initial else None),
                (
                    "initial_report_reference",
                    "Its filing reference",
                    (initial.data or {}).get("filing_reference") if initial else None,
                ),
                ("why_reported", "Why this report is owed", (report.data or {}).get("why")),
                *_location_rows(session),
            ]
        )
    if not rows:
        b.missing.append("property: the transaction debited no blocked account")
    b.add(
        "property",
        "Property unblocked or transferred",
        rows,
        repeating=True,
        optional=frozenset({"initial_report", "initial_report_reference", "account_name"}),
    )
    blocks = (
        [
            blk
            for blk in session.execute(
                select(Block).where(Block.party_id == owner_id).order_by(Block.id)
            ).scalars()
            if blk.blocked_at <= tx.at and (blk.released_at is None or blk.released_at >= tx.at)
        ]
        if owner_id
        else []
    )
    b.add(
        "targets",
        "Associated sanctions targets",
        _target_rows(blocks),
        repeating=True,
        optional=_TARGET_OPTIONAL,
    )
    b.add(
        "transaction",
        "Transaction that unblocked or transferred the property",
        [
            [
                ("transaction_id", "Ledger transaction", tx.id),
                ("type", "Type of transaction", f"ledger {tx.kind}"),
                ("at", "Time", tx.at),
                ("reason", "Reason recorded", tx.reason),
                ("authority", "Authority", tx.authority),
                ("actor", "Recorded by", tx.actor),
            ]
        ],
        optional=frozenset({"authority"}),
    )


def annual(session: Session, year: int) -> ReportContent:
    """The annual report of blocked property held on 30 June ``year`` (31 CFR 501.603(b)(2)), due 30 Sept."""
    at = now()
    deadline = annual_blocked_property_report(year)
    held_on = deadline.event_date
    holdings = _holdings(session, held_on)
    row = _find(session, ANNUAL, "year", str(year))
    b = _Builder()
    b.add(
        "filer", "Part A: the holder of the blocked property", _filer_rows(session), optional=_FILER_OPTIONAL
    )
    # the value on 30 June includes the interest accrued by the end of that day, credited or not
    accrued = {h.account_id: ledger.accrued_interest(session, h.account_id, on=held_on) for h in holdings}
    totals: dict[str, Decimal] = {}
    for h in holdings:
        totals[h.currency] = totals.get(h.currency, Decimal(0)) + h.balance + accrued[h.account_id]
    b.add(
        "summary",
        "Part A: summary",
        [
            [
                ("as_of", "Blocked property held as of", held_on),
                ("count", "Number of blocked properties", len(holdings)),
                (
                    "totals",
                    "Total value by currency",
                    [f"{_money(v)} {c}" for c, v in sorted(totals.items())],
                ),
                ("status", "Status", row.status if row else "due"),
                ("filed_at", "Filed at", row.filed_at if row else None),
                ("reference", "Filing reference", (row.data or {}).get("filing_reference") if row else None),
            ]
        ],
        optional=frozenset({"totals", "filed_at", "reference"}),
    )
    properties = []
    location = _location_rows(session)[0][2]
    for h in holdings:
        owner = session.get(Party, h.owner_id) if h.owner_id else None
        blocks = _blocks_in_force(session, h.owner_id, held_on)
        properties.append(
            [
                ("account_id", "Blocked account", h.account_id),
                ("description", "Description of the property", "funds in a blocked account"),
                ("owner_name", "Owner (account held in the name of)", h.owner_name),
                ("owner_address", "Owner's address", owner.address if owner else None),
                ("owner_country", "Owner's country", owner.country if owner else None),
                ("targets", "Sanctions targets", [blk.entity_id or f"block {blk.id}" for blk in blocks]),
                (
                    "programs",
                    "Sanctions programs",
                    sorted({p for blk in blocks for p in (blk.programs or [])}),
                ),
                ("location", "Location of the property", location),
                ("currency", "Currency", h.currency),
                (
                    "value",
                    f"Value on {held_on.isoformat()} (accrued interest included)",
                    h.balance + accrued[h.account_id],
                ),
                ("balance_booked", "Balance booked", h.balance),
                ("interest_accrued", "Interest accrued, not yet credited", accrued[h.account_id]),
                ("interest_rate", "Annual interest rate", h.interest_rate),
                ("date_blocked", "Date the property was blocked", h.blocked_on),
                ("source_account", "Account the funds were blocked from", h.source_account_id),
            ]
        )
    b.add(
        "properties",
        "Part B: blocked property",
        properties,
        repeating=True,
        optional=frozenset({"owner_address", "owner_country", "source_account", "interest_rate"}),
    )
    return ReportContent(
        report_id=row.id if row else None,
        kind=ANNUAL,
        title=f"{TITLES[ANNUAL]} held on {held_on.isoformat()}",
        rule=deadline.rule,
        regulator="OFAC (US Treasury), through the OFAC Reporting System (form TD F 90-22.50)",
        trigger_date=held_on,
        due_date=deadline.due,
        status=row.status if row else "due",
        generated_at=at,
        sections=b.sections,
        missing=b.missing,
    )


# --- rendering ----------------------------------------------------------------------------------

CSV_COLUMNS = ("section", "item", "field", "label", "value")


def render(content: ReportContent, fmt: str) -> str:
    """The report as text to read on a screen, CSV (one row per field), JSON, or a printable HTML page."""
    if fmt == "text":
        return _text_page(content)
    if fmt == "json":
        return json.dumps(content.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return _csv(content)
    if fmt == "html":
        return render_html([content])
    raise InputError(f"format: {fmt!r} is not one of text, csv, json, html")


def _csv(content: ReportContent) -> str:
    """Long form: ``section,item,field,label,value``; the report's header is the section ``report``.

    One layout for every kind of report, so a reader never has to know which kind it opened;
    ``item`` numbers the rows of repeating sections (parties, targets, properties) from 1.
    """
    out = io.StringIO()
    writer = csvsafe.writer(out)  # every cell neutralised against formula injection
    writer.writerow(CSV_COLUMNS)
    for key, value in content.header().items():
        writer.writerow(["report", 1, key, key.replace("_", " "), "" if value is None else value])
    for section in content.sections:
        for index, row in enumerate(section.rows, start=1):
            for f in row:
                writer.writerow([section.key, index, f.key, f.label, "" if f.value is None else f.value])
    for index, name in enumerate(content.missing, start=1):
        writer.writerow(["missing", index, "field", "required but not in the store", name])
    return out.getvalue()


def _text_page(content: ReportContent) -> str:
    """The report as a person reads it at the command line: each field by its label, in words
    (countries named, as on the printable page), what the rule requires and the store lacks named."""
    head = content.header()
    lines = [
        content.title,
        f"to: {content.regulator}",
        f"rule: {content.rule}",
        f"event {head['trigger_date']}, due {head['due_date']}, status {content.status}"
        + (f", report {content.report_id}" if content.report_id is not None else ""),
        content.confidential,
    ]
    for section in content.sections:
        lines += ["", section.title]
        if not any(section.rows):
            lines.append("  none")
        for index, row in enumerate(section.rows, start=1):
            if section.repeating:
                lines.append(f"  {index} of {len(section.rows)}")
            for f in row:
                if f.value is None:
                    value = "missing: required, not in the store" if f.required else "-"
                else:
                    value = say_field(f.key, f.value).replace("\n", "\n    ")
                lines.append(f"  {f.label}: {value}")
    return "\n".join(lines) + "\n"


#: the printable report page (templates/report.html); autoescaped, so a name from a payment
#: message cannot become markup
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("proscribe.enforcement", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


#: ``{{ f.value|words(f.key) }}``: a country field by the country's name (the store keeps ``nl``), a
#: reason quoting the matcher with its countries named; the CSV and JSON keep the values as stored
_TEMPLATES.filters["words"] = lambda value, key: say_field(str(key), value)


def render_html(contents: list[ReportContent]) -> str:
    """A printable page, one report per printed page; no scripts, nothing loaded from elsewhere."""
    title = contents[0].title if len(contents) == 1 else f"{len(contents)} reports"
    return _TEMPLATES.get_template("report.html").render(title=title, contents=contents)
