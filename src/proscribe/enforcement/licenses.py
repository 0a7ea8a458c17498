"""Licences in the program registry: what each one authorises, and whether it can cover a dealing.

A licence removes a prohibition only to the extent its terms state (the "effect of license" section
of every OFAC part, e.g. 31 CFR 597.501(c)). The registry (``registry/icc.yaml``) records, for each
general licence, licence written into the regulations and specific licence it knows, what it
authorises, with the source of that reading (``authorizes``, ``authorizes_source``):

``dealings``
    dealings with the blocked person that move no blocked property (GL 2: providing certain legal
    services; 31 CFR 528.508: emergency medical services);
``receipt_outside_funds``
    receiving payment from funds that are not blocked (GL 3: fees for legal services);
``wind_down``
    what is ordinarily incident and necessary to winding down, until the licence expires. OFAC's
    wind-down licences do not authorise a debit to a blocked account, and a payment for the
    blocked person goes into a blocked account (OFAC FAQ 975);
``debit_blocked`` / ``unblock``
    debiting or unblocking blocked property: no general licence of the ICC programs is known to do
    either. Standard OFAC practice is that legal fees paid *from blocked funds* need a specific
    licence; so does any other debit or release.

Everything a licence does not authorise is refused. ``check`` therefore never authorises on its
own: it answers ``refused`` (the licence certainly does not cover the dealing: an unknown number,
another program, a person it does not name, not yet issued, expired, a purpose it does not cover,
a kind of dealing it does not authorise) or ``review`` (it may cover it; the facts only a person
can check are listed, with what the licence covers and what it does not). A debit of blocked
property is authorised only by a specific licence the institution registered, with its licensee,
parties, accounts, amount and dates, under four eyes (``specific_licenses``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from proscribe.enforcement.clock import aware
from proscribe.registry import License, Program, Registry, load_registry, program_code

__all__ = [
    "AUTHORISATIONS",
    "DEALING_KINDS",
    "LicenseCheck",
    "check",
    "describe",
    "find",
    "normalise_number",
]

#: what each kind of authorisation means, as the reasons say it
AUTHORISATIONS: dict[str, str] = {
    "dealings": "dealings with the blocked person that move no blocked property",
    "receipt_outside_funds": "receipt of payment from funds that are not blocked",
    "wind_down": "transactions ordinarily incident and necessary to a wind-down, until the licence expires",
    "debit_blocked": "debits of blocked accounts",
    "unblock": "unblocking blocked property",
}
#: the kinds of dealing a caller asks about, and the authorisations that can cover each
DEALING_KINDS: dict[str, tuple[str, ...]] = {
    # money leaving blocked property held here: a withdrawal, a transfer out, a payment out
    "debit_blocked": ("debit_blocked",),
    # blocked property returned to its holder
    "unblock": ("unblock",),
    # a payment to (or for) a blocked person: may be allowed by the licence's terms, but a payment
    # under a wind-down goes into a blocked account (OFAC FAQ 975)
    "payment_to": ("dealings", "wind_down"),
    # a payment by a blocked person out of funds that are not blocked here
    "payment_from": ("dealings", "receipt_outside_funds", "wind_down"),
    # any other dealing (a service, a payment naming the person)
    "dealing": ("dealings", "receipt_outside_funds", "wind_down"),
}
#: why a general licence never moves blocked property here (cited in every such refusal)
SPECIFIC_NEEDED = (
    "debiting or unblocking blocked property needs a specific licence from OFAC (legal fees paid "
    "from blocked funds included), registered here before it is used"
)


@dataclass(frozen=True)
class LicenseCheck:
    """The answer: ``refused`` or ``review`` (a person checks), why, and what the licence covers."""

    status: str
    license: str
    reason: str
    program: str | None = None
    authorizes: tuple[str, ...] = ()
    does_not: tuple[str, ...] = ()
    source: str | None = None
    #: what a person must still check before anything moves
    to_check: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether the licence authorises the dealing by itself: never, for a registry licence."""
        return self.status == "authorised"

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "ok": self.ok,
            "license": self.license,
            "reason": self.reason,
            "program": self.program,
            "authorizes": list(self.authorizes),
            "does_not_authorize": list(self.does_not),
            "source": self.source,
            "to_check": list(self.to_check),
        }


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


def is_general_number(number: str) -> bool:
    """Whether ``number`` is spelled as a general licence or a regulation (GL 9, 31 CFR 528.506)."""
    text = normalise_number(number)
    return text.startswith(("GL ", "31 CFR "))


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


