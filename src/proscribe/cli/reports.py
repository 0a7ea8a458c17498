"""``proscribe reports``: what is owed to the regulators, by when, and the reports themselves."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from proscribe.cli import identity
from proscribe.cli.common import console, err_console, fail, open_store, parse_date, print_json
from proscribe.enforcement.errors import EnforcementError

app = typer.Typer(help="Reports to regulators: what is due when, and each report as CSV, JSON or HTML.")

_FORMATS = ("text", "csv", "json", "html")


def _short(kind: str) -> str:
    """A report kind's short name, which keeps the table readable at 80 columns."""
    from proscribe.enforcement import reports

    return {
        reports.BLOCKED_PROPERTY: "blocked property",
        reports.REJECTED_TRANSACTION: "rejected",
        reports.BLOCKING_STATUTE_NOTICE: "EU Art. 2 notice",
        reports.ANNUAL: "annual (ARBP)",
        reports.UNBLOCKING: "unblocking",
    }.get(kind, kind)


@app.command("due")
def due_cmd(
    on: str | None = typer.Option(None, "--on", help="Count days left as of this date (YYYY-MM-DD; today)."),
    include_filed: bool = typer.Option(False, "--all", help="Also list reports already filed."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Every report owed, soonest first; overdue ones in red."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement import reports

    day = parse_date(on, "--on")
    store = open_store()
    with Session(store.engine) as session:
        items = reports.due(session, on=day, include_filed=include_filed)
    if json_out:
        print_json([i.to_dict() for i in items])
        return
    if not items:
        console.print("Nothing is due.")
        return
    table = Table(title=f"Reports due (as of {day or 'today'})")
    for col in ("id", "report", "subject", "event", "due", "left", "status"):
        table.add_column(col, overflow="fold")
    for item in items:
        style = "red" if item.overdue else ("dim" if item.status == "filed" else None)
        left = f"{-item.days_left}d overdue" if item.overdue else f"{item.days_left}d"
        table.add_row(
            "" if item.report_id is None else str(item.report_id),
            _short(item.kind),
            f"{item.subject_type} {item.subject_id}",
            item.trigger_date.isoformat(),
            item.due_date.isoformat(),
            left if item.status != "filed" else "",
            item.status + (f" {item.reference}" if item.reference else ""),
            style=style,
        )
    console.print(table, markup=False)


def _write(text: str, out: Path | None, missing: list[str]) -> None:
    for name in missing:
        err_console.print(f"[yellow]warning:[/] required but not in the store: {name}", highlight=False)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc}")
    err_console.print(f"wrote {out}", highlight=False)


def _check_format(fmt: str) -> None:
    if fmt not in _FORMATS:
        fail(f"--format takes one of {', '.join(_FORMATS)}, not {fmt!r}", code=2)


@app.command("show")
def show(
    report_id: int = typer.Argument(..., help="The report's id (see 'proscribe reports due')."),
    fmt: str = typer.Option("text", "--format", "-f", help="text (to read here), csv, json or html."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file instead of the screen."),
) -> None:
    """One report with every field the rule requires, gathered from the store now."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement import reports

    _check_format(fmt)
    store = open_store()
    with Session(store.engine) as session:
        try:
            content = reports.build(session, report_id)
        except EnforcementError as exc:
            fail(str(exc))
    _write(reports.render(content, fmt), out, content.missing)


@app.command("annual")
def annual_cmd(
    year: int = typer.Argument(..., help="The year: blocked property held on 30 June of it."),
    fmt: str = typer.Option("text", "--format", "-f", help="text (to read here), csv, json or html."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write to this file instead of the screen."),
) -> None:
    """The annual report of blocked property held on 30 June YEAR (due 30 September)."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement import reports

    _check_format(fmt)
    store = open_store()
    with Session(store.engine) as session:
        content = reports.annual(session, year)
    _write(reports.render(content, fmt), out, content.missing)


@app.command("filed")
def filed(
    report_id: int | None = typer.Argument(None, help="The report's id."),
    annual: int | None = typer.Option(None, "--annual", help="Mark the annual report of this year filed."),
    reference: str | None = typer.Option(None, "--reference", help="The regulator's filing reference."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Record that a report was filed: it leaves the list of what is due."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement import reports

    if (report_id is None) == (annual is None):
        fail("give a report id or --annual YEAR (one of them)", code=2)
    store = open_store()
    with Session(store.engine) as session:
        try:
            who = identity.person(session, "approver", "recording a filed report")
            if annual is not None:
                report_id = reports.record_annual(session, annual, actor=who).id
            assert report_id is not None
            report = reports.mark_filed(session, report_id, actor=who, reference=reference)
            session.commit()
        except EnforcementError as exc:
            fail(str(exc))
        result = {
            "report_id": report.id,
            "kind": report.kind,
            "subject": f"{report.subject_type}:{report.subject_id}",
            "status": report.status,
            "filed_at": report.filed_at.isoformat() if report.filed_at else None,
            "filed_by": report.filed_by,
            "reference": reference,
        }
    if json_out:
        print_json(result)
    else:
        console.print(f"report {result['report_id']} ({result['kind']}, {result['subject']}) marked filed")
