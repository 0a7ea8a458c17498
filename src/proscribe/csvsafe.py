"""CSV cells a spreadsheet will not run: the one helper every CSV writer in proscribe uses.

Names reach CSV files from payment messages, batch files, customer books and list data; a name such
as ``=HYPERLINK("http://x","y")`` in a cell is a formula when the file is opened in a spreadsheet
(CSV or formula injection). The OWASP rule: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return is written with a single quote in front, so the spreadsheet shows it as text.

Numbers: a cell that is a plain decimal number (``-1500.00``, ``+3``, ``0.25``) is written as it is.
A spreadsheet reads it as that number and nothing else, so it cannot carry a formula, and negative
amounts (a reversal, a release) stay numbers a reviewer can sum. Anything else that starts with a
sign (``-1+1``, ``+CMD|...``, ``-=1``) is prefixed. Readers of our CSV that need the original text back
drop one leading ``'`` from a cell that starts with ``'`` followed by one of the characters above.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

#: the first characters that make a spreadsheet treat a cell as a formula (OWASP)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> str:
    """``value`` as the text of a CSV cell that no spreadsheet evaluates (``None`` is empty)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def unsafe_cell(text: str) -> str:
    """The original text of a cell written by :func:`safe_cell`."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


class SafeWriter:
    """``csv.writer`` whose every cell goes through :func:`safe_cell`."""

    def __init__(self, out: IO[str], **kwargs: Any) -> None:
        kwargs.setdefault("lineterminator", "\n")
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: IO[str], **kwargs: Any) -> SafeWriter:
    """The CSV writer to use in proscribe (cells neutralised against formula injection)."""
    return SafeWriter(out, **kwargs)
