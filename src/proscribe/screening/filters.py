"""Checking a screen's list and program filters against what the index holds.

A filter naming a list or a program the index does not hold would screen against nothing and
answer "no hits": a wrong spelling would read as a clean result. ``check_filters`` refuses it
instead, naming what exists (the CLI exits 2, the API answers 422).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from proscribe.registry import program_code
from proscribe.screening.screener import Screener

__all__ = ["Filters", "UnknownFilterError", "check_filters"]


class UnknownFilterError(ValueError):
    """A dataset or program filter that matches nothing in the index; the message names what exists."""


@dataclass(frozen=True)
class Filters:
    datasets: list[str] | None
    programs: list[str] | None


def _known(values: Iterable[str]) -> str:
    """Every name, so the message says what to type (the OFAC list has some eighty programs)."""
    names = sorted(set(values), key=lambda v: (v.casefold(), v))
    return ", ".join(names) if names else "none"


def check_filters(
    screener: Screener, datasets: Iterable[str] | None, programs: Iterable[str] | None
) -> Filters:
    """The filters, checked: every list named must be in the index, every program on some listing.

    A program is matched exactly, or through the registry's tags for it (OFAC's ``ICCP-EO13928``
    is ``ICC-EO13928``). Raises ``UnknownFilterError`` naming the unknown ones and what exists.
    """
    index = screener.index
    as_of = index.built_from.get("as_of", "the index's date")
    ds = [d.strip() for d in datasets or () if d.strip()]
    progs = [p.strip() for p in programs or () if p.strip()]
    known_ds = {e.dataset for e in index.entities}
    known_progs = {p for e in index.entities for p in e.programs}
    problems = []
    unknown_ds = [d for d in ds if d not in known_ds]
    if unknown_ds:
        problems.append(
            f"no list {', '.join(map(repr, unknown_ds))} in the lists as of {as_of} "
            f"(lists: {_known(known_ds)})"
        )
    resolved = []
    unknown_progs = []
    for p in progs:
        code = p if p in known_progs else program_code(p)
        if code in known_progs:
            resolved.append(code)
        else:
            unknown_progs.append(p)
    if unknown_progs:
        problems.append(
            f"no program {', '.join(map(repr, unknown_progs))} on any listing as of {as_of} "
            f"(programs: {_known(known_progs)})"
        )
    if problems:
        raise UnknownFilterError("; ".join(problems))
    return Filters(ds or None, resolved or None)
