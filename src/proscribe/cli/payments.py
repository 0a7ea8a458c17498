"""``proscribe payments screen FILE``: screen MT103 / pacs.008 messages and record the decisions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from proscribe.cli import identity
from proscribe.cli.alerts import AT, BACKFILL
from proscribe.cli.common import console, fail, open_store, print_json, progress_bar
from proscribe.enforcement.errors import EnforcementError, InputError

if TYPE_CHECKING:  # imported by the commands that need them, not to show --help
    from proscribe.enforcement.payments import PaymentDecision

app = typer.Typer(help="Payment messages (SWIFT MT103, ISO 20022 pacs.008): screening and decisions.")

COLOURS = {"pass": "green", "hold": "yellow", "reject": "magenta", "block": "bold red"}


def _at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--at takes a date and time with its offset (2025-07-07T21:00-04:00), not {value!r}", code=2)
    if at.tzinfo is None:
        fail(f"--at needs a time zone offset (2025-07-07T21:00-04:00), not {value!r}", code=2)
    return at


def _print(d: PaymentDecision) -> None:
    from proscribe.labels import explanation

    m = d.message
    colour = COLOURS[d.decision]
    title = (
        f"payment {d.payment_id}: {m.message_type} {escape(m.reference)} ({m.location}) "
        f"[{colour}]{d.decision.upper()}[/]"
    )
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    table.add_row("amount", f"{m.amount} {m.currency}" + (f", value {m.value_date}" if m.value_date else ""))
    table.add_row("debtor", escape(m.debtor_name or "-"))
    table.add_row("creditor", escape(m.creditor_name or "-"))
    table.add_row("decision", f"[{colour}]{d.decision}[/] ({d.status})")
    if d.rule:
        table.add_row("rule", escape(d.rule))
    if d.license:
        table.add_row("licence", escape(d.license))
    for hit in d.hits:
        where = hit.role or f"free text {hit.field}"
        table.add_row(
            "hit",
            escape(f"{where}: {hit.caption} ({hit.entity_id}) {hit.score} {hit.strength} -> {hit.outcome}"),
        )
    for flag in d.stripping:
        table.add_row("stripping", escape(f"{flag.kind}: {flag.detail}"))
    for reason in d.reasons:
        table.add_row("reason", escape(explanation(reason)))
    if d.blocked_account:
        table.add_row("blocked to", escape(f"{d.blocked_account} (owner {d.blocked_owner})"))
    if d.reports:
        table.add_row("reports due", ", ".join(str(r) for r in d.reports))
    console.print(table)


@app.command("screen")
def screen(
    file: Path = typer.Argument(
        ..., help="An MT103 (FIN text) or pacs.008 (XML) file; one or more messages."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the decisions as JSON."),
    at: str | None = typer.Option(
        None, "--at", help="When the payment is handled (ISO date-time with offset; default now)."
    ),
) -> None:
    """Screen every transaction in FILE: pass, hold, block or reject, stored with reasons and rule.

    The whole file is read first: a malformed message stops it (exit code 2) with nothing stored.
    """
    from proscribe.enforcement.payments import screen_payments
    from proscribe.screening import Screener

    when = _at(at)
    store = open_store()
    try:
        # the first run after a list changes builds the index (some seconds); later runs load it
        with progress_bar("loading the screening index", quiet=json_out):
            screener = Screener.from_store(store, as_of=(when.date() if when else None))
        actor = identity.of_store(store, identity.automated)
        decisions = screen_payments(store, file, actor=actor, at=when, screener=screener)
    except InputError as exc:
        fail(str(exc), code=2)
    except EnforcementError as exc:
        fail(str(exc))
    finally:
        store.close()
    if json_out:
        print_json([d.to_dict() for d in decisions])
        return
    for d in decisions:
        _print(d)


@app.command("held")
def held(json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Payments held for review, oldest first."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from proscribe.store.casework import Payment

    store = open_store()
    with Session(store.engine) as s:
        rows: list[dict[str, Any]] = [
            {
                "id": p.id,
                "type": p.message_type,
                "reference": p.reference,
                "amount": str(p.amount),
                "currency": p.currency,
                "debtor": p.debtor,
                "creditor": p.creditor,
                "received_at": p.received_at.isoformat(),
                "reasons": p.reasons,
            }
            for p in s.scalars(select(Payment).where(Payment.status == "held").order_by(Payment.id))
        ]
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} payments held for review")
    for col in ("id", "type", "reference", "amount", "debtor", "creditor", "why"):
        table.add_column(col)
    for r in rows:
        why = str(r["reasons"][0]) if r["reasons"] else ""
        table.add_row(
            str(r["id"]),
            str(r["type"]),
            str(r["reference"]),
            f"{r['amount']} {r['currency']}",
            str(r["debtor"]),
            str(r["creditor"]),
            escape(why[:80]),
        )
    console.print(table, markup=False)


@app.command("review")
def review(
    payment_id: int,
    outcome: str = typer.Argument(..., help="release | block | reject"),
    reason: str = typer.Option(..., "--reason", help="Why: recorded with the decision."),
    owner: str | None = typer.Option(None, "--owner", help="For block: the party whose interest is blocked."),
    at: str | None = AT,
    backfill: str | None = BACKFILL,
) -> None:
    """Propose what to do with a held payment; another person approves it with proscribe alerts approve."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement import decisions

    store = open_store()
    try:
        with Session(store.engine) as s, s.begin():
            who = identity.person(s, "analyst", "reviewing a payment")
            when = identity.backfill(s, _at(at), backfill, "reviewing a payment")
            d = decisions.decide_payment(
                s, payment_id=payment_id, outcome=outcome, reason=reason, actor=who, owner=owner, at=when
            )
            decision_id = d.id
            if when is not None and backfill:
                identity.record_backfill(s, who, f"decision:{d.id}", when, backfill)
    except EnforcementError as exc:
        fail(str(exc), code=2)
    console.print(
        f"decision {decision_id}: {outcome} payment {payment_id}, waiting for a second person's approval"
    )
