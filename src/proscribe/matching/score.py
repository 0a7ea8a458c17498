"""Comparing a query with a listed entity: a calibrated score and the reasons for it.

Names first. The query's tokens are aligned with a listed name's tokens, best pairs first
(equal tokens, then skeleton-equal transliterations, then typos by Jaro-Winkler, then
initials); the name similarity is the rarity-weighted share of the query that found a
partner, less a small cost for listed tokens left over (a missing middle name costs little)
and a large one for a listed family name left over (a different surname costs a lot).

Then everything else that is known. The final score is a logistic function of the name
similarity, how much information the matched tokens carry, and the agreement or conflict
of birth date, country, identifiers and gender: an estimate of the probability that the
query is the listed entity, calibrated on the evaluation sets in ``bench/`` (see
docs/screening.md). A person is never a company: different kinds score 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any

from rapidfuzz.distance import OSA, JaroWinkler

from proscribe.matching.entities import ListedEntity, ListedName
from proscribe.matching.index import Index
from proscribe.matching.normalize import digits_and_letters, skeletons

#: below this Jaro-Winkler similarity, a shared skeleton is a coincidence (Omar/Muammar 0.60,
#: Ward/Afridi 0.75), not a transliteration (Hassan/Hussein 0.77, Kim/Gim 0.78, Gadhafi/Qaddafi 0.81)
TRANSLITERATION_CUTOFF = 0.76
#: ...for short tokens, or two-consonant skeletons (Omar/Umar 0.83, But/Bout 0.93; not Meng/Miang 0.80)
SHORT_TRANSLITERATION_CUTOFF = 0.83
#: ...and when one side comes from an abjad, whose romanisations lack vowels (Mhmd/Mohamed 0.75,
#: Wthyq/Wassiq 0.58, Qdyr/Ghedeir 0.46)
ABJAD_TRANSLITERATION_CUTOFF = 0.45
#: two words written as one, compared with one word by skeleton (jlal+aldyn/Jalaluddin 0.76;
#: not yzn+lwy/Sanaullah 0.52)
JOINED_TRANSLITERATION_CUTOFF = 0.65
#: tokens shorter than this are not compared for typos
MIN_TYPO_LENGTH = 4
#: ...and four-letter ones must be closer (Clie/Clive 0.86, Hama/Hamza 0.86; not Chun/Chin 0.81)
SHORT_TYPO_CUTOFF = 0.85
#: below this Jaro-Winkler similarity two tokens are not a typo of each other
TOKEN_CUTOFF = 0.8
#: the cost of a listed token the query does not have, as a share of its weight
EXTRA_LISTED_COST = 0.15
#: ...and of a listed family name the query does not have
EXTRA_FAMILY_COST = 0.9
#: how much each kind of listed name counts
NAME_KIND_FACTOR = {"name": 1.0, "alias": 1.0, "previous": 0.95, "weak": 0.85}

# Calibration: logit = sum of coefficient x feature. Fitted on bench/ evaluation data (dev split)
# with bench/calibrate.py; see docs/screening.md for the meaning of the score.
COEF: dict[str, float] = {
    "intercept": -15.794,
    "name": 6.517,
    "name_query": 3.515,
    "name_listed": 5.135,
    "rarest": 2.559,
    "listed_ends_unmatched": -0.942,
    "info": 0.314,
    "dob_match": 4.781,
    "dob_year": -0.138,
    "dob_conflict": -7.635,
    "country_match": 0.587,
    "country_conflict": -2.852,
    # an identifier (passport, IMO number, registration) matching exactly is near-conclusive on
    # its own (a score of 0.94 with no name at all); few evaluation queries carry one, so this
    # coefficient is set, not fitted
    "id_match": 18.5,
    # never seen in the evaluation data (the lists rarely state a gender): set, not fitted
    "gender_conflict": -2.0,
}


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


class ScoreBound:
    """The highest logit a listed name can reach for a query, from its retrieval credit alone.

    ``Index.candidates`` credits each name with the weight of the query tokens that found it; the
    name similarity and the information matched cannot exceed that. Names whose bound is below
    the threshold are never aligned, which is most of them for a query that is not on a list.
    """

    def __init__(self, query: Query, query_weight: float) -> None:
        self.query_weight = query_weight or 1.0
        # features the credit does not bound count at their most favourable value
        base = COEF["intercept"] + max(0.0, COEF.get("name_listed", 0.0))
        base += 3 * max(0.0, COEF.get("listed_ends_unmatched", 0.0))
        if query.birth_date:
            base += max(0.0, COEF["dob_match"], COEF["dob_year"])
        if query.country:
            base += max(0.0, COEF["country_match"])
        self.base = base
        self.per_cover = max(0.0, COEF["name"]) + max(0.0, COEF.get("name_query", 0.0))
        self.per_info = max(0.0, COEF["info"]) / 10.0
        self.per_rarest = max(0.0, COEF.get("rarest", 0.0)) / 10.0

    def __call__(self, credit: float) -> float:
        cover = min(credit / self.query_weight, 1.0)
        return (
            self.base
            + self.per_cover * cover
            + self.per_info * min(credit, 20.0)
            + self.per_rarest * min(credit, 10.0)
        )

    def min_credit(self, floor: float) -> float:
        """The least credit whose bound reaches ``floor``: the bound is piecewise linear in credit."""
        if self(0.0) >= floor:
            return 0.0
        top = self.query_weight
        if self(top) < floor:
            return math.inf
        points = sorted({0.0, min(10.0, top), min(20.0, top), top})
        for lo, hi in pairwise(points):
            if self(hi) >= floor:
                # linear on [lo, hi]: interpolate
                f_lo, f_hi = self(lo), self(hi)
                return lo + (hi - lo) * (floor - f_lo) / (f_hi - f_lo) if f_hi > f_lo else lo
        return top


@dataclass(frozen=True)
class Query:
    """What is known about the person or thing being screened."""

    name: str
    #: person, organization, vessel, aircraft; None when unknown (matches any kind)
    kind: str | None = None
    birth_date: str | None = None
    country: str | None = None
    id_number: str | None = None
    gender: str | None = None
    #: the caller's own id for the row, carried into results
    id: str | None = None


@dataclass
class TokenPair:
    query: str
    listed: str
    similarity: float
    how: str


@dataclass
class Comparison:
    """A query against one listed entity: the score, the evidence, the explanation.

    The explanation is written only when asked for: most comparisons score below the threshold
    and nobody reads them.
    """

    entity: ListedEntity
    score: float
    name_score: float
    matched_name: ListedName | None
    pairs: list[TokenPair] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    query: Query | None = None
    #: how the birth dates relate: match, year, year-differs, conflict or "" (unknown)
    dates: str = ""
    #: why the comparison stopped before names were compared, if it did
    note: str = ""

    @property
    def reasons(self) -> list[str]:
        if self.note or self.query is None:
            return [self.note] if self.note else []
        q, e, f = self.query, self.entity, self.features
        out: list[str] = []
        if self.matched_name is not None:
            detail = ", ".join(
                f"{p.query}={p.listed}" + ("" if p.how == "same" else f" ({p.how} {p.similarity:.2f})")
                for p in self.pairs
            )
            name = self.matched_name
            out.append(f"name {q.name!r} ~ {name.kind} {name.text!r} {self.name_score:.2f} [{detail}]")
        listed_dates = ", ".join(e.birth_dates)
        out += {
            "match": [f"birth date {q.birth_date} agrees"],
            "year": [f"birth year of {q.birth_date} agrees with {listed_dates}"],
            "year-differs": [f"birth date {q.birth_date} differs from {listed_dates} within the year"],
            "conflict": [f"birth date {q.birth_date} conflicts with {listed_dates}"],
        }.get(self.dates, [])
        if "country_match" in f:
            out.append(f"country {q.country} agrees")
        elif "country_conflict" in f:
            out.append(f"country {q.country} not among {', '.join(sorted(e.countries))}")
        if "id_match" in f:
            out.append(f"identifier {q.id_number} matches")
        if "gender_conflict" in f:
            out.append(f"gender {q.gender} differs from {e.gender}")
        return out

    def explanation(self) -> str:
        return "; ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "name_score": round(self.name_score, 4),
            "matched_name": self.matched_name.text if self.matched_name else None,
            "matched_name_kind": self.matched_name.kind if self.matched_name else None,
            "features": {k: round(v, 4) for k, v in self.features.items()},
            "explanation": self.explanation(),
        }


@lru_cache(maxsize=100_000)
def token_similarity(q: str, c: str, abjad: bool = False) -> tuple[float, str]:
    """How alike two tokens are (0..1) and why: same, transliteration, typo, initial.

    ``abjad``: one side was romanised from a script without short vowels, so a shared skeleton
    counts even where the letters differ much (قدير -> qdyr for Ghedeir).
    """
    if q == c:
        return 1.0, "same"
    if len(q) == 1 or len(c) == 1:
        # an initial stands for any name with that first letter
        return (0.7, "initial") if q[0] == c[0] else (0.0, "")
    jw = JaroWinkler.normalized_similarity(q, c)
    shared = [sk for sk in set(skeletons(q, abjad)).intersection(skeletons(c, abjad)) if len(sk) >= 2]
    if shared:
        if abjad:
            gate = ABJAD_TRANSLITERATION_CUTOFF
        elif min(len(q), len(c)) <= 4 or max(map(len, shared)) == 2:
            # short words share skeletons by the hundred (Meng/Miang, Chin/Yechin): ask for more
            if abs(len(q) - len(c)) > 1:
                return 0.0, ""
            gate = SHORT_TRANSLITERATION_CUTOFF
        else:
            gate = TRANSLITERATION_CUTOFF
        if jw >= gate:
            return max(0.9, jw), "transliteration"
    shortest = min(len(q), len(c))
    if shortest < MIN_TYPO_LENGTH:
        # names of two or three letters differ by one letter all the time (Jo/Ju): not a typo
        return 0.0, ""
    # Jaro-Winkler alone is generous to short words (Khan/Khaze 0.88): average it with the
    # edit-distance similarity (a swap of two letters is one edit), which counts every edit
    # against the length
    sim = (jw + OSA.normalized_similarity(q, c)) / 2
    if sim >= (SHORT_TYPO_CUTOFF if shortest == MIN_TYPO_LENGTH else TOKEN_CUTOFF):
        return sim, "typo"
    return 0.0, ""


@dataclass
class Alignment:
    """How a query's tokens line up with one listed name."""

    #: rarity-weighted share of the query matched, less the cost of listed tokens left over (0..1)
    similarity: float
    #: share of the query's weight matched, and of the listed name's weight
    query_cover: float
    listed_cover: float
    #: information (sum of rarity weights) of query tokens matched closely
    info: float
    #: the weight of the rarest token matched closely
    rarest: float
    #: the listed name's first or last token (or its family name) left without a partner: a
    #: missing middle name costs little, a missing surname a lot
    listed_ends_unmatched: int
    pairs: list[TokenPair]


