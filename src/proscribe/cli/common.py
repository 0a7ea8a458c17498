"""What every command shares: the store to open, console output, JSON output, errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from proscribe.store import Store

console = Console()
err_console = Console(stderr=True)


class State:
    db: str | None = None


state = State()


def open_store() -> Store:
    try:
        return Store.open(state.db)
    except Exception as exc:  # a bad URL or an unreachable server: say which, not a traceback
        fail(f"cannot open the store {state.db or '(default)'}: {exc}")


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} takes a date as YYYY-MM-DD, not {value!r}", code=2)


@contextmanager
def progress_bar(description: str, total: int | None = None, quiet: bool = False) -> Iterator[Any]:
    """A Rich progress bar on stderr; yields a function to advance it by n."""
    if quiet:
        yield lambda n: None
        return
    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


def default_actor() -> str:
    """Who is acting, when ``--actor`` is not given: the OS user name."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container with an unnamed uid)
        return "unknown"


def parse_when(value: str | None, option: str) -> Any:
    """``--at`` as a timezone-aware datetime: a date (midnight UTC) or an ISO time with an offset."""
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        when = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} takes YYYY-MM-DD or an ISO time with its offset, not {value!r}", code=2)
    if when.tzinfo is None:
        fail(f"{option}: give the time zone offset (e.g. {value}+00:00); times are never guessed", code=2)
    return when
