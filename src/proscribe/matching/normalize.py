"""Names in any script, made comparable.

A name becomes a tuple of tokens: lower-case ASCII (transliterated from Cyrillic, Arabic,
Persian, Chinese, Korean, Greek and the rest), with punctuation, honorifics and titles
removed. Each token also gets a *skeleton*: its consonants after folding the usual
romanisation variants (Mohammed/Muhammad -> mhmd, Qaddafi/Gadhafi/Kadafi -> kdf,
Ivanov/Ivanoff -> fnf), which is how transliterations of one name find each other.

Transliteration is the slow step (rigour's ``ascii_text`` covers every script), so tokens
are cached: real batches repeat tokens far more than they repeat names.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii
from rigour.names import remove_org_types, replace_org_types_compare
from rigour.text import ascii_text

from proscribe.matching import korean

# Titles, honorifics and ranks that say nothing about who a person is. Lower-case, after ASCII folding.
# Not here: Amir, Emir, Imam, Sayed, Prince: titles too, but far more often given names (Amir KATRANGI).
HONORIFICS = frozenset(
    """
    mr mrs ms miss mx dr prof professor sir dame lord lady madam madame mme mlle monsieur herr frau
    sheikh shaikh shaykh sheik cheikh haji hajji hadji alhaj alhajji hajj mullah mulla maulana mawlana
    maulawi mawlawi maulavi mawlavi qari ayatollah hojatoleslam
    gen general col colonel maj major capt captain lt lieutenant
    brig brigadier adm admiral cmdr commander sgt sergeant rev reverend fr father saint st hon
    honourable honorable his her excellency he
    """.split()
)

SUFFIXES = frozenset("jr sr esq phd md ii iii iv".split())

# Particles that join a name to the next part. They are kept (al-Hassan is not Hassan) but weigh
# little, and "al hassan" also matches "alhassan".
PARTICLES = frozenset(
    """
    al el ul ad ed ar as at az an ibn bin ben bint binti abu abou abd abdel abdul van von der den de
    del della di da dos das do du la le les lo mac mc ter ten zu af ap bar ould
    """.split()
)

_SPLIT = re.compile(r"[^\w]+", re.UNICODE)
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Arabic, Syriac, Thaana, Hebrew and the Indic scripts: written without (most) vowels or with
# vowel signs that a character table drops
_ABJAD_OR_INDIC = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\u0900-\u0dff]")

# Korean family names as South Korean passports and the press usually write them (the Revised
# Romanisation would give gim, i, bak...); the McCune-Reischauer reading is made separately.
_KOREAN_SURNAMES = {
    "김": "kim",
    "이": "lee",
    "리": "ri",
    "박": "park",
    "정": "jung",
    "최": "choi",
    "조": "cho",
    "강": "kang",
    "윤": "yoon",
    "장": "jang",
    "임": "lim",
    "림": "rim",
    "한": "han",
    "오": "oh",
    "서": "suh",
    "신": "shin",
    "권": "kwon",
    "황": "hwang",
    "안": "ahn",
    "송": "song",
    "류": "ryu",
    "유": "yoo",
    "홍": "hong",
    "전": "jeon",
    "고": "ko",
    "문": "moon",
    "양": "yang",
    "손": "son",
    "배": "bae",
    "백": "baek",
    "허": "heo",
    "남": "nam",
    "구": "ku",
    "방": "pang",
    "노": "noh",
    "로": "ro",
    "하": "ha",
    "주": "joo",
    "차": "cha",
    "우": "woo",
}


def _split_cjk(word: str) -> list[str]:
    """Korean and Chinese names are written without spaces: family name first, then the given name.

    One syllable (Korean) or character (Chinese) of family name is by far the common case; the given
    name is romanised as one token, as lists write it (Kim Jong Un -> "kim", "jongun").
    """
    if _HANGUL.search(word):
        chars = [ch for ch in word if _HANGUL.match(ch)]
        parts = [anyascii(ch).lower() for ch in chars]
        if 2 <= len(parts) <= 4:
            family = _KOREAN_SURNAMES.get(chars[0], parts[0])
            return [family, "".join(parts[1:]).replace("-", "")]
        return parts  # longer: a company or place, one token a syllable
    if _HAN.search(word):
        parts = [anyascii(ch).lower() for ch in word if _HAN.match(ch)]
        if 2 <= len(parts) <= 4:
            return [parts[0], "".join(parts[1:])]
        return parts
    return [word]


@lru_cache(maxsize=100_000)
def fold_token(word: str) -> tuple[str, ...]:
    """One raw word -> zero or more lower-case ASCII tokens."""
    if word.isascii():
        text = word.lower()
    elif _HANGUL.search(word) or _HAN.search(word):
        return tuple(t for t in _split_cjk(word) if t)
    elif _ABJAD_OR_INDIC.search(word):
        # rigour's transliteration keeps the long vowels of Arabic, Persian, Hebrew and Indic
        # scripts (أسامة -> asama, where a plain table gives 'sm): slower, and worth it here.
        # Arabic ta marbuta is a vowel ending when names are romanised (Usama, not Usamat).
        # Tatweel only stretches a word on the page (شعبـان is شعبان).
        word = word.replace("\u0629", "\u0627").replace("\u0640", "")
        # The marks left for ain and hamza (', ` or ?) are not letters of a romanised name.
        text = ascii_text(unicodedata.normalize("NFC", word)).lower()
        text = text.replace("'", "").replace("`", "").replace("?", "")
    else:
        # Latin with accents, Cyrillic, Greek, Armenian, Georgian...: a table lookup, 80x faster
        # (the soft and hard signs come out as apostrophes: Anatol'evich is one word)
        text = anyascii(word).lower().replace("'", "").replace('"', "")
    return tuple(t for t in _SPLIT.split(text) if t)


def variants(name: str, *, is_org: bool = False) -> list[tuple[str, ...]]:
    """The token sequences a query name may be read as: usually one.

    A Korean name in Hangul is read both in the Revised Romanisation and in McCune-Reischauer,
    because the lists use the latter for North Korean names.
    """
    first = tokens(name, is_org=is_org)
    if not _HANGUL.search(name):
        return [first]
    out: list[str] = []
    for word in _raw_words(name):
        if _HANGUL.search(word):
            parts = korean.syllables(word)
            if 2 <= len(parts) <= 4 and not is_org:
                out.extend([parts[0], "".join(parts[1:])])
            else:
                out.extend(parts)
        else:
            out.extend(fold_token(word))
    second = tuple(out)
    return [first] if second == first or not second else [first, second]


def _raw_words(name: str) -> list[str]:
    # apostrophes join (O'Brien -> obrien); hyphens split (al-Hassan -> al hassan)
    name = name.replace("'", "").replace("\u2019", "").replace("`", "")
    return [w for w in _SPLIT.split(name) if w]


@lru_cache(maxsize=100_000)
def tokens(name: str, *, is_org: bool = False) -> tuple[str, ...]:
    """The comparable tokens of a name, in the order written."""
    if is_org:
        # legal forms (LLC, OOO, GmbH, S.A. de C.V.) become one short canonical token each
        name = replace_org_types_compare(name)
    out: list[str] = []
    for word in _raw_words(name):
        out.extend(fold_token(word))
    if not is_org:
        # titles stand before a name (Sheikh, Dr., Mullah) and degrees after it (Jr., PhD); in the
        # middle or at the end the same word is often a family name (Muhammad HAJJI, Ali SHEIKH)
        start = 0
        while start < len(out) - 1 and out[start] in HONORIFICS:
            start += 1
        end = len(out)
        while end > start + 1 and out[end - 1] in SUFFIXES:
            end -= 1
        out = out[start:end]
    return tuple(out)


# Legal-form words rigour's table leaves alone, or only recognises in longer phrases.
_MORE_LEGAL_FORMS = frozenset("co company corp corporation incorporated inc cia compania companhia".split())


@lru_cache(maxsize=50_000)
def is_legal_form(token: str) -> bool:
    """A company's legal form (ltd, llc, inc, gmbh, ooo, sa...): it says little about which company."""
    return token in _MORE_LEGAL_FORMS or (len(token) <= 12 and not remove_org_types(token).strip())


