"""What the workspace's pages show, read from the store: one function a page (or a chart).

These functions only read; every change goes through ``proscribe.enforcement`` in the routes.
They take an open ``Session`` and return plain objects the templates lay out.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from proscribe.enforcement import ledger
from proscribe.enforcement.book import PartyView, get_party
from proscribe.enforcement.errors import NotFoundError
from proscribe.labels import Fact, facts
from proscribe.store import Store
from proscribe.store.book import Account, AccountParty, Party
from proscribe.store.casework import Alert, Block, Decision, Payment, TravelCheck
from proscribe.store.errors import NotFound
from proscribe.store.reads import EntityView
from proscribe.web.charts import STATUS_COLOURS, Bar
from proscribe.web.pages import money

ALERT_STATUSES = ("open", "pending", "true_match", "false_positive", "closed")
#: what an approved decision on an alert leaves the alert as
FINAL_STATUS = {
    "true_match": "true_match",
    "false_positive": "false_positive",
    "release": "closed",
    "keep": "closed",
}
#: list age in days at which a list is called ageing, then stale (OFAC publishes several times a week)
AGEING_DAYS, STALE_DAYS = 7, 30


@dataclass
class AlertRow:
    alert: Alert
    party_name: str
    decision: Decision | None  # the latest


def alert_rows(session: Session, status: str | None = None, limit: int = 500) -> list[AlertRow]:
    """Alerts (of one status, or all), the open and pending first, then the newest."""
    q = select(Alert, Party.name).join(Party, Party.id == Alert.party_id)
    if status:
        q = q.where(Alert.status == status)
    order = {s: i for i, s in enumerate(ALERT_STATUSES)}
    rows = list(session.execute(q.order_by(Alert.id.desc()).limit(limit)))
    latest = _latest_decisions(session, "alert", [str(a.id) for a, _ in rows])
    out = [AlertRow(a, name, latest.get(str(a.id))) for a, name in rows]
    out.sort(key=lambda r: (order.get(r.alert.status, 9), -r.alert.score if r.alert.status == "open" else 0))
    return out


def _latest_decisions(session: Session, subject_type: str, ids: list[str]) -> dict[str, Decision]:
    latest: dict[str, Decision] = {}
    if not ids:
        return latest
    q = (
        select(Decision)
        .where(Decision.subject_type == subject_type, Decision.subject_id.in_(ids))
        .order_by(Decision.id)
    )
    for d in session.scalars(q):
        latest[d.subject_id] = d
    return latest


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Alert.status, func.count()).group_by(Alert.status))
    return {str(s): int(n) for s, n in rows}


def decisions_on(session: Session, subject_type: str, subject_id: str | int) -> list[Decision]:
    q = (
        select(Decision)
        .where(Decision.subject_type == subject_type, Decision.subject_id == str(subject_id))
        .order_by(Decision.id)
    )
    return list(session.scalars(q))


def pending_decisions(session: Session) -> list[Decision]:
    return list(session.scalars(select(Decision).where(Decision.status == "pending").order_by(Decision.id)))


def subject_link(d: Decision, session: Session) -> tuple[str, str]:
    """Where a decision's subject is shown, and how to name it."""
    if d.subject_type == "alert":
        return f"/ui/alerts/{d.subject_id}", f"alert {d.subject_id}"
    if d.subject_type == "block":
        block = session.get(Block, int(d.subject_id))
        if block is not None:
            acct = session.scalars(
                select(Account.id).where(Account.owner_id == block.party_id, Account.kind == "blocked")
            ).first()
            if acct:
                return f"/ui/accounts/{acct}", f"block {d.subject_id} ({block.party_id})"
        return "/ui/accounts", f"block {d.subject_id}"
    if d.subject_type == "account":  # a normal service charge to take from it
        return f"/ui/accounts/{d.subject_id}", f"service charge on {d.subject_id}"
    if d.subject_type == "license":  # a specific licence to bring into force
        return "/ui/decisions", f"specific licence {d.evidence.get('number', d.subject_id)}"
    return "/ui/decisions", f"{d.subject_type} {d.subject_id}"


# --- one alert -------------------------------------------------------------------------------------


@dataclass
class Listed:
    """The listed entity as the store holds it, laid out for reading beside the customer."""

    view: EntityView
    names: list[str]
    aliases: list[str]
    properties: dict[str, list[str]]
    #: every property by its label, values written out (countries by name, addresses in full)
    facts: list[Fact] = field(default_factory=list)

    def get(self, prop: str) -> list[str]:
        return self.properties.get(prop, [])


