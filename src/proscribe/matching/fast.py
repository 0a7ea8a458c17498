"""The matcher's two hottest loops, compiled when the C extension was built, in Python otherwise.

``_speedups`` (``_speedups.c``, built by setup.py at install time with the system's C compiler)
is optional: when it is missing, failed to build, or ``PROSCRIBE_PURE_PYTHON=1`` is set, the
Python functions below run instead. Both give the same results bit for bit: the same float
operations in the same order (the extension is built without fused multiply-add), names in the
same order. ``tests/test_speedups.py`` checks it on real queries.

* ``merge_hits``: the names a query word reaches and the most it can add to each (``Index.hits``);
* ``evidence``: each reached name's evidence summed over a reading's slots, filtered by kind and
  by the first score bound (``search.compare_reading``);
* ``expand_words`` / ``token_similarity``: what a query word reaches and how alike each word is
  (``tokensim.token_similarity``), in the second extension ``_tokensim`` (``_tokensim.c``), from
  each word's facts as ``tokensim.word_info`` makes them.
"""

from __future__ import annotations

import importlib
import math
import os
from array import array
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING

from proscribe.matching import tokensim

if TYPE_CHECKING:
    from proscribe.matching.index import Index
    from proscribe.matching.score import Alignment, Reading

#: per-name credit: name id -> evidence
Credit = dict[int, float]


def _load(name: str) -> ModuleType | None:
    """A compiled extension of this package, or None when it is not built or pure Python is asked for."""
    if os.environ.get("PROSCRIBE_PURE_PYTHON") == "1":
        return None
    try:
        return importlib.import_module(f"proscribe.matching.{name}")
    except ImportError:
        return None


_C = _load("_speedups")
#: True when the compiled hot path is in use
COMPILED = _C is not None
_T = _load("_tokensim")
#: True when word similarity (``tokensim.token_similarity``) is compiled too (``_tokensim.c``)
COMPILED_WORDS = _T is not None


def merge_hits_py(
    items: list[tuple[int, float]],
    postings: Sequence[array],  # type: ignore[type-arg]
    vocab_weight: Sequence[float],
    weight: float,
    n_names: int,
) -> Credit:
    """For each (vocabulary id, similarity), every name holding the entry is credited with
    similarity x the lesser of the two weights; a name keeps its largest credit."""
    out: Credit = {}
    for vid, sim in items:
        c = sim * min(weight, vocab_weight[vid])
        for nid in postings[vid]:
            if out.get(nid, 0.0) < c:
                out[nid] = c
    return out


def evidence_py(
    gather: list[Credit],
    rest: list[Credit],
    n_names: int,
    keep: Callable[[int, float], bool] | None,
) -> tuple[list[int], list[float]]:
    """Each name in a ``gather`` dict with the sum of its credit over them, in order, then over the
    ``rest`` dicts that hold it; with ``keep``, only the names it keeps. Names in the order first
    seen."""
    ev: dict[int, float] = {}
    for h in gather:
        for nid, c in h.items():
            ev[nid] = ev.get(nid, 0.0) + c
    for h in rest:
        for nid in ev:
            extra = h.get(nid)
            if extra:
                ev[nid] += extra
    if keep is None:
        return list(ev), list(ev.values())
    nids: list[int] = []
    evs: list[float] = []
    for nid, e in ev.items():
        if keep(nid, e):
            nids.append(nid)
            evs.append(e)
    return nids, evs


def merge_hits(
    items: list[tuple[int, float]],
    postings: list[array],  # type: ignore[type-arg]
    vocab_weight: list[float],
    weight: float,
    n_names: int,
) -> Credit:
    if _C is not None:
        out: Credit = _C.merge_hits(items, postings, vocab_weight, weight, n_names)
        return out
    return merge_hits_py(items, postings, vocab_weight, weight, n_names)


def evidence(
    gather: list[Credit],
    rest: list[Credit],
    n_names: int,
    filter: bool,
    name_kind: bytes,
    kind: int,
    core_total: array,  # type: ignore[type-arg]
    kind_extra: array,  # type: ignore[type-arg]
    base: float,
    c_evidence: float,
    c_listed_cover: float,
    c_query_cover: float,
    max_evidence: float,
    initial_bonus: float,
    q_total: float,
    best_facts: float,
    floor: float,
    full_cover: bool,
) -> tuple[list[int], list[float]]:
    """``evidence_py`` in C, with the kind test and the first score bound of
    ``search.compare_reading`` done there too when ``filter`` (compiled path only)."""
    assert _C is not None, "the compiled path is not available"
    out: tuple[list[int], list[float]] = _C.evidence(
        gather,
        rest,
        n_names,
        filter,
        name_kind,
        kind,
        core_total,
        kind_extra,
        base,
        c_evidence,
        c_listed_cover,
        c_query_cover,
        max_evidence,
        initial_bonus,
        q_total,
        best_facts,
        floor,
        full_cover,
    )
    return out