def _slots(toks: tuple[str, ...], joined: bool) -> list[tuple[str, tuple[int, ...]]]:
    """Each token, and (with ``joined``) each neighbouring pair written together."""
    out: list[tuple[str, tuple[int, ...]]] = [(t, (i,)) for i, t in enumerate(toks)]
    if joined:
        out += [(toks[i] + toks[i + 1], (i, i + 1)) for i in range(len(toks) - 1)]
    return out


def _pair_up(
    qtoks: tuple[str, ...],
    ctoks: tuple[str, ...],
    joined: bool,
    script: str,
    abjad: bool,
    q_sim: dict[int, float],
    c_sim: dict[int, float],
    pairs: list[TokenPair],
) -> None:
    """Greedy alignment, best pairs first, of the positions not yet paired in ``q_sim``/``c_sim``.

    Fills ``q_sim`` (query position -> similarity), ``c_sim`` (listed ditto) and ``pairs``.
    """
    # two words written as one must match closely, except where a romanisation decides the
    # split (جلال الدين -> jlal aldyn / Jalaluddin; 김정은 -> kim jeongeun / Jong Un): otherwise
    # "Hara Co" becomes "Harrach". A Korean or Chinese query's own tokens are never joined
    # (family and given name are already apart): only the listed side's.
    loose_query_join = abjad
    loose_listed_join = abjad or script == "cjk"
    qslots = [sl for sl in _slots(qtoks, joined) if not any(p in q_sim for p in sl[1])]
    slots = [sl for sl in _slots(ctoks, joined) if not any(p in c_sim for p in sl[1])]
    scored: list[tuple[float, int, int, str]] = []
    for qi, (qt, qpos) in enumerate(qslots):
        for ci, (ct, cpos) in enumerate(slots):
            if joined and len(qpos) + len(cpos) == 2:
                continue  # single against single was tried in the first pass
            sim, how = token_similarity(qt, ct, abjad)
            if sim <= 0 or (script == "cjk" and how == "typo"):
                continue  # (a name typed in Hangul or Han has no typos once romanised)
            if how == "transliteration" and len(qpos) + len(cpos) > 2:
                allowed = (len(qpos) == 1 or loose_query_join) and (len(cpos) == 1 or loose_listed_join)
                if not allowed or JaroWinkler.normalized_similarity(qt, ct) < JOINED_TRANSLITERATION_CUTOFF:
                    continue
            scored.append((sim, qi, ci, how))
    # best pairs first; on a tie, single tokens before joined ones (the explanation reads better)
    scored.sort(key=lambda x: (-x[0], len(qslots[x[1]][1]) + len(slots[x[2]][1])))
    for sim, qi, ci, how in scored:
        qpos, cpos = qslots[qi][1], slots[ci][1]
        if any(p in q_sim for p in qpos) or any(p in c_sim for p in cpos):
            continue
        for p in qpos:
            q_sim[p] = sim
        for p in cpos:
            c_sim[p] = sim
        pairs.append(TokenPair(qslots[qi][0], slots[ci][0], sim, how))


