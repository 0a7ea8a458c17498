"""Dates in the names of mirror folders: ``un-2026-02``, ``ofac-sdn-2021-07``, ``lists-2024-05-03``.

A list file that states no date of its own (OFAC's legacy CSV) gets, when it is read from a mirror
folder (``lists update --mirror``/``--fallback``, ``make run``), the date its folder's name gives:
a full date is the version's date; a month only is kept as the month's last day (the latest the
file can be from: no as-of answer claims a designation before the file could have been published)
and the version is shown as "date unknown" (with its month), never as fresh.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class NameDate:
    """The date a mirror folder's (or file's) name gives a list file that states none itself."""

    day: date
    #: False when the name gives a month only (``ofac-sdn-2021-07``): ``day`` is then the month's
    #: last day, the latest the file can be from, and the version shows "date unknown"
    day_known: bool
    #: where it was read, for messages
    name: str

    @property
    def month(self) -> str | None:
        return None if self.day_known else self.day.strftime("%Y-%m")


_NAME_DATE = re.compile(r"(?:^|[-_])(\d{4})-(\d{2})(?:-(\d{2}))?$")


def date_in_name(path: Path, mirror: Path) -> NameDate | None:
    """The date at the end of the name of ``path`` or of a folder between it and ``mirror``
    (``un-2026-02``, ``ofac-sdn-2021-07``, ``lists-2024-05-03``), nearest first; None if none."""
    here = path
    while True:
        stem = here.name if here.is_dir() else here.stem
        m = _NAME_DATE.search(stem)
        if m is not None:
            year, month = int(m.group(1)), int(m.group(2))
            try:
                if m.group(3):
                    return NameDate(date(year, month, int(m.group(3))), True, here.name)
                return NameDate(date(year, month, calendar.monthrange(year, month)[1]), False, here.name)
            except ValueError:  # "2021-13": not a date
                return None
        if here == mirror or here.parent == here or not here.is_relative_to(mirror):
            return None
        here = here.parent