_SKELETON_RULES = (
    ("tch", "ch"),
    ("sch", "sh"),
    ("ph", "f"),
    ("ck", "k"),
    ("kh", "h"),
    ("gh", "g"),
    ("dh", "d"),
    ("th", "t"),
    ("ou", "u"),
    # ch keeps a sound of its own (Chong is not Kong): 9 stands for it, a letter no name has
    ("ch", "9"),
    ("sh", "s"),
    ("zh", "j"),
    ("dzh", "j"),
    ("dj", "j"),
    ("q", "k"),
    ("c", "k"),
    ("g", "k"),
    ("w", "v"),
    ("v", "f"),
    ("z", "s"),
    ("x", "ks"),
)
_VOWELS = re.compile(r"[aeiouy]")
_REPEAT = re.compile(r"(.)\1+")


def script_of(text: str) -> str:
    """'abjad' (Arabic, Persian, Hebrew, Indic), 'cjk' (Chinese, Korean) or '' for the rest."""
    if _ABJAD_OR_INDIC.search(text):
        return "abjad"
    if _HANGUL.search(text) or _HAN.search(text):
        return "cjk"
    return ""


def is_abjad(text: str) -> bool:
    """Is the text (partly) in a script written without short vowels (Arabic, Persian, Hebrew...)?"""
    return _ABJAD_OR_INDIC.search(text) is not None


