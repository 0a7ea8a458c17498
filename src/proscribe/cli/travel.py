"""``proscribe travel``: entry screening of travellers, and the family members it needs.

Exit codes of ``travel check`` and ``travel check-file``: 0 admit (every passenger), 3 refer
(at least one referred, or a passenger row that could not be checked), 4 deny (at least one
denied), 2 bad input, 1 any other error.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from proscribe.cli import identity
from proscribe.cli.common import (
    console,
    err_console,
    fail,
    open_store,
    parse_date,
    print_json,
    progress_bar,
)
from proscribe.enforcement.errors import EnforcementError, InputError

if TYPE_CHECKING:  # imported by the commands that need them, not to show --help
    from proscribe.enforcement.travel import TravelDecision, Traveller
    from proscribe.screening.screener import Screener
    from proscribe.store import Store

app = typer.Typer(help="Entry screening: admit, refer or deny a traveller.", no_args_is_help=True)

EXIT = {"admit": 0, "refer": 3, "deny": 4}
STYLE = {"admit": "green", "refer": "yellow", "deny": "bold red"}
#: APIS-like passenger list columns (all optional in the header, but a name is needed on each row)
PASSENGER_COLUMNS: dict[str, bool] = {
    "id": False,
    "surname": False,
    "given_names": False,
    "name": False,
    "birth_date": False,
    "gender": False,
    "nationality": False,
    "residence_country": False,
    "document_type": False,
    "document_number": False,
    "document_country": False,
    "document_expiry": False,
    "us_status": False,
}


def _screener(store: Store, on: date, quiet: bool) -> Screener:
    # the first check of a day (or after a list changes) builds the index; later ones load it.
    # Today's lists are asked for as "no date", the key ``proscribe screen`` caches them under.
    from proscribe.screening.screener import Screener

    with progress_bar(f"loading the lists as of {on}", quiet=quiet):
        return Screener.from_store(store, as_of=None if on == date.today() else on)


def _show(result: TravelDecision) -> None:
    from proscribe.labels import explanation

    t = result.traveller
    who = escape(t.name) + (f" ({escape(t.id)})" if t.id else "")
    console.print(
        f"[{STYLE[result.decision]}]{result.decision.upper()}[/] {who} on {result.on}"
        + (f"  [dim]check {result.check_id}[/]" if result.check_id else ""),
        highlight=False,
    )
    for reason in result.reasons:
        console.print(f"  - {escape(explanation(reason))}", highlight=False)


@app.command("check")
def check(
    name: str = typer.Option(..., "--name", help="The traveller's full name."),
    birth_date: str | None = typer.Option(None, "--birth-date", help="YYYY-MM-DD."),
    nationality: str | None = typer.Option(None, "--nationality", help="Country name or code."),
    gender: str | None = typer.Option(None, "--gender", help="M, F or X."),
    document: str | None = typer.Option(None, "--document", help="Travel document number."),
    document_country: str | None = typer.Option(None, "--document-country", help="Issuing country."),
    document_expiry: str | None = typer.Option(None, "--document-expiry", help="YYYY-MM-DD."),
    us_status: str | None = typer.Option(
        None,
        "--us-status",
        help="citizen, national or lpr (lawful permanent resident) of the United States, when known.",
    ),
    on: str | None = typer.Option(None, "--on", help="Day of travel (default: today)."),
    json_out: bool = typer.Option(False, "--json", help="Print the decision as JSON."),
) -> None:
    """Check one traveller. Exit code 0 admit, 3 refer, 4 deny (2 bad input)."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement.travel import Traveller, check_traveller

    day = parse_date(on, "--on") or date.today()
    traveller = Traveller(
        name=name,
        birth_date=birth_date,
        nationality=nationality,
        gender=gender,
        document_number=document,
        document_country=document_country,
        document_expiry=document_expiry,
        us_status=us_status,
    )
    store = open_store()
    try:
        screener = _screener(store, day, quiet=json_out)
        with Session(store.engine) as session, session.begin():
            result = check_traveller(session, screener, traveller, on=day, actor=identity.automated(session))
    except InputError as exc:
        fail(str(exc), code=2)
    except EnforcementError as exc:
        fail(str(exc))
    finally:
        store.close()
    if json_out:
        print_json(result.to_dict())
    else:
        _show(result)
    raise typer.Exit(EXIT[result.decision])


