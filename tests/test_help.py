"""Every command's ``--help`` reads as text: no type placeholders, no raw markup, no word cut in two."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from proscribe.cli.app import app

ROOT = typer.main.get_command(app)

# what Typer or a docstring leaves behind when help is not written for a person
PLACEHOLDERS = [
    (re.compile(r"<(?:str|int|float|bool|path|list\[[^>]*\]|datetime|[a-z_]+)>"), "a <type> placeholder"),
    (re.compile(r"(?<![\w$]){[a-z_]+}"), "a {name} placeholder"),
    (re.compile(r"``|`[^`\s][^`]*`"), "raw backticks"),
    (re.compile(r"…"), "an ellipsis where text was cut"),
    (re.compile(r"\[/?(?:bold|red|green|dim|italic|cyan|yellow)\]"), "Rich markup"),
]


def _commands(cmd: Any, path: list[str]) -> Iterator[list[str]]:
    yield path
    if hasattr(cmd, "list_commands"):
        ctx = cmd.context_class(cmd, info_name=path[-1] if path else "proscribe")
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _commands(sub, [*path, name])


COMMANDS = list(_commands(ROOT, []))


def _help(path: list[str], width: int) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(width)}, prog_name="proscribe")
    assert result.exit_code == 0, f"proscribe {' '.join(path)} --help: {result.output}"
    return result.output


def test_every_command_is_walked() -> None:
    assert len(COMMANDS) > 40, COMMANDS
    assert ["lists", "import"] in COMMANDS and ["alerts", "approve"] in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "proscribe")
def test_help_is_plain_text_at_any_width(path: list[str]) -> None:
    narrow, wide = _help(path, 40), _help(path, 200)
    for text in (narrow, wide):
        for pattern, what in PLACEHOLDERS:
            found = pattern.search(text)
            assert not found, f"proscribe {' '.join(path)} --help shows {what}: {found.group(0)!r}\n{text}"
    # a line is broken at a space only: every word at 40 columns is a word at 200
    # (a command list ends a long summary at a word, with "...")
    words_wide = {w.removesuffix("...") for w in wide.split()}
    cut = [w for w in narrow.split() if w.removesuffix("...") not in words_wide]
    assert not cut, f"proscribe {' '.join(path)} --help at 40 columns cuts words: {cut}\n{narrow}"


#: a usage error for each way a command line can be wrong, and the words that name the problem
USAGE_ERRORS = [
    (["screen"], "Missing argument 'name'"),
    (["accounts", "withdraw", "A-1001", "-5", "--reason", "x"], "No such option: -5"),
    (["nosuch"], "No such command 'nosuch'"),
    (["reports", "annual", "20x5"], "Invalid value for 'year'"),
    (["entity", "show", "un_sc_sanctions"], "Missing argument 'source_id'"),
]


@pytest.mark.parametrize("width", [40, 300])
@pytest.mark.parametrize(
    ("args", "problem"), USAGE_ERRORS, ids=lambda a: " ".join(a) if isinstance(a, list) else ""
)
def test_a_usage_error_is_one_line_at_any_width(args: list[str], problem: str, width: int) -> None:
    """Click printed the usage (folded at 40 columns), a hint, a blank line, then the error."""
    result = CliRunner().invoke(app, args, env={"COLUMNS": str(width)}, prog_name="proscribe")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and problem in lines[0] and "--help)" in lines[0], lines