def expand_scan_py(
    token: str,
    groups: list[int | list[int] | None],
    vocab: list[str],
    n_words: int,
    joined: bool,
    abjad: bool,
    similarity: Callable[[str, str, bool], tuple[float, str]],
) -> dict[int, float]:
    """The vocabulary entries ``token`` reaches (``groups``: ids, lists of ids, None), gathered in a
    set in that order, each compared with ``similarity``; those alike (> 0) with their similarity,
    in the set's order. ``joined``: only single words (ids below ``n_words``)."""
    cands: set[int] = set()
    for g in groups:
        if g is None:
            continue
        if isinstance(g, int):
            cands.add(g)
        else:
            cands.update(g)
    out: dict[int, float] = {}
    for vid in cands:
        if joined and vid >= n_words:
            continue
        sim, _ = similarity(token, vocab[vid], abjad)
        if sim > 0:
            out[vid] = sim
    return out


def expand_scan(
    token: str,
    groups: list[int | list[int] | None],
    vocab: list[str],
    n_words: int,
    joined: bool,
    abjad: bool,
    similarity: Callable[[str, str, bool], tuple[float, str]],
) -> dict[int, float]:
    if _C is not None:
        out: dict[int, float] = _C.expand_scan(token, groups, vocab, n_words, joined, abjad, similarity)
        return out
    return expand_scan_py(token, groups, vocab, n_words, joined, abjad, similarity)


def word_infos(index: Index) -> list[object]:
    """One slot per vocabulary entry for its ``tokensim.word_info``: the index's own (made at build
    time, saved with it), or slots filled on first use by the compiled scan."""
    if len(index.word_infos) == len(index.vocab):
        return index.word_infos  # type: ignore[return-value]
    found = index.derived.get("word_infos")
    if isinstance(found, list) and len(found) == len(index.vocab):
        return found
    fresh: list[object] = [None] * len(index.vocab)
    index.derived["word_infos"] = fresh
    return fresh


def expand_words(
    index: Index,
    token: str,
    groups: list[int | list[int] | None],
    joined: bool,
    abjad: bool,
) -> dict[int, float]:
    """``expand_scan`` with ``tokensim.token_similarity`` as the similarity: the compiled twin of
    the word similarity when ``_tokensim`` is built, ``expand_scan`` otherwise (the same result)."""
    if _T is None:
        return expand_scan(
            token, groups, index.vocab, index.n_words, joined, abjad, tokensim.token_similarity
        )
    out: dict[int, float] = _T.expand_words(
        token,
        groups,
        index.vocab,
        index.n_words,
        joined,
        abjad,
        tokensim.word_info(token),
        word_infos(index),
        tokensim.word_info,
        tokensim.similarity_params(),
        tokensim.token_similarity,
    )
    return out


def token_similarity(q: str, c: str, abjad: bool = False) -> float:
    """The similarity of ``tokensim.token_similarity``, from the compiled twin when it is built."""
    if _T is None:
        return tokensim.token_similarity(q, c, abjad)[0]
    out: float = _T.token_sim(
        q,
        c,
        abjad,
        tokensim.word_info(q),
        tokensim.word_info(c),
        tokensim.similarity_params(),
        tokensim.token_similarity,
    )
    return out


# -- aligning a query reading with a listed name (``score.align``) -------------------------------
#
# The C ``align`` reads a reading and a name as tuples of plain values ("packs"), made once per
# reading and once per listed name (kept with the index, not pickled). It calls back into Python
# for the weight of an initial (``rarity.weight``); the "how" of a pair (``token_similarity``) is
# asked only for the best name's pairs.

#: the Python modules the wrappers below use (score imports index, which imports this module, so
#: they are looked up on first use)
_modules: dict[str, ModuleType] = {}


def _score() -> ModuleType:
    found = _modules.get("score")
    if found is None:
        from proscribe.matching import score

        found = _modules["score"] = score
    return found


