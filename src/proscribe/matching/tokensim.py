"""How alike two words of names are, and why: same, spelling variant, typo, initial.

Two words are compared once each (the result is cached, and the index keeps, for each query
word, the vocabulary words it is alike to), so this can afford to be careful:

* **same**: equal after folding to ASCII.
* **variant**: the same spelling key (``normalize.key``: Ayed/Ayid, Ashour/Ashur, Rehman/Rahman,
  Hebo/Habbo, Essa/Esa, Sa'id/Saeed, Zawahiri/Zawahry), and letters close enough that the shared
  key is not a coincidence: the shorter the key, the closer (a two-letter key is shared by
  hundreds of unrelated words). When one side was written in Arabic or Persian script, the
  abjad key applies (no short vowels, w and y as vowels, d and z one sound) but its first letter
  must still agree: Zarei is not Yaser, Yasmin Moein is not Sam Naman.
* **typo**: one or two letters wrong in a word of four letters or more (the mean of
  Jaro-Winkler and the optimal-string-alignment similarity, which counts every edit).
* **initial**: one letter standing for a word that starts with it.

Two things are never alike, whatever their keys say:

* **distinct names with one consonant skeleton** (``distinct_names``): Mahmud (محمود) and
  Muhammad (محمد), Hasan (حسن) and Husayn (حسين) are different names in Arabic, not two spellings
  of one; romanised, they share m-h-m-d and h-s-n. Mahmoud ~ Mohamed and Hasan ~ Hussein were the
  commonest pairs in false alerts on real non-listed people (bench/realbench.py, dev split).
* **the same consonants, the vowels elsewhere** (``same_shape``): Maher and Mehri, Braguine and
  Boyarkin share a spelling key, but not where their vowels fall.
* **a nisba against the name it is made from** (``nisba_against_name``): Mohammadi and Mohammed,
  Hasani and Hasan, Sadeghi and Sadeq. The -i makes a family name of a given name, or is another
  name (Shami, Sadi); these were the commonest variants left in false alerts on real non-listed
  people of the dev split. It costs Qasim SULAYMAN (the UN) for Qasem SOLEIMANI (OFAC), name only.
* **an article against a name**: a particle of two letters (al, el, ad, ul) pairs only with a
  word of two letters. Romanised from Arabic script, علي (Ali) is "aly", and it was paired with the
  "al" of AL-TIKRITI, leaving the listed given name Ali unmatched.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from proscribe.matching.normalize import abjad_key, is_particle, keys, vocalised, vowel_shape

#: Jaro-Winkler a shared spelling key needs, by the key's length in consonants (V for a leading
#: vowel counts as one): long keys are rarely shared by chance (Zawahiri/Zawahry 0.92,
#: Hassan/Hussein 0.77), two-letter ones often are (Iyad/Ayed 0.67 share Vd, Hebo/Habbo 0.81 and
#: Sa'id/Saeed 0.83 are variants)
VARIANT_CUTOFF = {1: 0.84, 2: 0.78, 3: 0.7}
VARIANT_CUTOFF_LONG = 0.66
#: ...when one side comes from an abjad, whose romanisations lack vowels (Mhmd/Mohamed 0.75,
#: Myn/Moein 0.51, Fdl/Fazl 0.75); the key's first letter must agree as well
ABJAD_VARIANT_CUTOFF = 0.5
#: two Latin spellings sharing a key must also have their vowels in about the same places: the
#: edit similarity of their ``vowel_shape`` at least this (Maher/Mehri 0.6, Braguine/Boyarkin 0.57,
#: Klyuka/Gilka 0.6 are other names; Droukdal/Droukdel 0.71, Soleimani/Sulayman 0.88 are not).
#: Measured on the dev split: no variant pair of a found cross-publisher match falls under it
VARIANT_SHAPE_MIN = 0.7
#: a variant is at least this similar
VARIANT_FLOOR = 0.88
#: tokens shorter than this are not compared for typos
MIN_TYPO_LENGTH = 4
#: four-letter words must be closer (Clie/Clive 0.86, Hama/Hamza 0.86; not Chun/Chin 0.81)
SHORT_TYPO_CUTOFF = 0.85
TYPO_CUTOFF = 0.8
#: an initial against a word that starts with it
INITIAL_SIMILARITY = 0.7
#: a nisba against the name it is made from (``nisba_against_name``: Soleimani / Sulayman)
NISBA_SIMILARITY = 0.6


#: tokens at least this long are also reachable by their first PREFIX_LENGTH letters
PREFIX_MIN_TOKEN = 7
PREFIX_LENGTH = 5


# Mahmud and Muhammad: m, h, m, d; the vowel after the last m decides. Mahmud's is a long o or u
# (mahmoud, mahmud, mehmood, mohamud as Somali writes it; محمود -> mhmwd), Muhammad's a, e or none
# (mohamed, muhammad, mahamat, mehmed, a typo's mohmmed; محمد -> mhmd)
_MHMD = re.compile(r"^m[aeiouy]*h[aeiouy]*m+([aeiouwy]*)[dt]")
# Hasan and Husayn: h, s, then the vowels before n; Husayn's have an i or a y (hussein, husayn,
# hossain, huseyin; حسين -> hsyn), Hasan's not (hasan, hassan, hassen; حسن -> hsn)
_HSN = re.compile(r"^h[aeiouwy]*s+([aeiouwy]*)n")


def _name_family(token: str) -> str:
    """Which of the names that share a consonant skeleton the token is, or ''."""
    m = _MHMD.match(token)
    if m:
        return "mahmud" if any(v in m.group(1) for v in "ouw") else "muhammad"
    m = _HSN.match(token)
    if m:
        return "husayn" if ("i" in m.group(1) or "y" in m.group(1)) else "hasan"
    return ""


def distinct_names(q: str, c: str) -> bool:
    """Are the two words different names that only look alike once vowels go (Mahmud / Muhammad,
    Hasan / Husayn)?"""
    fq, fc = _name_family(q), _name_family(c)
    return bool(fq and fc and fq != fc)


def _nisba(word: str) -> bool:
    return len(word) > 3 and word[-1] in "iy" and word[-2] not in "aeiouy"


def nisba_against_name(q: str, c: str) -> bool:
    """One word ends in the -i of a nisba after a consonant, the other in a consonant: Mohammadi is
    not Mohammed, Hasani not Hasan, Sadeghi not Sadeq (a family name made from a name, or another
    name altogether: Shami / Shamin, Sadiq / Sadi)."""
    return (_nisba(q) and c[-1] not in "aeiouy") or (_nisba(c) and q[-1] not in "aeiouy")


def article_against_name(q: str, c: str) -> bool:
    """One word is a particle of two letters (al, el, ad) and the other a longer word."""
    short, other = (q, c) if len(q) <= len(c) else (c, q)
    return len(short) == 2 and len(other) > 2 and is_particle(short)


def same_shape(q: str, c: str) -> bool:
    """Do two spellings sharing a key have their vowels in about the same places? Only asked of
    words written with their vowels: a skeleton read off Arabic script (mhmd) has none to compare."""
    if not (vocalised(q) and vocalised(c)):
        return True
    return Levenshtein.normalized_similarity(vowel_shape(q), vowel_shape(c)) >= VARIANT_SHAPE_MIN


def deletes(token: str) -> list[str]:
    """The token with each one of its letters removed (for tokens long enough to have typos)."""
    if len(token) < MIN_TYPO_LENGTH:
        return []
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


def one_edit_apart(q: str, c: str) -> bool:
    """Do the two words share a one-letter deletion, or is one a deletion of the other?

    That is the typo reach of the index (the SymSpell trick): one letter inserted, deleted,
    replaced, or two neighbours swapped.
    """
    if abs(len(q) - len(c)) > 1 or min(len(q), len(c)) < MIN_TYPO_LENGTH - 1:
        return False
    dq, dc = set(deletes(q)), set(deletes(c))
    return c in dq or q in dc or not dq.isdisjoint(dc)


def _shared_key(q: str, c: str) -> str:
    """The longest spelling key the two words share, or ''."""
    common = set(keys(q)).intersection(keys(c))
    return max(common, key=len) if common else ""


def reachable(q: str, c: str, abjad: bool) -> bool:
    """Can the index find ``c`` from ``q``? Only such pairs are ever compared.

    The similarity below is defined on reachable pairs only, so that the index, which finds a
    query word's partners through these keys, misses nothing a comparison of every word with
    every listed word would find (a test checks it).
    """
    if q == c or _shared_key(q, c) or (abjad and abjad_key(q) == abjad_key(c)):
        return True
    if min(len(q), len(c)) >= PREFIX_MIN_TOKEN and q[:PREFIX_LENGTH] == c[:PREFIX_LENGTH]:
        return True
    return one_edit_apart(q, c)


#: ``_name_family`` as a number, for the compiled twin of ``token_similarity``
FAMILY_CODE = {"": 0, "mahmud": 1, "muhammad": 2, "husayn": 3, "hasan": 4}

#: what the compiled ``token_similarity`` (``fast.expand_words``) reads of a word: its spelling
#: keys, abjad key, name family, whether it is vocalised, its vowel shape, whether it is a particle
WordInfo = tuple[tuple[str, ...], str, int, bool, str, bool]


@lru_cache(maxsize=200_000)
def word_info(token: str) -> WordInfo:
    """The facts ``token_similarity`` uses about one word, computed by the rules above: the
    compiled twin takes the rules' results and repeats only the decision and the string measures."""
    return (
        keys(token),
        abjad_key(token),
        FAMILY_CODE[_name_family(token)],
        vocalised(token),
        vowel_shape(token),
        is_particle(token),
    )


