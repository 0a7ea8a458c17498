"""``--help`` as plain text a person reads at any terminal width; a usage error as one line.

Typer's Rich help cuts option names and words with an ellipsis on a narrow terminal (``--for…``) and
shows types as placeholders (``<bool>``, ``<list[str]>``, ``{path}``). Click's own help formatter wraps
at spaces only, whatever the width; this module selects it (as ``TYPER_USE_RICH=0`` would) and writes
each value's kind the way command-line help usually does: ``PATH``, ``TEXT``, ``INTEGER``, nothing for a
flag. Imported once by ``proscribe.cli.app``, before any help is printed.
"""

from __future__ import annotations

from typing import IO, Any

import typer.core
from typer._click import _textwrap
from typer._click.exceptions import UsageError
from typer._click.utils import echo

typer.core.HAS_RICH = False


class _Wrapper(_textwrap.TextWrapper):
    """Click's help wrapper, breaking lines at spaces only (never inside ``eu-xml`` or a long URL)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "break_on_hyphens": False, "break_long_words": False})


_textwrap.TextWrapper = _Wrapper  # type: ignore[misc]

#: a Python type's name as help names the value it takes
_KINDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH", "datetime": "DATE"}


def _kind(self: Any, ctx: Any) -> str:
    """``--limit INTEGER``, ``--dataset TEXT`` (repeatable), ``--force`` (a flag: nothing)."""
    if getattr(self, "is_flag", False) or getattr(self, "is_bool_flag", False):
        return ""
    if self.metavar:
        return str(self.metavar)
    desc = self.type_descriptor
    if desc.is_choice:
        return "|".join(str(c) for c in desc.choices or ())
    if desc.is_path:
        return "PATH"
    name = str(self.bare_type())
    if name.startswith("list[") and name.endswith("]"):
        name = name[5:-1]
    return _KINDS.get(name, name.upper())


def _usage_name(self: Any) -> str:
    """An argument in the usage line: ``PATH``, or ``[PATH]`` when it may be left out."""
    name = self.display_name_raw.upper()
    if self.nargs != 1:
        name += "..."
    return name if self.required else f"[{name}]"


def _no_kind(self: Any, ctx: Any) -> None:
    """An argument's name says what it is (``PATH``, ``NAME``): no second word for its type."""
    return None


def _rich_name(self: Any) -> str:
    name = str(self.display_name_raw).upper()
    return name + "..." if self.metavar is None and self.nargs != 1 else name


typer.core._TyperParameter.display_type = _kind  # type: ignore[method-assign]
typer.core.TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]
typer.core.TyperArgument._rich_display_name = _rich_name  # type: ignore[method-assign]
typer.core.TyperArgument.display_type_rich = _no_kind  # type: ignore[method-assign]


def _one_line(self: UsageError, file: IO[Any] | None = None) -> None:
    """A usage error (a missing argument, an unknown option, a value of the wrong kind) as one line
    naming the problem and where help is. Click printed the usage line (folded at the terminal's
    width), a hint and a blank line before the error: four lines or more."""
    where = f" (see {self.ctx.command_path} --help)" if self.ctx is not None else ""
    echo(f"error: {self.format_message().rstrip('.')}{where}", file=file, err=file is None)


UsageError.show = _one_line  # type: ignore[method-assign]