def _passengers(path: Path) -> list[tuple[int, Traveller]]:
    from proscribe.enforcement.book import BookInputError, Problems, TooManyProblems, read_csv
    from proscribe.enforcement.travel import Traveller

    problems = Problems(1_000_000)  # header problems only: rows are checked one by one
    rows = []
    try:
        for line, cells in read_csv(path, PASSENGER_COLUMNS, problems):
            name = cells.get("name") or " ".join(
                x for x in (cells.get("given_names"), cells.get("surname")) if x
            )
            rows.append(
                (
                    line,
                    Traveller(
                        name=name,
                        birth_date=cells.get("birth_date"),
                        nationality=cells.get("nationality"),
                        gender=cells.get("gender"),
                        document_number=cells.get("document_number"),
                        document_country=cells.get("document_country"),
                        document_expiry=cells.get("document_expiry"),
                        id=cells.get("id") or f"line {line}",
                        us_status=cells.get("us_status"),
                    ),
                )
            )
    except TooManyProblems:  # pragma: no cover - the limit is out of reach
        pass
    if problems.items:
        raise BookInputError(problems.items)
    return rows


@app.command("check-file")
def check_file(
    path: Path = typer.Argument(..., help="Passenger list CSV (APIS-like columns; see docs/travel.md)."),
    on: str | None = typer.Option(None, "--on", help="Day of travel (default: today)."),
    json_out: bool = typer.Option(False, "--json", help="Print the decisions as JSON."),
) -> None:
    """Check every passenger of a carrier's list; one stored check each.

    Exit code 4 if anyone is denied, else 3 if anyone is referred or a row could not be checked, else 0.
    """
    from sqlalchemy.orm import Session

    from proscribe.enforcement.book import BookInputError
    from proscribe.enforcement.travel import check_traveller

    day = parse_date(on, "--on") or date.today()
    try:
        passengers = _passengers(path)
    except BookInputError as exc:
        fail(str(exc), code=2)
    store = open_store()
    results: list[TravelDecision] = []
    invalid: list[tuple[int, str | None, str]] = []
    who = identity.of_store(store, identity.automated)
    try:
        screener = _screener(store, day, quiet=json_out)
        with progress_bar(f"checking {path.name}", total=len(passengers), quiet=json_out) as advance:
            for line, traveller in passengers:
                try:
                    with Session(store.engine) as session, session.begin():
                        results.append(check_traveller(session, screener, traveller, on=day, actor=who))
                except InputError as exc:
                    invalid.append((line, traveller.id, f"{path}, line {line}: {exc}"))
                advance(1)
    except EnforcementError as exc:
        fail(str(exc))
    finally:
        store.close()
    decisions = [r.decision for r in results]
    code = 4 if "deny" in decisions else 3 if ("refer" in decisions or invalid) else 0
    if json_out:
        print_json(
            {
                "on": day.isoformat(),
                "checked": [r.to_dict() for r in results],
                "invalid": [{"line": ln, "id": pid, "error": msg} for ln, pid, msg in invalid],
                "counts": {d: decisions.count(d) for d in EXIT} | {"invalid": len(invalid)},
            }
        )
        raise typer.Exit(code)
    from proscribe.labels import explanation

    table = Table(title=f"{path.name}: {len(passengers)} passengers on {day}", show_lines=True)
    for col in ("passenger", "name", "decision", "reasons"):
        table.add_column(col, overflow="fold")
    for r in results:
        # the candidates set aside are in --json and in the stored check; the table keeps to the decision
        shown = [x for x in r.reasons if not x.startswith("set aside:")] or r.reasons[:1]
        table.add_row(
            escape(r.traveller.id or ""),
            escape(r.traveller.name),
            f"[{STYLE[r.decision]}]{r.decision}[/]",
            escape("\n".join(explanation(x) for x in shown)),
        )
    console.print(table)
    for _, _, msg in invalid:
        err_console.print(f"[red]not checked:[/] {escape(msg)}", highlight=False)
    console.print(
        ", ".join(f"{decisions.count(d)} {d}" for d in EXIT)
        + (f", {len(invalid)} not checked" if invalid else ""),
        highlight=False,
    )
    raise typer.Exit(code)