def similarity_params() -> tuple[object, ...]:
    """The constants of ``token_similarity`` as the compiled twin reads them (made anew when one
    of them changes, as a test or a calibration may do)."""
    now = (
        INITIAL_SIMILARITY,
        MIN_TYPO_LENGTH,
        SHORT_TYPO_CUTOFF,
        TYPO_CUTOFF,
        PREFIX_MIN_TOKEN,
        PREFIX_LENGTH,
        VARIANT_CUTOFF_LONG,
        ABJAD_VARIANT_CUTOFF,
        VARIANT_FLOOR,
        VARIANT_SHAPE_MIN,
        NISBA_SIMILARITY,
        tuple(VARIANT_CUTOFF.items()),
    )
    if _PARAMS and _PARAMS[0] == now:
        return _PARAMS[1]
    _PARAMS[:] = [now, _make_params()]
    return _PARAMS[1]


_PARAMS: list[tuple[object, ...]] = []


def _make_params() -> tuple[object, ...]:
    return (
        INITIAL_SIMILARITY,
        MIN_TYPO_LENGTH,
        SHORT_TYPO_CUTOFF,
        TYPO_CUTOFF,
        PREFIX_MIN_TOKEN,
        PREFIX_LENGTH,
        VARIANT_CUTOFF_LONG,
        ABJAD_VARIANT_CUTOFF,
        VARIANT_FLOOR - 0.03,
        VARIANT_FLOOR,
        VARIANT_SHAPE_MIN,
        NISBA_SIMILARITY,
        tuple(VARIANT_CUTOFF.get(n, VARIANT_CUTOFF_LONG) for n in range(64)),
    )


