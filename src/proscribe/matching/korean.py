"""Korean names as the sanctions lists write them.

The lists spell North Korean names in McCune-Reischauer without its diacritics ("Tong-chol
KIM", "Thae Chol RI", "Kuk-ryol O"), while a plain transliteration table gives the South's
Revised Romanisation (gim dongcheol). Both are produced for a Hangul query: this module
gives the McCune-Reischauer reading, syllable by syllable.
"""

from __future__ import annotations

_BASE = 0xAC00
_INITIALS = (
    "k",
    "kk",
    "n",
    "t",
    "tt",
    "r",
    "m",
    "p",
    "pp",
    "s",
    "ss",
    "",
    "ch",
    "tch",
    "ch",
    "k",
    "th",
    "ph",
    "h",
)
_MEDIALS = (
    "a",
    "ae",
    "ya",
    "yae",
    "o",
    "e",
    "yo",
    "ye",
    "o",
    "wa",
    "wae",
    "oe",
    "yo",
    "u",
    "wo",
    "we",
    "wi",
    "yu",
    "u",
    "ui",
    "i",
)
_FINALS = (
    "",
    "k",
    "k",
    "k",
    "n",
    "n",
    "n",
    "t",
    "l",
    "k",
    "m",
    "p",
    "l",
    "l",
    "p",
    "l",
    "m",
    "p",
    "p",
    "t",
    "t",
    "ng",
    "t",
    "t",
    "k",
    "t",
    "p",
    "t",
)


def syllable(ch: str) -> str | None:
    """One Hangul syllable in McCune-Reischauer, or None for anything else."""
    code = ord(ch) - _BASE
    if not 0 <= code < 11172:
        return None
    initial, rest = divmod(code, 21 * 28)
    medial, final = divmod(rest, 28)
    return _INITIALS[initial] + _MEDIALS[medial] + _FINALS[final]


def syllables(word: str) -> list[str]:
    return [s for s in (syllable(ch) for ch in word) if s is not None]