@app.command("family-import")
def family_import(
    path: Path = typer.Argument(..., help="Family members CSV (relative_of, relationship, name, ...)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Record listed persons' immediate family members (checked first; all or nothing)."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement.book import BookInputError
    from proscribe.enforcement.travel import import_family

    store = open_store()
    try:
        with Session(store.engine) as session, session.begin():
            result = import_family(
                session, path, actor=identity.person(session, "admin", "importing family members")
            )
    except BookInputError as exc:
        for problem in exc.problems:
            err_console.print(f"[red]-[/] {escape(str(problem))}", highlight=False)
        err_console.print("nothing was imported", highlight=False)
        raise typer.Exit(2) from None
    except InputError as exc:
        fail(str(exc), code=2)
    finally:
        store.close()
    if json_out:
        print_json(result.to_dict())
        return
    console.print(
        f"{path.name}: {result.rows} rows, {result.added} added, {result.unchanged} already recorded",
        highlight=False,
    )


@app.command("rules")
def rules(json_out: bool = typer.Option(False, "--json", help="Print the table as JSON.")) -> None:
    """Which programs suspend entry (and family entry), and on what basis."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement.travel import entry_rules

    store = open_store()
    try:
        with Session(store.engine) as session:
            table_data = entry_rules(session).to_dict()
    finally:
        store.close()
    if json_out:
        print_json(table_data)
        return
    table = Table(title="entry rules")
    for col in ("scope", "program or list", "suspends entry", "family", "in force", "basis"):
        table.add_column(col, overflow="fold")
    for scope in ("programs", "datasets"):
        for key, rule in table_data[scope].items():
            span = f"{rule['starts'] or ''}..{rule['ends'] or ''}" if rule["starts"] or rule["ends"] else ""
            table.add_row(
                scope[:-1],
                key,
                "yes" if rule["suspends_entry"] else "no",
                "yes" if rule["family"] else "no",
                span,
                escape(rule["basis"]),
            )
    console.print(table)
    console.print("lists and programs not named here: refer", highlight=False)


@app.command("set-rule")
def set_rule(
    program: str | None = typer.Option(
        None, "--program", help="A program code (SDGT, ICC-EO14203, Taliban...)."
    ),
    dataset: str | None = typer.Option(None, "--dataset", help="Or a list's default (us_ofac_sdn...)."),
    suspends: bool = typer.Option(
        ..., "--suspends/--no-suspends", help="Entry of listed persons is suspended."
    ),
    family: bool = typer.Option(False, "--family/--no-family", help="...and of their immediate family."),
    basis: str = typer.Option(..., "--basis", help="The legal basis, quoted in every reason."),
) -> None:
    """Override the entry rule of one program or one list (stored in the settings, audited)."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement.travel import set_entry_rule

    store = open_store()
    try:
        with Session(store.engine) as session, session.begin():
            set_entry_rule(
                session,
                program=program,
                dataset=dataset,
                suspends_entry=suspends,
                family=family,
                basis=basis,
                actor=identity.person(session, "admin", "changing an entry rule"),
            )
    except InputError as exc:
        fail(str(exc), code=2)
    finally:
        store.close()
    console.print(f"entry rule for {program or dataset} saved", highlight=False)
