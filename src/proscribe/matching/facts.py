"""What else is known, besides a name: birth dates, countries, identifiers, gender.

Birth dates are compared at the precision both sides give (a listing that says only "1961"
agrees with any date in 1961) and graded by how far apart they are, because publishers disagree on
dates (the UN and OFAC give different days for the same person; OFAC corrects its own) and lists
carry several for one person. A date one day, one month or one year away from a listed one, or
with day and month swapped, is a *near* miss: it lowers a score a little. A date years away is a
*conflict*, and lowers it in proportion to the distance. Neither wipes out a strong name match on
its own: the calibrated score weighs them against the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: how many years apart a conflict counts as the farthest (further away counts the same)
MAX_YEARS_APART = 10


@dataclass(frozen=True)
class DateRelation:
    """How a query's birth date relates to a listing's: the closest of the listing's dates."""

    #: match (same day), year (agree at the precision given), near (a slip: one day, month or
    #: year off, day and month swapped), conflict, or "" (nothing to compare)
    kind: str
    #: for a conflict, years apart (at least 1)
    years: float = 0.0


def _parts(value: str) -> tuple[int, int | None, int | None] | None:
    try:
        y = int(value[:4])
        m = int(value[5:7]) if len(value) >= 7 else None
        d = int(value[8:10]) if len(value) >= 10 else None
    except ValueError:
        return None
    return y, m, d


def _distance_days(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
    try:
        return abs((date(*a) - date(*b)).days)
    except ValueError:
        return 10**6


def _relate(q: tuple[int, int | None, int | None], c: tuple[int, int | None, int | None]) -> DateRelation:
    qy, qm, qd = q
    cy, cm, cd = c
    # compare at the precision both give
    if qm is None or cm is None:
        if qy == cy:
            return DateRelation("year")
        return DateRelation("near") if abs(qy - cy) == 1 else DateRelation("conflict", abs(qy - cy))
    if qd is None or cd is None:
        if (qy, qm) == (cy, cm):
            return DateRelation("year")
        if qy == cy or (abs(qy - cy) == 1 and qm == cm):
            return DateRelation("near")
        return DateRelation("conflict", max(1.0, abs(qy - cy)))
    if (qy, qm, qd) == (cy, cm, cd):
        return DateRelation("match")
    if qy == cy and qm == cd and qd == cm:
        return DateRelation("near")  # day and month swapped (US and European order)
    if qy == cy and (qm == cm or qd == cd):
        return DateRelation("near")  # one of day or month wrong
    if qm == cm and qd == cd and abs(qy - cy) <= 1:
        return DateRelation("near")  # the year one off
    if _distance_days((qy, qm, qd), (cy, cm, cd)) <= 31:
        return DateRelation("near")
    return DateRelation("conflict", max(1.0, abs(qy - cy)))


_RANK = {"match": 4, "year": 3, "near": 2, "conflict": 1, "": 0}


def date_relation(query: str | None, listed: tuple[str, ...]) -> DateRelation:
    """The closest relation between a query's birth date and any of a listing's."""
    if not query or not listed:
        return DateRelation("")
    q = _parts(query)
    if q is None:
        return DateRelation("")
    best = DateRelation("")
    for value in listed:
        c = _parts(value)
        if c is None:
            continue
        rel = _relate(q, c)
        if _RANK[rel.kind] > _RANK[best.kind] or (
            rel.kind == best.kind == "conflict" and rel.years < best.years
        ):
            best = rel
    return best
