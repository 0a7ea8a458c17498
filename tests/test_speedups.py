"""The compiled hot path (``proscribe.matching._speedups``) and the pure-Python fallback give the same
results, hit for hit and score for score, on real queries against the real OFAC 2021 and UN 2026 lists."""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

from proscribe.matching import fast, score
from proscribe.matching.index import Index
from proscribe.screening import Query, Screener


def _variant(rng: random.Random, name: str) -> str:
    words = name.replace(",", " ").split()
    how = rng.randrange(4)
    if how == 0 and len(words) > 1:
        words = words[1:] + words[:1]
    elif how == 1:
        w = rng.randrange(len(words))
        if len(words[w]) > 3:
            i = rng.randrange(len(words[w]))
            words[w] = words[w][:i] + rng.choice("aeiour") + words[w][i + 1 :]
    elif how == 2 and len(words) > 2:
        del words[rng.randrange(1, len(words) - 1)]
    else:
        words.append(rng.choice(("KC", "LONDON", "PAYMENT REF")))
    return " ".join(words)


@pytest.fixture(scope="module")
def queries(screener: Screener, shared_data: Path) -> list[Query]:
    """600 real queries: listed names in every script the lists use, variants of them, and names
    of the US Commerce Denied Persons List (mostly on neither list)."""
    rng = random.Random(20261203)
    index = screener.index
    texts = sorted({n.text for n in index.names})
    kinds = {n.text: index.entities[n.entity].kind for n in index.names}
    listed = rng.sample(texts, 200)
    out = [Query(t, kind=kinds[t] if i % 2 else None) for i, t in enumerate(listed)]
    out += [Query(_variant(rng, t)) for t in rng.sample(texts, 200)]
    with open(shared_data / "misc" / "bis-dpl.txt", encoding="utf-8", errors="replace") as fh:
        others = [r["Name"].strip() for r in csv.DictReader(fh, delimiter="\t") if r.get("Name")]
    out += [Query(t, kind="person") for t in rng.sample(others, 200)]
    return out


def _results(
    screener: Screener, queries: list[Query], threshold: float | None
) -> list[list[tuple[object, ...]]]:
    index = screener.index
    # what a word is alike to and the per-word credit are computed by the path under test, not reused
    index._expansions.clear()
    index._hits.clear()
    out = []
    for q in queries:
        if threshold is None:
            comps = screener.compare_all(q)
            out.append([(c.entity.entity_id, c.score, c.features) for c in comps])
        else:
            hits = screener.screen(q, threshold=threshold, limit=20)
            out.append([(h.entity_id, h.score, h.matched_name, h.explanation, h.features) for h in hits])
    index._expansions.clear()
    index._hits.clear()
    return out


needs_compiled = pytest.mark.skipif(not fast.COMPILED, reason="the C extension is not built here")


@needs_compiled
def test_compiled_and_pure_python_give_the_same_hits(
    screener: Screener, queries: list[Query], monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = _results(screener, queries, 0.3)
    low = _results(screener, queries[::3], 0.1)
    monkeypatch.setattr(fast, "_C", None)
    monkeypatch.setattr(fast, "COMPILED", False)
    assert _results(screener, queries, 0.3) == compiled
    assert _results(screener, queries[::3], 0.1) == low
    # the queries are not all misses: most listed names and variants alert
    assert sum(1 for r in compiled if r) > 300


@needs_compiled
def test_compiled_and_pure_python_give_the_same_exhaustive_search(
    screener: Screener, queries: list[Query], monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = queries[::20]
    compiled = _results(screener, sample, None)
    monkeypatch.setattr(fast, "_C", None)
    monkeypatch.setattr(fast, "COMPILED", False)
    assert _results(screener, sample, None) == compiled


def test_the_pure_python_path_can_be_forced() -> None:
    env = dict(os.environ, PROSCRIBE_PURE_PYTHON="1")
    code = "from proscribe.matching import fast; print(fast.COMPILED)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    env.pop("PROSCRIBE_PURE_PYTHON")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(fast.COMPILED)


def _alignment_key(found: tuple[object, int, float]) -> tuple[object, ...]:
    al, nid, lg = found
    if al is None:
        return (None, nid, lg)
    a = cast(score.Alignment, al)
    # the types too: a feature that Python leaves an int (no extra word: sum() of nothing) stays one
    feats = [(k, type(v), v) for k, v in a.features.items()]
    return (a.pairs, feats, a.similarity, a.query_left, a.listed_left, nid, lg)


@needs_compiled
def test_compiled_alignment_is_the_python_alignment(
    screener: Screener, queries: list[Query], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every entity the search compares, pruned and exhaustive: the compiled ``align_best`` and each
    compiled ``align`` give what ``score.align`` and ``score.name_logit`` give, bit for bit."""
    index = screener.index
    seen: list[tuple[score.Reading, list[int], bool]] = []
    compiled_best = fast.best_alignment

    def record(index: Index, reading: score.Reading, name_ids: list[int], is_person: bool) -> object:
        seen.append((reading, list(name_ids), is_person))
        return compiled_best(index, reading, name_ids, is_person)

    monkeypatch.setattr(fast, "best_alignment", record)
    for q in queries[::2]:
        screener.compare_all(q, 0.3)
    for q in queries[::15]:
        screener.compare_all(q)
    assert len(seen) > 2000
    singles = 0
    for reading, name_ids, is_person in seen:
        want = fast.best_alignment_py(index, reading, name_ids, is_person)
        assert _alignment_key(compiled_best(index, reading, name_ids, is_person)) == _alignment_key(want)
        for nid in name_ids:
            c = fast.align(index, reading, nid, is_person)
            p = score.align(index, reading, index.names[nid], is_person)
            assert _alignment_key((c, nid, 0.0)) == _alignment_key((p, nid, 0.0))
            singles += 1
    assert singles >= len(seen)


@needs_compiled
def test_compiled_expansion_is_the_python_expansion(
    screener: Screener, queries: list[Query], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What each query word (and pair of words written together) is alike to: the same vocabulary
    entries, similarities and order from the compiled ``expand_scan`` as from the Python loop."""
    index = screener.index
    calls: list[tuple[object, ...]] = []
    compiled_scan = fast.expand_scan

    def record(*args: object) -> dict[int, float]:
        calls.append(args)
        return compiled_scan(*args)  # type: ignore[arg-type]

    index._expansions.clear()
    monkeypatch.setattr(fast, "expand_scan", record)
    for q in queries:
        screener.compare_all(q, 0.3)
    index._expansions.clear()
    assert len(calls) > 1000
    assert any(c[4] for c in calls) and any(c[5] for c in calls)  # pairs written together, abjad
    for args in calls:
        assert list(compiled_scan(*args).items()) == list(fast.expand_scan_py(*args).items())  # type: ignore[arg-type]
