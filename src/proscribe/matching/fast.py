"""The matcher's two hottest loops, compiled when the C extension was built, in Python otherwise.

``_speedups`` (``_speedups.c``, built by setup.py at install time with the system's C compiler)
is optional: when it is missing, failed to build, or ``PROSCRIBE_PURE_PYTHON=1`` is set, the
Python functions below run instead. Both give the same results bit for bit: the same float
operations in the same order (the extension is built without fused multiply-add), names in the
same order. ``tests/test_speedups.py`` checks it on real queries.

* ``merge_hits``: the names a query word reaches and the most it can add to each (``Index.hits``);
* ``evidence``: each reached name's evidence summed over a reading's slots, filtered by kind and
  by the first score bound (``search.compare_reading``).
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Callable, Sequence
from types import ModuleType

#: per-name credit: name id -> evidence
Credit = dict[int, float]


def _load() -> ModuleType | None:
    if os.environ.get("PROSCRIBE_PURE_PYTHON") == "1":
        return None
    try:
        from proscribe.matching import _speedups  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _speedups  # type: ignore[no-any-return]


_C = _load()
#: True when the compiled hot path is in use
COMPILED = _C is not None


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