def describe(kinds: Iterable[str]) -> str:
    """The authorisations in words, for a reason a person reads."""
    words = [AUTHORISATIONS.get(k, k) for k in kinds]
    return "; ".join(words) if words else "nothing"


def check(
    number: str,
    *,
    programs: Iterable[str],
    entity_ids: Iterable[str],
    purpose: str | None,
    at: datetime,
    dealing: str = "dealing",
    registry: Registry | None = None,
) -> LicenseCheck:
    """Whether registry licence ``number`` can cover a ``dealing`` with a person blocked under ``programs``.

    ``entity_ids`` are the blocked person's listed ids (``icc-hohler-beti``...); ``purpose`` one of
    the registry's purpose codes or None; ``at`` the (timezone-aware) time of the dealing;
    ``dealing`` one of ``DEALING_KINDS``. The answer is ``refused`` or ``review``, never
    ``authorised``: a general licence is a claim a person checks against its terms.
    """
    if dealing not in DEALING_KINDS:
        raise ValueError(f"dealing must be one of {', '.join(DEALING_KINDS)}, not {dealing!r}")
    at = aware(at)
    found = find(number, registry)
    if found is None:
        return LicenseCheck(
            "refused",
            number,
            f"no licence {number!r} is known: not in the program registry, and a specific licence is "
            "used only once it is registered here",
        )
    program, lic = found
    label = f"{lic.number} ({program.code})"
    kinds = tuple(lic.authorizes)
    does_not = tuple(k for k in AUTHORISATIONS if k not in kinds)

    def answer(status: str, reason: str, to_check: tuple[str, ...] = ()) -> LicenseCheck:
        return LicenseCheck(
            status,
            lic.number,
            f"{label} {reason}",
            program.code,
            kinds,
            does_not,
            lic.authorizes_source,
            to_check,
        )

    # a list's tag for the program (OFAC's "ICCP-EO13928") is the program
    progs = {program_code(p, registry) for p in programs}
    if program.code not in progs:
        under = ", ".join(sorted(progs)) or "no program"
        return answer("refused", f"is a licence of another program; the person is blocked under {under}")
    if lic.designees and not set(lic.designees).intersection(entity_ids):
        return answer("refused", f"covers only {', '.join(lic.designees)}, not this person")
    if lic.issued is not None and at.date() < lic.issued:
        return answer("refused", f"was not issued until {lic.issued}")
    if lic.expired(at):
        assert lic.expires is not None
        return answer("refused", f"expired at {lic.expires.isoformat()} ({lic.expires.tzinfo})")
    if not kinds:
        return answer("refused", "has contents that are not known, so it authorises nothing")
    usable = [k for k in DEALING_KINDS[dealing] if k in kinds]
    if not usable:
        what = "a debit of blocked property" if dealing == "debit_blocked" else dealing.replace("_", " ")
        why = f"authorises {describe(kinds)}; not {what}"
        if dealing in ("debit_blocked", "unblock"):
            why += f": {SPECIFIC_NEEDED}"
        return answer("refused", why)
    if purpose is None and "wind_down" not in lic.covers:
        return answer("refused", f"concerns {', '.join(lic.covers)}; the dealing states no purpose")
    if purpose is not None and purpose not in lic.covers:
        return answer("refused", f"concerns {', '.join(lic.covers)}, not {purpose}")
    to_check = [f"that the dealing is within {lic.number}'s terms ({lic.title or 'title not known'})"]
    if "receipt_outside_funds" in usable:
        to_check.append("that the funds are not blocked property and come from outside the United States")
    if "wind_down" in usable:
        to_check.append("that the dealing winds down one entered into before the designation")
        if dealing == "payment_to":
            to_check.append("a payment for the blocked person goes into a blocked account (OFAC FAQ 975)")
        if lic.expires is None:
            to_check.append("the expiry of the wind-down period, which the registry does not know")
    if lic.expires is not None and not lic.expires_confirmed:
        to_check.append(
            f"OFAC's expiry of {lic.number}, which is not confirmed: the registry takes it to end at "
            f"{lic.expires.isoformat()} at the latest (the safer reading) and refuses it after"
        )
    if not lic.verified:
        to_check.append("OFAC's text: " + "; ".join(lic.uncertain))
    until = ""
    if lic.expires is not None:
        until = f", until {lic.expires.isoformat()}"
        if not lic.expires_confirmed:
            until += " at the latest (expiry not confirmed)"
    return answer(
        "review",
        f"may cover it: it authorises {describe(kinds)}{until}; it does not authorise "
        f"{describe(k for k in does_not if k in ('debit_blocked', 'unblock'))}",
        tuple(to_check),
    )
