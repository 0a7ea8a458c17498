"""Issue 9's failure classes, each pinned on the real OFAC 2021 and UN 2026 lists and the ICC registry.

The classes are numbered as in the issue: 1 the query is part of a longer listed name, 2 the query
has more words than the listing, 3 spelling between publishers, 4 a birth date a little off (also
in test_screening.py), 5 pruning loses nothing, 6 invisible and look-alike characters, 7 no false
alerts through consonant skeletons, 9 a score does not depend on what else is on the list.
The benchmark on real data nobody here wrote is ``bench/realbench.py`` (docs/benchmarks.md).
"""

from __future__ import annotations

import random

import pytest

from proscribe.matching.index import Index
from proscribe.matching.tokensim import token_similarity
from proscribe.screening import DEFAULT_THRESHOLD, Query, Screener
from proscribe.store import Store


def score_of(screener: Screener, query: Query, source_id: str) -> float:
    """The score the query reaches against one listing (0 when the listing is not found at all)."""
    found = [c.score for c in screener.compare_all(query) if c.entity.source_id == source_id]
    return max(found, default=0.0)


@pytest.fixture(scope="module")
def listed_persons(screener: Screener) -> list[tuple[str, str]]:
    """300 listed persons drawn at random (fixed seed): their primary name and source id."""
    people = sorted(
        {
            (e.caption, e.source_id)
            for e in screener.index.entities
            if e.kind == "person" and e.dataset in ("us_ofac_sdn", "un_sc_sanctions") and len(e.caption) > 5
        }
    )
    return random.Random(9).sample(people, 300)


def found_share(screener: Screener, queries: list[tuple[str, str]]) -> float:
    hits = 0
    for name, source_id in queries:
        top = screener.screen(Query(name, kind="person"), limit=5)
        hits += any(h.source_id == source_id for h in top)
    return hits / len(queries)


# --- class 1: the query is part of a longer listed name -----------------------------------------


@pytest.mark.parametrize(
    ("name", "source_id"),
    [
        # the Prosecutor designated under EO 14203 is known publicly by exactly these two words
        ("Karim Khan", "icc-khan-karim"),
        # the paternal surname alone, as Spanish names are written: "MADURO MOROS, Nicolas"
        ("Nicolas MADURO", "22790"),
        ("Morteza BAHMANYAR", "10581"),
    ],
)
def test_part_of_a_longer_listed_name_alerts(screener: Screener, name: str, source_id: str) -> None:
    assert score_of(screener, Query(name, kind="person"), source_id) >= DEFAULT_THRESHOLD


def test_a_common_part_alone_does_not_alert(screener: Screener) -> None:
    """Two common words that are also part of a listed name are not that name."""
    for name in ("Ahmad Khan", "Muhammad Ahmad Khan", "Ali Hassan"):
        assert not [h for h in screener.screen(Query(name, kind="person")) if h.score >= 0.5], name


# --- class 2: more words than the listing -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "source_id"),
    [
        ("KARIM ASAD AHMAD KHAN KC", "icc-khan-karim"),
        ("MUHSIN FADHIL AYED ASHOUR AL-FADHLI", "8860"),
        ("TARAD MOHAMMAD Alnori Alfares ALJARBA", "18594"),
    ],
)
def test_more_words_than_the_listing_alerts(screener: Screener, name: str, source_id: str) -> None:
    assert score_of(screener, Query(name, kind="person"), source_id) >= DEFAULT_THRESHOLD


def test_an_extra_word_does_not_evade(screener: Screener, listed_persons: list[tuple[str, str]]) -> None:
    """The issue measured 180/300 with one extra word and 42/300 with two on the old matcher; now
    about 96% and 83%."""
    rng = random.Random(90)
    extras = ["KC", "PAYMENT", "REF", "LONDON", "TRADING", "MR"]
    plus_one = [(f"{n} {rng.choice(extras)}", s) for n, s in listed_persons]
    plus_two = [(f"{rng.choice(extras)} {n} {rng.choice(extras)}", s) for n, s in listed_persons]
    assert found_share(screener, listed_persons) == 1.0
    assert found_share(screener, plus_one) >= 0.95
    assert found_share(screener, plus_two) >= 0.80


# --- class 3: spelling between publishers -------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ayed", "ayid"),
        ("ashour", "ashur"),
        ("rehman", "rahman"),
        ("hebo", "habbo"),
        ("hebo", "hebbo"),
        ("essa", "esa"),
        ("said", "saeed"),
        ("zawahiri", "zawahry"),
    ],
)
def test_spellings_between_publishers_are_variants(a: str, b: str) -> None:
    sim, how = token_similarity(a, b)
    assert how in ("same", "variant", "typo") and sim >= 0.8, (a, b, sim, how)


