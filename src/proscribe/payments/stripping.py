"""Signs that a payment was stripped: names removed or altered so that a filter would miss them.

Stripping is the evasion screening exists to catch: a sender that takes a blocked person's name
out of a message, writes it so that it no longer matches ("K4RIM", "B.E.T.I"), or replaces a
party's name with a placeholder. None of these proves evasion, so a flag holds the payment for a
person to review (the rules and the reasons are in ``enforcement/payments.py``). The signs:

* ``placeholder_name``: a party named "ONE OF OUR CLIENTS", "NAME WITHHELD", "N/A"...;
* ``blank_name``: a party with an account but no name and no BIC to say who it is;
* ``altered_name``: free text that matches a listed name only once digits are read as letters,
  punctuation inside words removed and spaced-out letters joined (found by the decision, which
  screens ``deobfuscate(text)`` beside the text itself);
* ``unknown_name_in_text``: free text saying a payment is "on behalf of" or "for the benefit of"
  someone who is not among the parties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from proscribe.matching.normalize import tokens
from proscribe.payments.messages import PaymentMessage

__all__ = ["StrippingFlag", "beneficiary_names", "deobfuscate", "party_flags", "unknown_names_in_text"]


@dataclass(frozen=True)
class StrippingFlag:
    kind: str
    field: str
    text: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "field": self.field, "text": self.text, "detail": self.detail}


_PLACEHOLDER = re.compile(
    r"^(?:ONE\s+OF\s+OUR\s+(?:CLIENTS?|CUSTOMERS?)|OUR\s+(?:CLIENT|CUSTOMER)S?|(?:NAME\s+)?WITHHELD"
    r"|NAME\s+WITHHELD|UNDISCLOSED(?:\s+\w+)?|CONFIDENTIAL|NOT\s*PROVIDED|UNKNOWN|N/?A|NONE|X{2,}"
    r"|SEE\s+(?:ABOVE|BELOW|FIELD\s*\d+\w?|72|70)|(?:A\s+)?(?:CLIENT|CUSTOMER|BENEFICIARY)"
    r"|ORDERING\s+CUSTOMER|BENEFICIARY\s+CUSTOMER|[-./*?\s]+)$"
)

#: digits and signs written for the letters they look like
_LOOKALIKE = str.maketrans(
    {"0": "O", "1": "I", "3": "E", "4": "A", "5": "S", "7": "T", "8": "B", "@": "A", "$": "S"}
)
_INNER_PUNCT = re.compile(r"(?<=[A-Za-z])[.*_|'`~^+](?=[A-Za-z])")
_SPACED_LETTERS = re.compile(r"\b(?:[A-Za-z][ .-]){2,}[A-Za-z]\b")


def party_flags(message: PaymentMessage) -> list[StrippingFlag]:
    """Customers (not banks) whose name was left out or replaced by a placeholder."""
    out: list[StrippingFlag] = []
    for p in message.parties:
        if p.is_agent:
            continue
        name = " ".join(p.name.upper().split())
        if not name:
            if p.account and not p.bic:
                out.append(
                    StrippingFlag(
                        "blank_name",
                        p.field,
                        p.account,
                        f"the {p.role.replace('_', ' ')} has an account ({p.account}) but no name",
                    )
                )
            continue
        if _PLACEHOLDER.match(name):
            out.append(
                StrippingFlag(
                    "placeholder_name",
                    p.field,
                    p.name,
                    f"the {p.role.replace('_', ' ')}'s name is a placeholder ({p.name!r}), not a name",
                )
            )
    return out


def _join_spaced(match: re.Match[str]) -> str:
    return re.sub(r"[ .-]", "", match.group(0))


def deobfuscate(text: str) -> str:
    """``text`` with look-alike digits read as letters, punctuation inside words dropped and
    spaced-out letters joined: "B.E.T.I H0HLER" -> "BETI HOHLER". Numbers stay numbers."""
    words = []
    for word in text.split():
        core = word.strip(",;:()[]")
        # only a word that mixes letters with look-alike digits; a run of 3+ digits is a reference
        # number ("INV2025"), not a disguised name, and is left alone
        if (
            re.search(r"[A-Za-z]", core)
            and re.search(r"[0134578@$]", core)
            and not re.search(r"\d{3,}", core)
        ):
            word = word.replace(core, core.translate(_LOOKALIKE))
        words.append(word)
    joined = " ".join(words)
    joined = _SPACED_LETTERS.sub(_join_spaced, joined)
    previous = None
    while previous != joined:
        previous = joined
        joined = _INNER_PUNCT.sub("", joined)
    return joined


_MARKERS = re.compile(
    r"(?:\bON\s+BEHALF\s+OF|\bO/B/O|\bOBO|\bFOR\s+THE\s+BENEFIT\s+OF|\bFBO|\bIFO|\bIN\s+FAVOU?R\s+OF"
    r"|\bULTIMATE\s+BENEFICIARY|\bFINAL\s+BENEFICIARY|/BNF/|/ULTB/)[\s:]*"
)
_NAME_END = re.compile(r"[,;/()\n]|\b(?:INVOICE|INV|REF|FOR|RE|ACC|ACCOUNT|IBAN|NO|NR|DATED?)\b")


def beneficiary_names(text: str, *, across_lines: bool = False) -> list[tuple[str, str]]:
    """Who free text says a payment is for: (the words that say so, the name after them).

    "FOR THE BENEFIT OF KARIM KHAN", "FBO", "ON BEHALF OF", "IN FAVOUR OF", "/BNF/" and "/ULTB/"
    name the one the payment is for; the name runs to the next comma, code or reference word, and
    to the end of the line unless ``across_lines`` (MT103 lines wrap at 35 characters, so a name may
    go on on the next line; a field 72 continuation "//" is read as a space).
    """
    if across_lines:
        text = re.sub(r"\n(?://)?", " ", text)
    upper = text.upper()
    out: list[tuple[str, str]] = []
    for m in _MARKERS.finditer(upper):
        rest = upper[m.end() :]
        if _MARKERS.match(rest):
            continue  # "/BNF/ON BEHALF OF X": the inner marker names X
        end = _NAME_END.search(rest)
        name = (rest[: end.start()] if end else rest).strip()
        if name:
            out.append((" ".join(m.group(0).split()).strip(" :"), name))
    return out


def unknown_names_in_text(message: PaymentMessage) -> list[StrippingFlag]:
    """Free text naming someone the payment is for ("on behalf of X") who is not among its parties."""
    known: set[str] = set()
    for p in message.parties:
        known.update(tokens(p.name))
    out: list[StrippingFlag] = []
    for ft in message.free_text:
        for _, name in beneficiary_names(ft.text):
            toks = tokens(name)
            if not toks or len(toks) > 6:
                continue
            if sum(t in known for t in toks) * 2 < len(toks):
                out.append(
                    StrippingFlag(
                        "unknown_name_in_text",
                        ft.field,
                        name,
                        f"field {ft.field} names {name!r} as the one the payment is for, "
                        "who is not among the parties",
                    )
                )
    return out