def reading_pack(reading: Reading) -> tuple[object, ...]:
    """What the compiled ``align`` reads of a ``score.Reading``, made once per reading."""
    found = reading.__dict__.get("_c_pack")
    if found is not None:
        return found  # type: ignore[no-any-return]
    score = _score()
    slots = reading.slots
    toks = reading.tokens
    first: dict[str, int] = {}
    pack = (
        tuple(s.text for s in slots),
        tuple(s.positions[0] for s in slots),
        tuple(s.positions[1] if len(s.positions) > 1 else -1 for s in slots),
        tuple(s.weight for s in slots),
        tuple(s.expansion for s in slots),
        tuple(reading.weights),
        bytes(1 if r == "name" else 0 for r in reading.roles),
        # equal tokens, equal ids (a repeated query word that paired is not an extra word)
        tuple(first.setdefault(t, i) for i, t in enumerate(toks)),
        tuple(toks),
        score.INITIAL_SIMILARITY,
        score.JOINED_MIN_SIMILARITY,
        score.UNMATCHED_COVER_WEIGHT,
        score.MAX_EVIDENCE,
        score.EXTRA_WEIGHT,
        reading.abjad,
    )
    reading.__dict__["_c_pack"] = pack
    return pack


def _name_packs(index: Index) -> list[tuple[object, ...] | None]:
    packs = index.derived.get("name_packs")
    if not isinstance(packs, list) or len(packs) != len(index.names):
        fresh: list[tuple[object, ...] | None] = [None] * len(index.names)
        index.derived["name_packs"] = packs = fresh
    return packs


def name_pack(index: Index, nid: int) -> tuple[object, ...]:
    """What the compiled ``align`` reads of a listed name, made on first use and kept with the index."""
    packs = _name_packs(index)
    found = packs[nid]
    if found is not None:
        return found
    score = _score()
    name = index.names[nid]
    pack = (
        tuple(name.tokens),
        tuple(name.weights),
        tuple(name.vids),
        tuple(name.pair_vids),
        bytes(1 if j in name.family else 0 for j in range(len(name.tokens))),
        bytes(1 if score.rarity.role(t) == "name" else 0 for t in name.tokens),
        bool(name.family),
        score.NAME_KIND_FEATURE.get(name.kind),
    )
    packs[nid] = pack
    return pack


def align(index: Index, reading: Reading, nid: int, is_person: bool) -> Alignment:
    """``score.align`` of a reading and the listed name ``nid``: compiled when the extension is
    built, the Python reference otherwise (the same pairs, features and explanation)."""
    score = _score()
    name = index.names[nid]
    if _C is None or reading.surname:
        return score.align(index, reading, name, is_person)  # type: ignore[no-any-return]
    pairs, features, similarity, query_left, listed_left = _C.align(
        reading_pack(reading),
        name_pack(index, nid),
        is_person,
        score._loose_join(reading, name),
        score.token_similarity,
        score.rarity.weight,
    )
    out: Alignment = score.Alignment(
        [score.TokenPair(*p) for p in pairs], features, similarity, query_left, listed_left
    )
    return out


#: the best of an entity's names: its alignment (None when there is no name), id and name logit
Best = tuple["Alignment | None", int, float]


def best_alignment_py(index: Index, reading: Reading, name_ids: list[int], is_person: bool) -> Best:
    """The loop of ``score.compare``: each candidate name aligned (``score.align``), the one of
    highest ``score.name_logit`` kept (the first of equals)."""
    score = _score()
    best = None
    best_nid = -1
    best_logit = -math.inf
    for nid in name_ids:
        al = score.align(index, reading, index.names[nid], is_person)
        lg = score.name_logit(al.features)
        if lg > best_logit:
            best, best_nid, best_logit = al, nid, lg
    return best, best_nid, best_logit


def best_alignment(
    index: Index, reading: Reading, name_ids: list[int], is_person: bool, floor: float = -math.inf
) -> Best:
    """``best_alignment_py``, compiled when the extension is built; the pairs' "how" and the
    ``TokenPair``s are made for the best name only, and only when its logit reaches ``floor``
    (under it: no alignment, with the best name's id and logit)."""
    if _C is None or reading.surname:
        # a surname after a title (``score.addressed``) is aligned in Python only: it is rare (free
        # text), and the compiled loop need not know of it
        return best_alignment_py(index, reading, name_ids, is_person)
    score = _score()
    names = index.names
    loose = score._loose_join
    packs = _name_packs(index)
    found = _C.align_best(
        reading_pack(reading),
        [packs[nid] or name_pack(index, nid) for nid in name_ids],
        bytes([loose(reading, names[nid]) for nid in name_ids]),
        is_person,
        score.rarity.weight,
        score.COEF,
    )
    if found is None:
        return None, -1, -math.inf
    i, lg, (raw, features, similarity, query_left, listed_left) = found
    if lg < floor:
        return None, name_ids[i], lg
    tsim = score.token_similarity
    pairs = [
        score.TokenPair(q, lt, sim, how if how is not None else (tsim(q, lt, reading.abjad)[1] or "variant"))
        for q, lt, sim, how in raw
    ]
    return score.Alignment(pairs, features, similarity, query_left, listed_left), name_ids[i], lg
