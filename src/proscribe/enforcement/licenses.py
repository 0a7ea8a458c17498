"""Licences: does a licence authorise this dealing with a blocked person, now?

A licence is found by its number in the program registry (general licences such as the ICC
program's GL 1 wind-down and GL 2 legal services, licences written into the regulations such as
31 CFR 528.506, and specific licences issued to a named licensee). It authorises a dealing when:

1. it belongs to a program under which the blocked person is designated;
2. it names designees and the blocked person is one of them (a wind-down licence covers only the
   persons designated that day);
3. it was issued and has not expired at the time of the dealing (expiry is a timezone-aware
   instant: GL 1 ended at 00:01 Eastern on 8 July 2025);
4. its ``covers`` includes the dealing's purpose. A dealing with no stated purpose can only fall
   under a wind-down licence, which authorises what is ordinarily incident to winding down.

A licence whose contents were not retrieved covers nothing, so it never authorises a payment.
Specific licences are checked the same way; the institution must still keep a copy and verify
that the transaction conforms to it (FFIEC manual, Appendix H), which the reason says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from proscribe.enforcement.clock import aware
from proscribe.registry import License, Program, Registry, load_registry

__all__ = ["LicenseCheck", "check", "find", "normalise_number"]


@dataclass(frozen=True)
class LicenseCheck:
    """The answer: whether the licence authorises the dealing, and why (or why not)."""

    ok: bool
    license: str
    reason: str
    program: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "license": self.license, "reason": self.reason, "program": self.program}


_GL = re.compile(r"^(?:OFAC\s+)?(?:GL|GENERAL\s+LICEN[CS]E)\s*(?:NO\.?|NUMBER|#)?\s*(\d+[A-Z]?)$")
_CFR = re.compile(r"^(?:31\s*C\.?F\.?R\.?\s*(?:§|SECTION|PART)?\s*)?(\d{3}\.\d{3})$")


def normalise_number(number: str) -> str:
    """One spelling for a licence number: "General License No. 2" and "gl2" are "GL 2"."""
    text = " ".join(number.upper().replace("§", " § ").split())
    m = _GL.match(text)
    if m:
        return f"GL {m.group(1)}"
    m = _CFR.match(text.replace("§ ", "§"))
    if m:
        return f"31 CFR {m.group(1)}"
    return text


@lru_cache(maxsize=1)
def _registry() -> Registry:
    return load_registry()


def find(number: str, registry: Registry | None = None) -> tuple[Program, License] | None:
    """The licence with this number, and its program; None when no program has it."""
    reg = registry or _registry()
    wanted = normalise_number(number)
    for program in reg.programs.values():
        for lic in program.licenses:
            if normalise_number(lic.number) == wanted:
                return program, lic
    return None


def check(
    number: str,
    *,
    programs: Iterable[str],
    entity_ids: Iterable[str],
    purpose: str | None,
    at: datetime,
    registry: Registry | None = None,
) -> LicenseCheck:
    """Whether licence ``number`` authorises a dealing with a person blocked under ``programs``.

    ``entity_ids`` are the blocked person's listed ids (``icc-hohler-beti``...); ``purpose`` one of
    the registry's purpose codes or None; ``at`` the (timezone-aware) time of the dealing.
    """
    at = aware(at)
    found = find(number, registry)
    if found is None:
        return LicenseCheck(False, number, f"no licence {number!r} is known in any program")
    program, lic = found
    label = f"{lic.number} ({program.code})"

    def refused(reason: str) -> LicenseCheck:
        return LicenseCheck(False, lic.number, f"{label} {reason}", program.code)

    progs = set(programs)
    if program.code not in progs:
        under = ", ".join(sorted(progs)) or "no program"
        return refused(f"is a licence of another program; the person is blocked under {under}")
    if lic.designees and not set(lic.designees).intersection(entity_ids):
        return refused(f"covers only {', '.join(lic.designees)}, not this person")
    if lic.issued is not None and at.date() < lic.issued:
        return refused(f"was not issued until {lic.issued}")
    if lic.expired(at):
        assert lic.expires is not None
        return refused(f"expired at {lic.expires.isoformat()} ({lic.expires.tzinfo})")
    if not lic.covers:
        return refused("has contents that are not known, so it cannot authorise anything")
    if purpose is None and "wind_down" not in lic.covers:
        return refused(f"covers {', '.join(lic.covers)}; the dealing states no purpose")
    if purpose is not None and purpose not in lic.covers:
        return refused(f"covers {', '.join(lic.covers)}, not {purpose}")
    what = lic.title or ", ".join(lic.covers)
    until = f", until {lic.expires.isoformat()}" if lic.expires else ""
    note = ""
    if lic.kind == "specific":
        note = "; keep a copy of the licence and check the dealing conforms to it"
    return LicenseCheck(True, lic.number, f"authorised by {label}: {what}{until}{note}", program.code)
