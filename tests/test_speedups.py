"""The compiled hot path (``proscribe.matching._speedups`` and ``_tokensim``) and the pure-Python
fallback give the same results, hit for hit and score for score, on real queries against the real
OFAC 2021 and UN 2026 lists; and the search that skips what cannot reach the threshold misses
nothing."""

from __future__ import annotations

import csv
import math
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

from proscribe.matching import fast, score, tokensim
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
    monkeypatch.setattr(fast, "_T", None)
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
    monkeypatch.setattr(fast, "_T", None)
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

    def record(
        index: Index, reading: score.Reading, name_ids: list[int], is_person: bool, floor: float = -math.inf
    ) -> object:
        seen.append((reading, list(name_ids), is_person))
        return compiled_best(index, reading, name_ids, is_person, floor)

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


needs_compiled_words = pytest.mark.skipif(not fast.COMPILED_WORDS, reason="_tokensim is not built here")


@needs_compiled
@needs_compiled_words
def test_compiled_expansion_is_the_python_expansion(
    screener: Screener, queries: list[Query], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What each query word (and pair of words written together) is alike to: the same vocabulary
    entries, similarities and order from the compiled scan with the compiled word similarity
    (``expand_words``), from the compiled scan calling ``token_similarity`` (``expand_scan``) and
    from the Python loop."""
    index = screener.index
    calls: list[tuple[str, list[int | list[int] | None], bool, bool]] = []
    compiled_words = fast.expand_words

    def record(
        ix: Index, token: str, groups: list[int | list[int] | None], joined: bool, abjad: bool
    ) -> dict[int, float]:
        calls.append((token, groups, joined, abjad))
        return compiled_words(ix, token, groups, joined, abjad)

    index._expansions.clear()
    monkeypatch.setattr(fast, "expand_words", record)
    for q in queries:
        screener.compare_all(q, 0.3)
    index._expansions.clear()
    assert len(calls) > 1000
    assert any(c[2] for c in calls) and any(c[3] for c in calls)  # pairs written together, abjad
    sim = tokensim.token_similarity
    for token, groups, joined, abjad in calls:
        want = list(
            fast.expand_scan_py(token, groups, index.vocab, index.n_words, joined, abjad, sim).items()
        )
        scan = fast.expand_scan(token, groups, index.vocab, index.n_words, joined, abjad, sim)
        assert list(scan.items()) == want
        assert list(compiled_words(index, token, groups, joined, abjad).items()) == want


@needs_compiled_words
def test_compiled_word_similarity_is_token_similarity(screener: Screener) -> None:
    """``_tokensim.token_sim`` against ``tokensim.token_similarity``, bit for bit, on real words:
    vocabulary words with a letter changed, dropped, doubled or swapped, against every word the
    index reaches from them (the pairs a search compares), and pairs of listed words picked at
    random (mostly unalike), each read as Latin and as abjad."""
    rng = random.Random(20261203)
    index = screener.index
    words = index.vocab[: index.n_words]
    sample = rng.sample(words, 3000)
    pairs: list[tuple[str, str]] = []
    for w in sample:
        i = rng.randrange(len(w))
        for q in (
            w[:i] + rng.choice("aeiouyhlnrst") + w[i + 1 :],
            w[:i] + w[i + 1 :] or w,
            w[:i] + w[i] + w[i:],
            w[:i] + w[i + 1 : i + 2] + w[i : i + 1] + w[i + 2 :],
        ):
            for vid in index.expand(q, abjad=len(q) % 2 == 0):
                pairs.append((q, index.vocab[vid]))
    pairs += [(rng.choice(words), rng.choice(words)) for _ in range(20_000)]
    pairs += [(w, w[:-1] + "x" * 70) for w in sample[:50]]  # past the compiled length: Python's answer
    kinds = {"same": 0, "variant": 0, "typo": 0, "initial": 0, "nisba": 0, "": 0}
    for q, c in pairs:
        for abjad in (False, True):
            want, how = tokensim.token_similarity(q, c, abjad)
            kinds[how] += 1
            assert fast.token_similarity(q, c, abjad) == want, (q, c, abjad)
    assert len(pairs) > 40_000
    assert min(kinds.values()) > 100, kinds  # every answer of the rules, nisba included, is tried


def test_only_what_reaches_the_threshold_is_the_whole_search_cut_at_it(
    screener: Screener, queries: list[Query]
) -> None:
    """``screen`` asks for the comparisons that reach the threshold only (``above_only``: the
    others are never written up): the same comparisons, scores, features, explanations and order as
    the whole pruned search with those under the threshold left out, at the default threshold and
    at a low one, on the compiled path or the pure one, whichever is in use."""
    hits = 0
    for threshold in (0.3, 0.1):
        for q in queries[:: 1 if threshold == 0.3 else 3]:
            whole = [c for c in screener.compare_all(q, threshold) if c.score >= threshold]
            above = screener.compare_all(q, threshold, above_only=True)
            key = [(c.entity.entity_id, c.score, c.features, c.explanation()) for c in whole]
            assert [(c.entity.entity_id, c.score, c.features, c.explanation()) for c in above] == key
            hits += len(above)
    assert hits > 500


def test_the_bound_of_names_with_initials_misses_nothing(screener: Screener) -> None:
    """Initials loosen the score bound (one may pair with any listed word starting with its letter):
    the search counts them only as far as a listed name has words to pair them with. Real listed
    names written with initials ("S.P.R. DE R.L.", "S.A. DE C.V.", "I.C.E."), as listed, with a
    word dropped and with one added: the pruned search finds every hit of the exhaustive one, with
    the same score."""
    from proscribe.matching.normalize import variants

    rng = random.Random(20261203)
    index = screener.index
    texts = sorted({n.text for n in index.names})
    dotted = [t for t in texts if sum(1 for tok in variants(t, is_org=True)[0] if len(tok) == 1) >= 2]
    queries = []
    for t in rng.sample(dotted, 80):
        queries += [Query(t), Query(_variant(rng, t))]
    differences = []
    hits = 0
    for q in queries:
        exhaustive = {c.entity.entity_id: c.score for c in screener.compare_all(q) if c.score >= 0.3}
        pruned = {c.entity.entity_id: c.score for c in screener.compare_all(q, 0.3, above_only=True)}
        hits += len(pruned)
        if exhaustive != pruned:
            differences.append((q.name, exhaustive, pruned))
    assert len(dotted) > 200
    assert hits > 100
    assert differences == []
