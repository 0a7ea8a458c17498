"""The root of the ``proscribe`` command."""

from __future__ import annotations

import typer

from proscribe import __version__
from proscribe.cli import entity, lists, screen
from proscribe.cli.common import state
from proscribe.cli.programs import programs

app = typer.Typer(
    help="proscribe: sanctions lists, screening and enforcement, end to end.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(lists.app, name="lists")
app.add_typer(entity.app, name="entity")
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
