"""What law a hit, a block or a payment rests on: each program's own order and regulations, on the day.

An examiner reads the citation on a decision as the law it applied, so it must be the law of the
listing's program *on the day of the act*, not one authority for a whole list:

* ``ICC-EO13928`` (2020): EO 13928 §1 blocks; its regulations, 31 CFR part 520, were published on
  1 October 2020 (85 FR 61816) and removed effective 6 July 2021 (86 FR 35399). The order was revoked
  by EO 14022 on 1 April 2021; acts before then stay subject to it (NEA §202(a)).
* ``ICC-EO14203`` (2025): EO 14203 §1 blocks; its regulations, 31 CFR part 528, took effect on
  1 July 2025 (90 FR 28012).

Before a program's regulations exist the order applies directly (IEEPA, 50 U.S.C. 1701 et seq.),
and OFAC's reporting, procedures and penalties rules (31 CFR part 501) are applied to the property
it blocks: the citation says so and marks it uncertain, since no retrieved source confirms how OFAC
treated the gap for these two programs. The dates come from the program registry
(``proscribe.registry``, ``icc.yaml``), which names its sources. A program the registry does not
know (an OFAC SDN tag such as ``SDGT``) has no citation here: the policy's authority for its list is
cited instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from proscribe.registry import Program, Regulation, load_registry

__all__ = ["Citation", "program_citation", "program_citations", "regulation_in_force"]

#: the section of each order that blocks property (both orders put it first)
BLOCKING_SECTION = "§1"
#: what applies when a program has no regulations of its own on the day
NO_REGULATION = (
    "the order applies directly under IEEPA (50 U.S.C. 1701 et seq.), with OFAC's reporting, "
    "procedures and penalties regulations (31 CFR part 501)"
)
NO_REGULATION_UNCERTAIN = (
    "that 31 CFR part 501 reached property blocked under the order before its own regulations existed "
    "is OFAC's general practice, not confirmed for this program"
)


@dataclass(frozen=True)
class Citation:
    """The law a program's blocking rests on, on one day, and what about it is uncertain."""

    program: str
    on: date
    text: str
    uncertain: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.uncertain:
            return self.text
        return f"{self.text} [uncertain: {'; '.join(self.uncertain)}]"


@lru_cache(maxsize=1)
def _programs() -> dict[str, Program]:
    return dict(load_registry().programs)


def _in_force(reg: Regulation) -> date | None:
    return reg.issued.effective or reg.issued.published


def _current(prog: Program, on: date) -> list[Regulation]:
    return [
        r
        for r in prog.regulations
        if (_in_force(r) or date.max) <= on and (r.removed is None or on < (r.removed.effective or date.max))
    ]


def regulation_in_force(program: str, on: date) -> Regulation | None:
    """The program's own regulations in force on ``on``; None if it had none that day (or is unknown)."""
    prog = _programs().get(program)
    if prog is None:
        return None
    current = _current(prog, on)
    return current[0] if current else None


def program_citation(program: str, on: date) -> Citation | None:
    """The citation of ``program``'s blocking on ``on``; None for a program the registry does not know."""
    prog = _programs().get(program)
    if prog is None:
        return None
    order = f"{prog.instrument} {BLOCKING_SECTION}"
    uncertain: list[str] = []
    if on < prog.start_date:
        return Citation(
            program,
            on,
            f"{prog.instrument} was not yet in force on {on.isoformat()} (signed {prog.signed.isoformat()})",
        )
    parts = [order]
    current = _current(prog, on)
    if current:
        parts.extend(r.cfr for r in current)
    else:
        later = [r for r in prog.regulations if (_in_force(r) or date.max) > on]
        gone = [
            r for r in prog.regulations if r.removed is not None and on >= (r.removed.effective or date.max)
        ]
        if later:
            r = later[0]
            took = (_in_force(r) or on).isoformat()
            parts.append(f"no regulations yet ({r.cfr} took effect on {took}): {NO_REGULATION}")
            uncertain.append(NO_REGULATION_UNCERTAIN)
        elif gone:
            r = gone[0]
            removed = r.removed
            assert removed is not None
            parts.append(
                f"{r.cfr} was removed effective {(removed.effective or on).isoformat()} ({removed.citation})"
            )
        else:
            parts.append(f"no implementing regulations known: {NO_REGULATION}")
            uncertain.append(NO_REGULATION_UNCERTAIN)
    if prog.end_date is not None and on >= prog.end_date and prog.revocation is not None:
        rev = prog.revocation
        parts.append(
            f"the order was revoked by {rev.instrument} on {rev.signed.isoformat()}; acts before then "
            "remain subject to it (NEA §202(a))"
        )
    return Citation(program, on, "; ".join(parts), tuple(uncertain))


def program_citations(programs: list[str] | tuple[str, ...], on: date) -> list[Citation]:
    """The citations of the registry's programs among ``programs``, sorted by program."""
    out = []
    for p in sorted(set(programs)):
        c = program_citation(p, on)
        if c is not None:
            out.append(c)
    return out