def align(
    qtoks: tuple[str, ...], q_weights: tuple[float, ...], name: ListedName, script: str = ""
) -> Alignment:
    """Align query tokens (with their rarity weights) with one listed name's tokens.

    ``script`` is the query's: "abjad" (Arabic, Persian...), "cjk" (Chinese, Korean) or "".
    Tokens are paired one to one first; the tokens left over on both sides are then also
    tried as neighbouring pairs written together (Abdul Rahman / Abdulrahman).
    """
    abjad = script == "abjad" or name.abjad
    ctoks = name.tokens
    q_sim: dict[int, float] = {}
    c_sim: dict[int, float] = {}
    pairs: list[TokenPair] = []
    _pair_up(qtoks, ctoks, False, script, abjad, q_sim, c_sim, pairs)
    if len(q_sim) < len(qtoks) and len(c_sim) < len(ctoks) and len(qtoks) + len(ctoks) > 2:
        _pair_up(qtoks, ctoks, True, script, abjad, q_sim, c_sim, pairs)
    c_weights = name.weights
    q_total = sum(q_weights) or 1.0
    c_total = sum(c_weights) or 1.0
    matched = sum(w * q_sim.get(i, 0.0) for i, w in enumerate(q_weights))
    close = [w for i, w in enumerate(q_weights) if q_sim.get(i, 0.0) >= 0.9]
    extra = 0.0
    for j, w in enumerate(c_weights):
        if j not in c_sim:
            extra += (EXTRA_FAMILY_COST if j in name.family else EXTRA_LISTED_COST) * w
    return Alignment(
        similarity=matched / (q_total + extra),
        query_cover=matched / q_total,
        listed_cover=sum(w * c_sim.get(j, 0.0) for j, w in enumerate(c_weights)) / c_total,
        info=sum(close),
        rarest=max(close, default=0.0),
        listed_ends_unmatched=sum(1 for j in ({0, len(ctoks) - 1} | name.family) if j not in c_sim),
        pairs=pairs,
    )


