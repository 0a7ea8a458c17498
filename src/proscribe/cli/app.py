"""The root of the ``proscribe`` command."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

import proscribe.cli.helptext  # noqa: F401  (plain --help at any width: before any command is made)
from proscribe import __version__
from proscribe.cli import alerts, audit, blocks, entity, lists, payments, policy, screen
from proscribe.cli.accounts import app as accounts_app
from proscribe.cli.common import err_console, state, system_error
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
    key_file: Path | None = typer.Option(
        None,
        "--key-file",
        envvar="PROSCRIBE_KEY_FILE",
        help="A file (mode 0600) holding your API key: who you are for commands that record an action "
        "(else $PROSCRIBE_API_KEY, else your OS user if an admin mapped it).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    state.db = db
    state.key_file = key_file


def main() -> None:
    """The ``proscribe`` command: a full disk or a damaged store is one line on stderr, not a traceback."""
    try:
        app()
    except Exception as exc:
        message = system_error(exc)
        if message is None:
            raise
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
        raise SystemExit(1) from None
