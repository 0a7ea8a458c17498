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
from proscribe.matching.normalize import digits_and_letters
from proscribe.matching.score import Query
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