@lru_cache(maxsize=100_000)
def skeletons(token: str, abjad: bool = False) -> tuple[str, ...]:
    """The skeleton of a token; for a token romanised from an abjad, also a weaker one.

    Romanised Arabic and Persian write long vowels as w and y (حبو -> hbw for Habbo, حقانى -> hqany
    for Haqqani) and ث as th where names say s (وثيق, Wassiq): the weak skeleton drops w and y and
    reads th as s, so those forms meet the vowelled ones. Only abjad-derived tokens get it: in
    Latin names it would join Ross White to Rushiti.
    """
    strong = skeleton(token)
    if not abjad:
        return (strong,)
    forms = [token]
    if token.startswith("al") and len(token) > 4:
        # the article melts into the next word when names are spoken and romanised
        # (الرحمن -> alrhmn for ur-Rehman, الصبار -> alsbar for Essabar)
        forms.append(token[2:])
    out = [strong]
    for form in forms:
        for sk in (skeleton(form), skeleton(form.replace("w", "").replace("y", "").replace("th", "s"))):
            if len(sk) >= 2 and sk not in out:
                out.append(sk)
    return tuple(out)


@lru_cache(maxsize=100_000)
def skeleton(token: str) -> str:
    """The consonant skeleton of a token, with the usual romanisation variants folded together."""
    # a final h after a vowel is a spelling of the vowel (Fatimah/Fatima), and after l the end of
    # "allah" written without its vowels (حبيب الله -> hbyb allh, Habibullah)
    s = token[:-1] if len(token) > 3 and token[-1] == "h" and token[-2] in "aeioul" else token
    for a, b in _SKELETON_RULES:
        s = s.replace(a, b)
    s = _REPEAT.sub(r"\1", s)
    return _VOWELS.sub("", s)


def is_particle(token: str) -> bool:
    return token in PARTICLES


def digits_and_letters(value: str) -> str:
    """An identifier reduced to upper-case letters and digits: 'A-123 456' -> 'A123456'.

    The "IMO" in front of a vessel number is a label, not part of it (lists write both ways).
    """
    out = "".join(ch for ch in ascii_text(value).upper() if ch.isalnum())
    if out.startswith("IMO") and out[3:].isdigit():
        out = out[3:]
    return out