def _dates_relation(query: str, listed: tuple[str, ...]) -> str:
    """'match' (same day), 'year' (same year, no finer data to compare), 'conflict', or '' (unknown)."""
    if not listed or not query:
        return ""
    best = "conflict"
    for d in listed:
        n = min(len(d), len(query))
        if d[:n] == query[:n]:
            if n >= 10:
                return "match"
            best = "year"
        elif d[:4] == query[:4] and best == "conflict":
            # same year, different month or day: often a day/month swap or a data-entry slip
            best = "year-differs"
    return best


def compare(
    index: Index,
    query: Query,
    qtoks: tuple[str, ...],
    entity_idx: int,
    name_ids: list[int],
    script: str = "",
) -> Comparison:
    """The query (one reading of its name, ``qtoks``) against one listed entity's candidate names."""
    entity = index.entities[entity_idx]
    if query.kind and query.kind != entity.kind:
        return Comparison(entity, 0.0, 0.0, None, note=f"a {query.kind} is never a {entity.kind}")
    best: Alignment | None = None
    matched: ListedName | None = None
    best_sim = 0.0
    q_weights = tuple(index.weight(t) for t in qtoks)
    for nid in name_ids:
        name = index.names[nid]
        al = align(qtoks, q_weights, name, script)
        sim = al.similarity * NAME_KIND_FACTOR.get(name.kind, 1.0)
        if sim > best_sim:
            best, matched, best_sim = al, name, sim
    features: dict[str, float] = {"name": best_sim}
    pairs: list[TokenPair] = []
    if best is not None and matched is not None:
        pairs = best.pairs
        features["name_query"] = best.query_cover
        features["name_listed"] = best.listed_cover
        features["info"] = min(best.info, 20.0) / 10.0
        features["rarest"] = min(best.rarest, 10.0) / 10.0
        features["listed_ends_unmatched"] = min(best.listed_ends_unmatched, 3)

    dates = _dates_relation(query.birth_date or "", entity.birth_dates)
    if dates == "match":
        features["dob_match"] = 1.0
    elif dates == "year":
        features["dob_year"] = 1.0
    elif dates == "conflict":
        features["dob_conflict"] = 1.0
    if query.country and entity.countries:
        features["country_match" if query.country.lower() in entity.countries else "country_conflict"] = 1.0
    if query.id_number and digits_and_letters(query.id_number) in entity.identifiers:
        features["id_match"] = 1.0
    if query.gender and entity.gender and query.gender != entity.gender:
        features["gender_conflict"] = 1.0

    logit = COEF["intercept"] + sum(COEF[k] * v for k, v in features.items())
    score = 1.0 / (1.0 + math.exp(-logit))
    return Comparison(entity, score, best_sim, matched, pairs, features, query, dates)
