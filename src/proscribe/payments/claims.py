"""What a payment says about its own authority: the licence it claims and the purpose it states.

Senders write a licence number where the message has room: MT103 field 72 (``/LICENCE/GL 2``),
pacs.008 ``RgltryRptg/Dtls/Inf`` or ``Purp/Prtry``, and often just the remittance text ("PER OFAC
GL 2", "LICENSE ICC-EO14203-1370890-1"). Purposes come from the ISO 20022 purpose code and from
words in the text. Both are only claims: ``enforcement.licenses.check`` decides whether the licence
exists, covers the blocked person and the purpose, and is in force.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PURPOSE_CODES", "find_license", "purposes"]

# OFAC specific licences: <PROGRAM>-<case number>-<sequence>, e.g. ICC-EO14203-1370890-1
_SPECIFIC = re.compile(r"\b([A-Z]{2,}(?:-[A-Z0-9]+)*-\d{4,}-\d{1,3})\b")
_GENERAL = re.compile(r"\b(?:OFAC\s+)?(?:GL|GENERAL\s+LICEN[CS]E)\s*(?:NO\.?|NUMBER|#)?\s*(\d{1,3}[A-Z]?)\b")
_CFR = re.compile(r"\b31\s*C\.?F\.?R\.?\s*(?:§|SECTION|SEC\.?|PART)?\s*(\d{3}\.\d{3})\b")

#: ISO 20022 external purpose codes that name a purpose a licence may cover. MDCS (medical
#: services) and GOVT (government payment) are in the ISO list; LEGL is taken as legal fees as
#: payment systems use it (see docs/payments.md). A code is a claim, checked like any other.
PURPOSE_CODES: dict[str, str] = {
    "MDCS": "medical",
    "GOVT": "official_us_government",
    "LEGL": "legal_services",
}

#: words in the free text that state a purpose, most specific first
_PURPOSE_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("wind_down", re.compile(r"\bWIND[\s-]?(?:DOWN|ING\s+DOWN)\b")),
    ("legal_fees", re.compile(r"\b(?:LEGAL|PROFESSIONAL|ATTORNEY'?S?|COUNSEL)\s+FEES?\b")),
    ("legal_services", re.compile(r"\bLEGAL\s+(?:SERVICES?|REPRESENTATION|ADVICE|COUNSEL)\b")),
    ("medical", re.compile(r"\b(?:EMERGENCY\s+)?MEDICAL\b|\bHOSPITAL\b")),
    ("humanitarian", re.compile(r"\bHUMANITARIAN\b")),
    (
        "official_us_government",
        re.compile(r"\bOFFICIAL\s+BUSINESS\s+OF\s+THE\s+(?:UNITED\s+STATES|US|U\.S\.)\b"),
    ),
    ("icc_work", re.compile(r"\bICC[\s-]RELATED\s+WORK\b")),
)


def find_license(texts: Iterable[str]) -> str | None:
    """The first licence number written in ``texts``, in the spelling the registry uses."""
    for text in texts:
        upper = " ".join(text.upper().split())
        m = _SPECIFIC.search(upper)
        if m and not m.group(1).startswith("GL"):
            return m.group(1)
        m = _CFR.search(upper)
        if m:
            return f"31 CFR {m.group(1)}"
        m = _GENERAL.search(upper)
        if m:
            return f"GL {m.group(1)}"
    return None


def purposes(code: str | None, texts: Iterable[str]) -> list[str]:
    """The purposes a payment states, from its purpose code first and then its words, without repeats."""
    found: list[str] = []
    if code and code.upper() in PURPOSE_CODES:
        found.append(PURPOSE_CODES[code.upper()])
    joined = " ".join(" ".join(t.upper().split()) for t in texts)
    for purpose, pattern in _PURPOSE_WORDS:
        if pattern.search(joined) and purpose not in found:
            found.append(purpose)
    return found