@dataclass
class AlertDetail:
    alert: Alert
    party: PartyView
    listed: Listed | None
    listed_error: str | None
    decisions: list[Decision]
    blocks: list[Block]
    features: dict[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> Decision | None:
        return next((d for d in reversed(self.decisions) if d.status == "pending"), None)


def listed_entity(store: Store, dataset: str, source_id: str) -> Listed:
    view = store.entity(dataset, source_id)
    target = view.record.target
    props = {p: [str(v) for v in vals] for p, vals in target.properties.items()}
    return Listed(
        view=view,
        names=props.get("name", []),
        aliases=props.get("alias", []) + props.get("weakAlias", []) + props.get("previousName", []),
        properties=props,
        facts=facts(target, view.record.adjacent),
    )


def alert_detail(session: Session, store: Store, alert_id: int) -> AlertDetail:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFoundError(f"no alert {alert_id}")
    party = get_party(session, alert.party_id)
    listed: Listed | None = None
    error: str | None = None
    try:
        listed = listed_entity(store, alert.dataset, alert.source_id)
    except NotFound as exc:
        error = str(exc)
    blocks = list(session.scalars(select(Block).where(Block.party_id == alert.party_id).order_by(Block.id)))
    hit = alert.evidence.get("hit") or {}
    return AlertDetail(
        alert=alert,
        party=party,
        listed=listed,
        listed_error=error,
        decisions=decisions_on(session, "alert", alert.id),
        blocks=blocks,
        features=dict(hit.get("features") or {}),
    )


# --- accounts --------------------------------------------------------------------------------------


@dataclass
class BlockedAccountRow:
    account: Account
    owner: Party | None
    blocks: list[Block]
    pending: list[Decision]


def blocked_accounts(session: Session, include_closed: bool = True) -> list[BlockedAccountRow]:
    q = select(Account).where(Account.kind == "blocked")
    if not include_closed:
        q = q.where(Account.status != "closed")
    rows = []
    for acct in session.scalars(q.order_by(Account.status != "blocked", Account.id)):
        owner = session.get(Party, acct.owner_id) if acct.owner_id else None
        blocks = _owner_blocks(session, acct.owner_id)
        pending = [d for b in blocks for d in decisions_on(session, "block", b.id) if d.status == "pending"]
        rows.append(BlockedAccountRow(acct, owner, blocks, pending))
    return rows


def _owner_blocks(session: Session, owner_id: str | None, active_only: bool = False) -> list[Block]:
    if owner_id is None:
        return []
    q = select(Block).where(Block.party_id == owner_id)
    if active_only:
        q = q.where(Block.released_at.is_(None))
    return list(session.scalars(q.order_by(Block.id)))


@dataclass
class AccountDetail:
    account: Account
    owner: Party | None
    source: Account | None
    history: list[dict[str, Any]]
    blocks: list[Block]
    decisions: list[Decision]
    roles: list[tuple[AccountParty, Party]]

    @property
    def active_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.released_at is None]

    @property
    def pending(self) -> list[Decision]:
        return [d for d in self.decisions if d.status == "pending"]

    def pending_on(self, block: Block) -> Decision | None:
        return next((d for d in self.pending if d.subject_id == str(block.id)), None)


def account_detail(session: Session, account_id: str) -> AccountDetail:
    acct = session.get(Account, account_id)
    if acct is None:
        raise NotFoundError(f"no account {account_id!r}")
    owner = session.get(Party, acct.owner_id) if acct.owner_id else None
    source = session.get(Account, acct.source_account_id) if acct.source_account_id else None
    blocks = _owner_blocks(session, acct.owner_id)
    decisions = [d for b in blocks for d in decisions_on(session, "block", b.id)]
    roles = [
        (ap, p)
        for ap, p in session.execute(
            select(AccountParty, Party)
            .join(Party, Party.id == AccountParty.party_id)
            .where(AccountParty.account_id == (acct.source_account_id or acct.id))
            .order_by(AccountParty.role, Party.id)
        )
    ]
    return AccountDetail(
        account=acct,
        owner=owner,
        source=source,
        history=ledger.history(session, account_id),
        blocks=blocks,
        decisions=decisions,
        roles=roles,
    )


# --- payments, travel ------------------------------------------------------------------------------


def payments(session: Session, status: str | None = "held", limit: int = 200) -> list[Payment]:
    q = select(Payment)
    if status:
        q = q.where(Payment.status == status)
    return list(session.scalars(q.order_by(Payment.received_at.desc(), Payment.id.desc()).limit(limit)))


def payment_counts(session: Session) -> dict[str, int]:
    return {
        str(s): int(n)
        for s, n in session.execute(select(Payment.status, func.count()).group_by(Payment.status))
    }


def travel_checks(session: Session, limit: int = 100) -> list[TravelCheck]:
    q = select(TravelCheck).order_by(TravelCheck.at.desc(), TravelCheck.id.desc()).limit(limit)
    return list(session.scalars(q))


