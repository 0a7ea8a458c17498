"""What every command shares: the store to open, console output, JSON output, errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

if TYPE_CHECKING:  # the store (SQLAlchemy, FollowTheMoney) is imported by the commands that open it
    from proscribe.store import Store

#: the width of output that goes to a file or a pipe rather than a terminal
PIPE_WIDTH = 200


class _Console(Console):
    """Rich's console, sized by the terminal only when there is one.

    Written to a pipe or a file, output is not cut to ``COLUMNS`` (a table would drop what does not
    fit, an error would be split in the middle of a word): it is laid out ``PIPE_WIDTH`` wide.
    """

    @property
    def size(self) -> ConsoleDimensions:
        if not self.is_terminal:
            return ConsoleDimensions(PIPE_WIDTH, 25)
        return super().size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = _Console()
#: messages on stderr are never wrapped by Rich: an error is one line, whatever the terminal's width
#: or the length of the paths it names (a terminal folds a long line itself; a pipe or a log keeps it
#: whole, so "no such file" is not split across two lines)
err_console = _Console(stderr=True, soft_wrap=True)


class State:
    db: str | None = None
    #: ``--key-file``: the API key that says who runs the command (see ``identity``)
    key_file: Path | None = None


state = State()


def one_line(exc: BaseException) -> str:
    """An error as one line a person can act on: the driver's message, without SQL, parameters or links."""
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def open_store() -> Store:
    from proscribe.store import Store

    try:
        return Store.open(state.db)
    except Exception as exc:  # a bad URL or an unreachable server: say which, not a traceback
        fail(f"cannot open the store {state.db or '(default)'}: {one_line(exc)}")


def system_error(exc: BaseException) -> str | None:
    """The one line for an error of the machine rather than of the command (a full disk, a damaged
    store, a file that cannot be written), or None for a bug, which keeps its traceback."""
    import errno

    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        return f"the store {state.db or '(default)'} cannot be used: {one_line(exc)}"
    if isinstance(exc, OSError):
        if exc.errno == errno.ENOSPC:
            where = f" writing {exc.filename}" if exc.filename else ""
            return f"the disk is full{where}: free some space and run the command again"
        if exc.strerror:
            return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return None


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
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
    """A Rich progress bar on stderr; yields a function to advance it by n.

    None when stderr is not a terminal: a log or a pipe would only get a stray blank line.
    """
    if quiet or not err_console.is_terminal:
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


def words(value: Any) -> str:
    """A value as a person reads it: yes/no, nothing, lists joined; never a Python repr."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):  # fields with a value, labelled; a mapping within one in brackets
        return "; ".join(
            f"{str(k).replace('_', ' ')}: " + (f"({words(v)})" if isinstance(v, dict) else words(v))
            for k, v in value.items()
            if v is not None
        )
    if isinstance(value, list | tuple | set):
        return ", ".join(words(v) for v in value) or "none"
    return str(value)


#: what an approved decision did, key by key, as ``alerts approve`` prints it
_EFFECT = {
    "outcome": "outcome",
    "released": "blocks released",
    "blocked": "blocks made",
    "report": "report due",
    "owner": "owner",
    "blocked_account": "blocked account",
    "moved": "funds moved",
    "license": "licence",
    "status": "status",
    "policy": "policy",
    "proposed_by": "proposed by",
    "approved_by": "approved by",
    "transaction": "ledger transaction",
    "charged": "charged",
    "rule": "rule",
}


def effect_lines(effect: dict[str, Any]) -> list[str]:
    """An approved decision's effect as labelled lines (``blocks made: block 3, block 4``)."""
    lines = []
    for key, value in effect.items():
        label = _EFFECT.get(key, key.replace("_", " "))
        if key == "policy" and isinstance(value, dict):
            text = f"{value.get('action')} ({'binding' if value.get('binding') else 'not binding'})"
            text += f": {value['reason']}" if value.get("reason") else ""
            text += f"; conflict: {value['conflict']}" if value.get("conflict") else ""
        elif key in ("released", "blocked") and isinstance(value, list):
            text = ", ".join(f"block {v}" for v in value) or "none"
        elif key == "report" and value is not None:
            text = f"report {value}"
        elif key == "outcome":
            text = str(value).replace("_", " ")
        else:
            text = words(value)
        lines.append(f"{label}: {text}")
    return lines
