"""``proscribe entity``: one listing, whole, now or as it stood on a date."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from proscribe.cli.common import console, fail, open_store, parse_date, print_json

app = typer.Typer(help="Look at one listing with its sanctions and history.", no_args_is_help=True)

# properties worth showing first; the rest follow in name order
_FIRST = (
    "name",
    "alias",
    "weakAlias",
    "previousName",
    "birthDate",
    "birthPlace",
    "nationality",
    "citizenship",
    "gender",
    "position",
    "country",
    "idNumber",
    "passportNumber",
    "imoNumber",
)


@app.command()
def show(
    dataset: str = typer.Argument(
        ..., help="Dataset name, e.g. us_ofac_sdn, un_sc_sanctions, proscribe_icc."
    ),
    source_id: str = typer.Argument(..., help="The publisher's id: OFAC ent_num, UN reference number..."),
    as_of: str | None = typer.Option(None, help="Show the listing as it stood on this date (YYYY-MM-DD)."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """The whole record: names, identifiers, sanctions, and its history."""
    from proscribe.store import NotFound

    store = open_store()
    try:
        view = store.entity(dataset, source_id, parse_date(as_of, "--as-of"))
    except NotFound as exc:
        fail(str(exc))
    if json_out:
        print_json(view.to_dict())
        return
    when = f" as of {view.as_of}" if view.as_of else ""
    verdict = "[bold red]DESIGNATED[/]" if view.designated else "[green]not designated[/]"
    console.print(
        f"[bold]{view.caption}[/] ({view.schema}, {view.dataset} {view.source_id}){when}: {verdict}"
    )
    console.print(f"  {view.basis}", highlight=False)
    from proscribe.labels import entity_caption, facts

    # each property by its label, countries by name, addresses written out (never ``birthDate``, ``cu``)
    found = facts(view.record.target, view.record.adjacent)
    found.sort(key=lambda f: _FIRST.index(f.prop) if f.prop in _FIRST else 99)
    table = Table(show_header=False, box=None)
    table.add_row("Name", view.caption)
    for fact in found:
        if fact.prop != "notes":
            table.add_row(fact.label, "; ".join(fact.values))
    console.print(table, highlight=False)
    for ent in view.record.adjacent:
        if ent.schema.name in ("Sanction", "Address"):  # the sanctions follow; addresses are above
            continue
        console.print(f"  [cyan]{ent.schema.label}[/] {escape(entity_caption(ent))}", highlight=False)
    sanctions = Table(title="Sanctions")
    for col in ("program", "authority", "start", "end", f"in force{when}"):
        sanctions.add_column(col)
    for s in view.sanctions:
        sanctions.add_row(
            ", ".join(s.program),
            "; ".join(s.authority),
            s.start or "",
            s.end or "",
            "yes" if s.in_force else "no",
        )
    console.print(sanctions, markup=False)
    history = Table(title="History")
    for col in ("date", "event", "from", "detail"):
        history.add_column(col)
    for item in view.history:
        history.add_row(item["date"], item["kind"], item["source"], item["summary"])
    console.print(history, markup=False)