# --- the dashboard's charts -------------------------------------------------------------------------


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _points(first: date, today: date) -> list[tuple[str, date]]:
    """The days the alert chart samples: daily over a month, monthly over two years, else yearly."""
    span = (today - first).days
    if span <= 31:
        return [((first + timedelta(days=i)).isoformat(), first + timedelta(days=i)) for i in range(span + 1)]
    out: list[tuple[str, date]] = []
    if span <= 731:
        y, m = first.year, first.month
        while (y, m) <= (today.year, today.month):
            last = date(y, m, calendar.monthrange(y, m)[1])
            out.append((f"{y}-{m:02d}", min(last, today)))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    return [(str(y), min(date(y, 12, 31), today)) for y in range(first.year, today.year + 1)]


def alert_series(session: Session, today: date) -> list[tuple[str, dict[str, int]]]:
    """How many alerts stood in each status at the end of each period, rebuilt from the decisions.

    An alert opens ``open``; a proposed decision makes it ``pending``; approval gives it the
    decided status, a rejection opens it again. A status the decisions do not explain (an alert
    closed because its listing ended) is taken at the alert's last update.
    """
    alerts = list(session.scalars(select(Alert)))
    if not alerts:
        return []
    by_alert: dict[str, list[Decision]] = {}
    for d in session.scalars(select(Decision).where(Decision.subject_type == "alert").order_by(Decision.id)):
        by_alert.setdefault(d.subject_id, []).append(d)
    changes: list[list[tuple[datetime, str]]] = []
    for a in alerts:
        steps = [(a.opened_at, "open")]
        for d in by_alert.get(str(a.id), []):
            steps.append((d.decided_at, "pending"))
            if d.status == "approved" and d.reviewed_at is not None:
                steps.append((d.reviewed_at, FINAL_STATUS.get(d.action, "closed")))
            elif d.status == "rejected" and d.reviewed_at is not None:
                steps.append((d.reviewed_at, "open"))
        steps.sort(key=lambda s: s[0])
        if steps[-1][1] != a.status:
            steps.append((max(a.updated_at, steps[-1][0]), a.status))
        changes.append(steps)
    first = min(a.opened_at for a in alerts).astimezone(UTC).date()
    series = []
    for label, day in _points(first, today):
        end = _end_of(day)
        counts: dict[str, int] = {}
        for steps in changes:
            state = None
            for at, status in steps:
                if at < end:
                    state = status
            if state is not None:
                counts[state] = counts.get(state, 0) + 1
        series.append((label, counts))
    return series


def blocked_funds(session: Session) -> list[tuple[str, Decimal, int]]:
    """Money held in blocked accounts now, by currency: (currency, total, accounts)."""
    rows = session.execute(
        select(Account.currency, Account.balance).where(Account.kind == "blocked", Account.status != "closed")
    )
    totals: dict[str, tuple[Decimal, int]] = {}
    for currency, balance in rows:
        total, n = totals.get(currency, (Decimal(0), 0))
        totals[currency] = (total + Decimal(balance), n + 1)
    return sorted(((c, t, n) for c, (t, n) in totals.items()), key=lambda r: (-r[1], r[0]))


def blocked_funds_bars(funds: list[tuple[str, Decimal, int]]) -> list[Bar]:
    largest = max([t for _, t, _ in funds] + [Decimal(0)])
    return [
        Bar(
            label=currency,
            share=float(total / largest) if largest else 0.0,
            value=money(total, currency),
            colour=STATUS_COLOURS["true_match"],
            note=f"{n} account{'s' if n != 1 else ''}",
        )
        for currency, total, n in funds
    ]


@dataclass(frozen=True)
class Freshness:
    dataset: str
    as_of: date
    as_of_stated: bool
    age_days: int
    records: int
    versions: int
    imported_at: str

    @property
    def state(self) -> str:
        # a file that carried no date is as old as nobody knows: never "fresh" for being imported today
        if not self.as_of_stated:
            return "date_unknown"
        if self.age_days > STALE_DAYS:
            return "stale"
        return "ageing" if self.age_days > AGEING_DAYS else "fresh"


def freshness(store: Store, today: date) -> list[Freshness]:
    return [
        Freshness(
            dataset=s.dataset,
            as_of=s.as_of,
            as_of_stated=s.as_of_stated,
            age_days=(today - s.as_of).days,
            records=s.records,
            versions=s.versions,
            imported_at=s.imported_at,
        )
        for s in store.status()
    ]


def freshness_bars(items: list[Freshness]) -> list[Bar]:
    colours = {
        "fresh": STATUS_COLOURS["false_positive"],
        "ageing": STATUS_COLOURS["open"],
        "stale": "#7f1d1d",
        "date_unknown": "#7f1d1d",
    }
    longest = max([f.age_days for f in items] + [1])
    return [
        Bar(
            label=f.dataset,
            share=max(0, f.age_days) / longest,
            value=f"date unknown (imported {f.imported_at[:10]})"
            if f.state == "date_unknown"
            else f"{f.age_days} days ({f.state})",
            colour=colours[f.state],
            note=f"as of {f.as_of.isoformat()}",
        )
        for f in items
    ]
