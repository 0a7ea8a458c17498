"""The root of the ``proscribe`` command."""

from __future__ import annotations

import typer

from proscribe import __version__
from proscribe.cli import alerts, audit, blocks, entity, lists, payments, policy, screen
from proscribe.cli.accounts import app as accounts_app
from proscribe.cli.common import state
from proscribe.cli.customers import app as customers_app
from proscribe.cli.licenses import app as licenses_app
from proscribe.cli.programs import programs
from proscribe.cli.reports import app as reports_app
from proscribe.cli.serve import app as serve_app
from proscribe.cli.travel import app as travel_app

app = typer.Typer(
    help="proscribe: sanctions lists, screening and enforcement, end to end.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(lists.app, name="lists")
app.add_typer(entity.app, name="entity")
app.add_typer(serve_app)
app.add_typer(alerts.app, name="alerts")
app.add_typer(blocks.app, name="blocks")
app.add_typer(policy.app, name="policy")
app.add_typer(audit.app, name="audit")
app.command("rescreen")(alerts.rescreen)
app.add_typer(accounts_app, name="accounts")
app.add_typer(customers_app, name="customers")
app.add_typer(travel_app, name="travel")
app.add_typer(reports_app, name="reports")
app.add_typer(payments.app, name="payments")
app.add_typer(licenses_app, name="licenses")
app.command()(programs)
app.command("screen")(screen.screen)
app.command("screen-file")(screen.screen_file)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"proscribe {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="PROSCRIBE_DB",
        help="Store URL (sqlite:///path.db or postgresql://user@host/db). "
        "Default: a SQLite file in your data folder.",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    state.db = db


def main() -> None:
    app()
