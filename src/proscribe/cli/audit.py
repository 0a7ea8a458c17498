"""``proscribe audit``: verify the hash chain, read the trail."""

from __future__ import annotations

import typer
from rich.table import Table

from proscribe.cli.common import console, err_console, open_store, print_json, state

app = typer.Typer(help="The audit trail: append-only, hash-chained.", no_args_is_help=True)


@app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json")) -> None:
    """Recompute every record's hash and MAC, the checkpoint and the rows the trail covers; exit 1 if
    anything was changed, removed or re-ordered, or if the store cannot be read."""
    from proscribe.enforcement import audit
    from proscribe.store import Store

    try:
        store = Store.open(state.db)
    except Exception as exc:  # a corrupted file, a bad URL, a server down: one line, exit 1
        err_console.print(
            f"[bold red]audit trail unverifiable[/]: cannot read the store {state.db or '(default)'}: "
            f"{audit._one_line(exc)}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None
    report = audit.verify(store.engine)
    store.close()
    if not report.readable and not as_json:
        err_console.print(
            f"[bold red]audit trail unverifiable[/]: {report.problems[0]}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(1)
    if as_json:
        print_json(report.to_dict())
    elif report.ok:
        span = (
            f"{report.first:%Y-%m-%d %H:%M:%S %Z} to {report.last:%Y-%m-%d %H:%M:%S %Z}"
            if report.first and report.last
            else "none yet"
        )
        console.print(
            f"[green]audit trail intact[/]: {report.records} records ({span}); "
            f"{report.sealed} sealed with the audit key, {report.rows_checked} ledger and decision rows "
            "checked",
            highlight=False,
            soft_wrap=True,
        )
        for note in report.notes:
            console.print(f"  note: {note}", highlight=False, soft_wrap=True)
    else:
        err_console.print(f"[bold red]audit trail broken[/]: {len(report.problems)} problem(s)")
        for p in report.problems[:50]:
            err_console.print(f"  {p}", highlight=False, soft_wrap=True)
    if not report.ok:
        raise typer.Exit(1)


@app.command("log")
def log(
    subject: str | None = typer.Option(None, "--subject", help="e.g. party:C001, alert:3, account:BLK-A1"),
    limit: int = typer.Option(50, "--limit"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The newest audit records."""
    from proscribe.enforcement import audit

    store = open_store()
    rows = audit.trail(store.engine, subject, limit)
    if as_json:
        print_json(
            [
                {
                    "seq": r.seq,
                    "at": r.at.isoformat(),
                    "actor": r.actor,
                    "action": r.action,
                    "subject": r.subject,
                    "data": r.data,
                    "hash": r.hash,
                }
                for r in rows
            ]
        )
        return
    table = Table(title=f"audit trail ({len(rows)} newest)")
    for col in ("seq", "at", "actor", "action", "subject"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r.seq), r.at.isoformat()[:19], r.actor, r.action, r.subject)
    console.print(table, markup=False)