@lru_cache(maxsize=500_000)
def token_similarity(q: str, c: str, abjad: bool = False) -> tuple[float, str]:
    """How alike two folded tokens are (0..1) and why ("same", "variant", "typo", "initial")."""
    if q == c:
        return 1.0, "same"
    if len(q) == 1 or len(c) == 1:
        return (INITIAL_SIMILARITY, "initial") if q[0] == c[0] else (0.0, "")
    if article_against_name(q, c) or distinct_names(q, c):
        return 0.0, ""
    sim, how = _alike(q, c, abjad)
    if sim > 0.0 and nisba_against_name(q, c):
        # no more alike than an initial is to a word: a birth date can still confirm the person
        return NISBA_SIMILARITY, "nisba"
    return sim, how


def _alike(q: str, c: str, abjad: bool) -> tuple[float, str]:
    """Variant, typo or nothing, for two different words of two letters or more."""
    # ``reachable``, with the shared key computed once for both uses
    shared = _shared_key(q, c)
    if not (
        shared
        or (abjad and abjad_key(q) == abjad_key(c))
        or (min(len(q), len(c)) >= PREFIX_MIN_TOKEN and q[:PREFIX_LENGTH] == c[:PREFIX_LENGTH])
        or one_edit_apart(q, c)
    ):
        return 0.0, ""
    jw = JaroWinkler.normalized_similarity(q, c)
    if shared and jw >= VARIANT_CUTOFF.get(len(shared), VARIANT_CUTOFF_LONG) and same_shape(q, c):
        return max(VARIANT_FLOOR, jw), "variant"
    if abjad:
        aq, ac = abjad_key(q), abjad_key(c)
        if aq == ac and len(aq) >= 2 and jw >= ABJAD_VARIANT_CUTOFF:
            return max(VARIANT_FLOOR - 0.03, jw), "variant"
    shortest = min(len(q), len(c))
    if shortest < MIN_TYPO_LENGTH:
        # names of two or three letters differ by one letter all the time (Jo/Ju): not a typo
        return 0.0, ""
    # Jaro-Winkler alone is generous to short words (Khan/Khaze 0.88): average it with the
    # edit-distance similarity (a swap of two letters is one edit), which counts every edit
    sim = (jw + OSA.normalized_similarity(q, c)) / 2
    if sim >= (SHORT_TYPO_CUTOFF if shortest == MIN_TYPO_LENGTH else TYPO_CUTOFF):
        return sim, "typo"
    return 0.0, ""
