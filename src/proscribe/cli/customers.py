"""``proscribe customers``: import the institution's book, list and show its parties."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from proscribe.cli import identity
from proscribe.cli.common import console, err_console, fail, open_store, print_json
from proscribe.enforcement.errors import InputError, NotFoundError

app = typer.Typer(
    help="The institution's customers, accounts and the people around them.", no_args_is_help=True
)


@app.command("import")
def import_(
    parties: Path | None = typer.Option(None, "--parties", help="Parties CSV (persons and organizations)."),
    accounts: Path | None = typer.Option(None, "--accounts", help="Accounts CSV (owner, currency, balance)."),
    roles: Path | None = typer.Option(
        None, "--roles", help="Account roles CSV (beneficial owners, directors...)."
    ),
    ownership: Path | None = typer.Option(None, "--ownership", help="Ownership CSV (owner, owned, share)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Import customers and accounts from CSV files: all checked first, then applied at once or not at all.

    Exit code 2 when a file is refused; every problem is listed with its file, line and column.
    """
    from sqlalchemy.orm import Session

    from proscribe.enforcement.book import BookInputError, import_book

    if not any((parties, accounts, roles, ownership)):
        fail("give at least one of --parties, --accounts, --roles, --ownership", code=2)
    store = open_store()
    try:
        with Session(store.engine) as session, session.begin():
            result = import_book(
                session,
                parties=parties,
                accounts=accounts,
                roles=roles,
                ownership=ownership,
                actor=identity.person(session, "analyst", "importing customers"),
            )
    except BookInputError as exc:
        if json_out:
            print_json(
                {"ok": False, "problems": [p.to_dict() for p in exc.problems], "truncated": exc.truncated}
            )
        else:
            for problem in exc.problems:
                err_console.print(f"[red]-[/] {escape(str(problem))}", highlight=False)
            more = " (and perhaps more: the list stops there)" if exc.truncated else ""
            err_console.print(f"{len(exc.problems)} problem(s){more}; nothing was imported", highlight=False)
        raise typer.Exit(2) from None
    except InputError as exc:
        fail(f"{exc}; nothing was imported", code=2)
    finally:
        store.close()
    if json_out:
        print_json({"ok": True, **result.to_dict()})
        return
    table = Table(title="customers import")
    table.add_column("file")
    for col in ("rows", "added", "updated", "unchanged", "removed"):
        table.add_column(col, justify="right")
    for kind, counts in result.files().items():
        table.add_row(
            f"{kind}\n[dim]{escape(counts.file)}[/]",
            str(counts.rows),
            str(counts.added),
            str(counts.updated),
            str(counts.unchanged),
            str(counts.removed) if kind in ("roles", "ownership") else "",
        )
    console.print(table)
    if result.rescreen:
        console.print(
            f"{len(result.rescreen)} parties are new or changed and need screening", highlight=False
        )


@app.command("list")
def list_(
    search: str | None = typer.Option(None, "--search", "-s", help="Part of a name or id."),
    customers_only: bool = typer.Option(
        False, "--customers", help="Only customers (not owners, directors...)."
    ),
    limit: int = typer.Option(100, "--limit", help="At most this many."),
    json_out: bool = typer.Option(False, "--json", help="Print the parties as JSON."),
) -> None:
    """The parties in the book."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement.book import list_parties, party_dict

    if limit < 1:
        fail(f"--limit must be at least 1, not {limit}", code=2)
    store = open_store()
    try:
        with Session(store.engine) as session:
            parties = list_parties(session, search=search, customers_only=customers_only, limit=limit)
            rows = [party_dict(p) for p in parties]
    finally:
        store.close()
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print("no parties", highlight=False)
        return
    table = Table(title=f"{len(rows)} part{'ies' if len(rows) != 1 else 'y'}")
    for col in ("id", "kind", "name", "born", "nationality", "country", "customer"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            escape(r["id"]),
            r["kind"],
            escape(r["name"]),
            r["birth_date"] or "",
            (r["nationality"] or "").upper(),
            (r["country"] or "").upper(),
            "yes" if r["customer"] else "no",
        )
    console.print(table)


@app.command("show")
def show(
    party_id: str = typer.Argument(..., help="The party's id."),
    json_out: bool = typer.Option(False, "--json", help="Print the party as JSON."),
) -> None:
    """One party with its accounts, roles, owners and holdings."""
    from sqlalchemy.orm import Session

    from proscribe.enforcement.book import get_party

    store = open_store()
    try:
        with Session(store.engine) as session:
            try:
                data = get_party(session, party_id).to_dict()
            except NotFoundError as exc:
                fail(str(exc))
    finally:
        store.close()
    if json_out:
        print_json(data)
        return
    console.print(f"[bold]{escape(data['name'])}[/] ({data['kind']}, {escape(data['id'])})", highlight=False)
    from proscribe.labels import country_name

    facts = [
        ("aliases", "; ".join(data["aliases"])),
        ("born", data["birth_date"]),
        ("nationality", country_name(data["nationality"])),  # Gambia, not gm
        ("country", country_name(data["country"])),
        ("gender", data["gender"]),
        ("id", f"{data['id_number']} ({country_name(data['id_country'])})" if data["id_number"] else None),
        ("address", data["address"]),
        ("customer", "yes" if data["customer"] else "no"),
    ]
    for label, value in facts:
        if value:
            console.print(f"  {label}: {escape(str(value))}", highlight=False)
    if data["accounts"]:
        table = Table(title="accounts")
        for col in ("id", "kind", "currency", "balance", "status"):
            table.add_column(col, justify="right" if col == "balance" else "left")
        for a in data["accounts"]:
            table.add_row(escape(a["id"]), a["kind"], a["currency"], a["balance"], a["status"])
        console.print(table)
    for title, key in (("roles on accounts", "roles"),):
        if data[key]:
            table = Table(title=title)
            for col in ("account", "role", "share %"):
                table.add_column(col)
            for r in data[key]:
                table.add_row(escape(r["account"]), r["role"], r["share"] or "")
            console.print(table)
    for title, key in (("owned by", "owners"), ("owns", "owns")):
        if data[key]:
            table = Table(title=title)
            for col in ("id", "name", "kind", "share %"):
                table.add_column(col)
            for o in data[key]:
                table.add_row(escape(o["id"]), escape(o["name"]), o["kind"], o["share"])
            console.print(table)
