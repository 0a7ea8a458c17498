"""``proscribe licenses``: the specific licences the institution holds, recorded under four eyes."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import typer
from rich.table import Table

from proscribe.cli import identity
from proscribe.cli.common import console, fail, open_store, parse_date, parse_when, print_json
from proscribe.enforcement.errors import EnforcementError

app = typer.Typer(
    help="Specific licences: recorded by one person, in force once a second approves.", no_args_is_help=True
)

JSON = typer.Option(False, "--json", help="Print as JSON.")


@app.command("register")
def register(
    number: str = typer.Argument(..., help="The licence number as OFAC wrote it."),
    licensee: str = typer.Option(..., "--licensee", help="To whom OFAC issued it."),
    direction: str = typer.Option(
        ..., "--direction", help="debit (pay out of blocked accounts) | release (unblock) | incoming"
    ),
    party: list[str] = typer.Option(..., "--party", help="A party it concerns (repeatable)."),
    account: list[str] = typer.Option([], "--account", help="A blocked account it concerns (repeatable)."),
    amount: str = typer.Option(..., "--amount", help="The most it authorises, e.g. 3500.00."),
    currency: str = typer.Option(..., "--currency", help="ISO 4217 code."),
    issued: str = typer.Option(..., "--issued", help="Date of issue, YYYY-MM-DD."),
    expires: str | None = typer.Option(
        None, "--expires", help="When it expires (YYYY-MM-DD: midnight UTC, or an ISO time with offset)."
    ),
    payee: str | None = typer.Option(None, "--payee", help="debit: who may be paid; incoming: who pays."),
    payee_account: str | None = typer.Option(None, "--payee-account", help="That party's account."),
    purpose: str | None = typer.Option(None, "--purpose", help="A purpose code, e.g. legal_fees."),
    program: str | None = typer.Option(None, "--program", help="The program, e.g. ICC-EO14203."),
    authority: str = typer.Option("OFAC", "--authority", help="The issuing authority."),
    unblocking_report: bool = typer.Option(
        False, "--unblocking-report", help="The licence requires a report when it unblocks property."
    ),
    reference: str = typer.Option(..., "--reference", help="Where the institution keeps its copy."),
    reason: str = typer.Option(..., "--reason", help="Why it is recorded (kept with the decision)."),
    json_out: bool = JSON,
) -> None:
    """Record a specific licence; it authorises nothing until a second person approves the decision."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement import specific_licenses

    try:
        value = Decimal(amount)
    except InvalidOperation:
        fail(f"--amount must be a decimal number such as 3500.00, not {amount!r}", code=2)
    day = parse_date(issued, "--issued")
    assert day is not None
    store = open_store()
    try:
        with Session(store.engine) as s, s.begin():
            row, decision = specific_licenses.register(
                s,
                number=number,
                licensee=licensee,
                direction=direction,
                parties=party,
                accounts=account,
                amount=value,
                currency=currency.upper(),
                issued=day,
                expires=parse_when(expires, "--expires"),
                issuing_authority=authority,
                program=program,
                counterparty=payee,
                counterparty_account=payee_account,
                purpose=purpose,
                unblocking_report=unblocking_report,
                reference=reference,
                reason=reason,
                actor=identity.person(s, "analyst", "recording a licence"),
            )
            info = specific_licenses.record_of(row).to_dict() | {"decision": decision.id}
    except (EnforcementError, ValueError) as exc:
        fail(str(exc), code=2)
    finally:
        store.close()
    if json_out:
        print_json(info)
    else:
        console.print(
            f"licence {info['number']} recorded (pending): decision {info['decision']} waits for a second "
            "person (proscribe alerts approve)",
            highlight=False,
        )


def _rows(status: str | None) -> list[dict[str, Any]]:
    from sqlalchemy.orm import Session

    from proscribe.enforcement import specific_licenses

    store = open_store()
    try:
        with Session(store.engine) as s:
            return [
                specific_licenses.record_of(r).to_dict()
                for r in specific_licenses.list_licenses(s, status=status)
            ]
    finally:
        store.close()


@app.command("list")
def list_licenses(
    status: str | None = typer.Option(None, "--status", help="pending | active | rejected | revoked"),
    json_out: bool = JSON,
) -> None:
    """The specific licences recorded here."""
    rows = _rows(status)
    if json_out:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} specific licences")
    for col in ("number", "status", "direction", "licensee", "parties", "accounts", "remaining", "expires"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["number"],
            r["status"],
            r["direction"],
            r["licensee"],
            ", ".join(r["parties"]),
            ", ".join(r["accounts"]),
            f"{r['remaining']} of {r['amount']} {r['currency']}",
            (r["expires"] or "")[:16],
        )
    console.print(table, markup=False)


@app.command("show")
def show(number: str = typer.Argument(..., help="The licence number."), json_out: bool = JSON) -> None:
    """One specific licence: everything recorded, and how much of it is used."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement import specific_licenses

    store = open_store()
    try:
        with Session(store.engine) as s:
            row = specific_licenses.get(s, number)
            if row is None:
                fail(f"no specific licence {number!r} is registered")
            info = specific_licenses.record_of(row).to_dict()
    finally:
        store.close()
    if json_out:
        print_json(info)
        return
    table = Table(show_header=False, title=f"Specific licence {info['number']}")
    for key, value in info.items():
        shown = ", ".join(value) if isinstance(value, list) else ("" if value is None else str(value))
        table.add_row(key.replace("_", " "), shown)
    console.print(table, markup=False)
