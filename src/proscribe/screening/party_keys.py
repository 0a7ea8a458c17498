"""The retrieval keys of a party's names: what a delta re-screen looks up instead of every party.

The matcher finds the listed names a query may be from the query's *slots* alone: each word of
each reading of the name, and each pair of neighbouring words written together
(``score.Reading.of``), looked up in the index with ``Index.expand`` (word, spelling key, abjad key,
one edit, prefix, initial); plus the names written with exactly the reading's words
(``Index.exact_names``) and the entities holding the query's identity number
(``Index.by_identifier``). A listed name no slot reaches, that is not an exact name and holds no
such identifier, is never compared, so it can never be a hit.

So a party's keys are its slots (with the two flags ``expand`` takes: the reading is in an abjad
script; the slot is two words joined) and its identity number. A key *reaches* an index when
``expand`` finds anything for it there, or its word is in the index's vocabulary (which covers
exact names: every word of such a name is in the vocabulary), or the identity number is held by a
listed entity. A party none of whose keys reaches the index of the changed listings has no hit
against them: it need not be screened. The keys are the readings' words, made by the screener's
own ``query_readings``; the reach test is the index's own ``expand``; neither is a second copy of
the matcher's retrieval.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from proscribe import __version__
from proscribe.matching import normalize
from proscribe.matching.index import Index
from proscribe.matching.normalize import abjad_key, digits_and_letters, keys
from proscribe.matching.score import Query
from proscribe.matching.tokensim import PREFIX_LENGTH, PREFIX_MIN_TOKEN, deletes
from proscribe.screening.screener import query_readings

#: key prefixes: a word of a reading, the same in an abjad reading, two words joined (plain, abjad),
#: an identity number
WORD, ABJAD_WORD, JOINED, ABJAD_JOINED, IDENTIFIER = "w", "a", "j", "b", "i"
#: the longest key kept (a longer slot is kept whole in the party's fallback: see ``query_keys``)
MAX_KEY = 200
#: the key of a party that must always be screened (a slot too long to store)
ALWAYS = "*"


@lru_cache(maxsize=1)
def key_version() -> str:
    """Changes with the code that makes readings (normalisation) and keys: keys made by other code
    are made again before they are used."""
    h = hashlib.sha256(__version__.encode())
    folder = Path(normalize.__file__).parent
    for path in sorted(folder.glob("*.py")):
        if path.name in ("normalize.py", "korean.py", "rarity.py"):
            h.update(path.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(Path(query_readings.__code__.co_filename).read_bytes())
    return h.hexdigest()[:16]


def query_keys(query: Query) -> set[str]:
    """The keys of one query: its readings' slots, as ``score.Reading.of`` makes them, and its
    identity number as ``Index.by_identifier`` reads it."""
    script, readings = query_readings(query)
    abjad = script == "abjad"
    word, joined = (ABJAD_WORD, ABJAD_JOINED) if abjad else (WORD, JOINED)
    out: set[str] = set()
    for toks in readings:
        for t in toks:
            out.add(word + t)
        for i in range(len(toks) - 1):
            if len(toks[i]) > 1 and len(toks[i + 1]) > 1:
                out.add(joined + toks[i] + toks[i + 1])
    if query.id_number:
        ident = digits_and_letters(query.id_number)
        if ident:
            out.add(IDENTIFIER + ident)
    if any(len(k) > MAX_KEY for k in out):
        out = {k for k in out if len(k) <= MAX_KEY} | {ALWAYS}
    return out


def keys_of(queries: Iterable[Query]) -> set[str]:
    """The keys of all of a party's names."""
    out: set[str] = set()
    for q in queries:
        out |= query_keys(q)
    return out


def reaches(index: Index, key: str) -> bool:
    """Could a query holding this key find anything in ``index``? (False only when it cannot.)"""
    kind, text = key[:1], key[1:]
    if kind == IDENTIFIER:
        return bool(index.id_postings.get(text))
    if kind in (WORD, ABJAD_WORD, JOINED, ABJAD_JOINED):
        if text in index.vocab_ids:
            return True
        return bool(index.expand(text, kind in (ABJAD_WORD, ABJAD_JOINED), kind in (JOINED, ABJAD_JOINED)))
    return True  # ALWAYS, or a key of unknown kind: screen the party


def lookups(key: str) -> str:
    """What ``Index.expand`` computes from a key's word before looking anything up: its spelling
    keys, its abjad key and its one-letter deletions (``spelling keys|abjad key|deletions``, each
    list space-separated). Kept with the key (``party_index``), so that ``could_reach`` need not
    normalise the word again."""
    kind, text = key[:1], key[1:]
    if kind not in (WORD, ABJAD_WORD, JOINED, ABJAD_JOINED) or len(text) < 2:
        return ""
    return f"{' '.join(keys(text))}|{abjad_key(text)}|{' '.join(deletes(text))}"


def _deleted_or_listed(index: Index) -> frozenset[str]:
    """The index's one-letter deletions and vocabulary words: a query word's deletion found in
    either is a place ``expand`` looks (kept with the index)."""
    found = index.derived.get("party_keys_deletions")
    if not isinstance(found, frozenset):
        found = index.derived["party_keys_deletions"] = frozenset(index.by_delete) | frozenset(
            index.vocab_ids
        )
    return found


def could_reach(index: Index, key: str, looked_up: str | None) -> bool:
    """``reaches(index, key)``, with the key's ``lookups`` made beforehand (None: not made). Every
    place ``Index.expand`` looks a word up in is tried first, with set lookups; only a key found in
    one of them is expanded (which compares it with what it found), so the answer is
    ``reaches``'s, and most keys of a book cost a few set lookups."""
    kind, text = key[:1], key[1:]
    if looked_up is None or kind not in (WORD, ABJAD_WORD, JOINED, ABJAD_JOINED):
        return reaches(index, key)
    vocab_ids = index.vocab_ids
    if text in vocab_ids:
        return True
    if len(text) < 2:
        return False  # an initial reaches only the same initial (the vocabulary, above)
    spelling, abjad, dels = looked_up.split("|")
    somewhere = (
        text[0] in vocab_ids
        or text in index.by_delete
        or (len(text) >= PREFIX_MIN_TOKEN and text[:PREFIX_LENGTH] in index.by_prefix)
        or not index.by_key.keys().isdisjoint(spelling.split(" "))
        or (kind in (ABJAD_WORD, ABJAD_JOINED) and abjad in index.by_abjad_key)
        or (bool(dels) and not _deleted_or_listed(index).isdisjoint(dels.split(" ")))
    )
    return somewhere and reaches(index, key)