def test_companies_with_a_bracketed_abbreviation_or_a_legal_form_in_another_script(
    screener: Screener,
) -> None:
    assert score_of(screener, Query("Kalaye Electric Company (KEC)"), "10122") >= 0.8
    # a Russian joint-stock company's legal form, written out in Cyrillic, against "CJSC ZEST"
    assert score_of(screener, Query('АКЦИОНЕРНОЕ ОБЩЕСТВО "ЗЕСТ"'), "16811") >= DEFAULT_THRESHOLD


# --- class 5: the pruned search loses nothing ---------------------------------------------------


def test_pruned_search_equals_the_exhaustive_one(
    screener: Screener, listed_persons: list[tuple[str, str]]
) -> None:
    """Every listing the exhaustive search scores at or above the threshold, the pruned one finds
    with the same score; on listed names, names cut or lengthened, a copied UN name and non-listed
    names."""
    rng = random.Random(5)
    queries = [Query("FAIZ"), Query("Karim Khan"), Query("Mohammed Ali"), Query("John Smith")]
    for name, _ in listed_persons[:150]:
        words = name.split()
        queries.append(Query(name))
        if len(words) > 2:
            queries.append(Query(" ".join(rng.sample(words, 2))))
        queries.append(Query(f"{name} {rng.choice(['KC', 'LTD', 'AHMED'])}", kind="person"))
    differences = []
    for q in queries:
        exhaustive = {
            c.entity.entity_id: round(c.score, 9)
            for c in screener.compare_all(q, 0.0)
            if c.score >= DEFAULT_THRESHOLD
        }
        pruned = {
            c.entity.entity_id: round(c.score, 9)
            for c in screener.compare_all(q, DEFAULT_THRESHOLD)
            if c.score >= DEFAULT_THRESHOLD
        }
        if exhaustive != pruned:
            differences.append((q.name, exhaustive, pruned))
    assert len(queries) > 400
    assert differences == []


# --- class 6: invisible and look-alike characters -----------------------------------------------


def test_invisible_and_combining_characters_change_nothing(
    screener: Screener, listed_persons: list[tuple[str, str]]
) -> None:
    def disguise(name: str, mark: str) -> str:
        cut = len(name) // 2
        return name[:cut] + mark + name[cut:]

    for mark in ("\u200b", "\u00ad", "\u200d", "\ufeff"):
        assert found_share(screener, [(disguise(n, mark), s) for n, s in listed_persons[:100]]) == 1.0
    accented = [(n.replace("a", "a\u0301", 1).replace("e", "e\u0300", 1), s) for n, s in listed_persons[:100]]
    assert found_share(screener, accented) == 1.0
    # Cyrillic look-alikes inside a Latin word
    assert score_of(screener, Query("K\u0430rim As\u0430d Ahm\u0430d Kh\u0430n"), "icc-khan-karim") > 0.9


# --- class 7: no false alerts through consonant skeletons ---------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "احسان زارعی",  # Ehsan Zarei, not "Yaser HASSAN"
        "یاسمین معین",  # Yasmin Moein, not "Sam NAMAN"
        "Rob Woodall",  # not FAZL RABI through his Arabic-script alias
    ],
)
def test_no_false_alert_through_consonant_skeletons(screener: Screener, name: str) -> None:
    assert screener.screen(Query(name, kind="person")) == []


# --- class 9: a score does not depend on what else is on the list -------------------------------


def test_a_score_does_not_depend_on_the_rest_of_the_list(screener: Screener, real_store: Store) -> None:
    """Rarity is a fixed table, not counted on the index: a listing alone scores as it does among
    thirty thousand (an institution's dozen blocked parties, a family's names)."""
    records = [r for r in real_store.iter_designated() if r.source_id in {"10581", "22790", "QDi.184"}]
    alone = Screener(Index.build(records))
    for name in ("Morteza BAHMANYAR", "Nicolas MADURO", "MUHSIN FADHIL AYED ASHOUR AL-FADHLI", "Ali Hassan"):
        big = {c.entity.entity_id: c.score for c in screener.compare_all(Query(name))}
        small = {c.entity.entity_id: c.score for c in alone.compare_all(Query(name))}
        assert small or name == "Ali Hassan", name
        for entity_id, score in small.items():
            assert big[entity_id] == pytest.approx(score, abs=1e-9), (name, entity_id)
