"""One query reading against the index: gather the names it reaches, bound, compare.

1. Each slot of the reading (a word, or two neighbouring words written together) reaches names
   through the vocabulary entries it is alike to (``Index.hits``), with the most evidence it can
   add to each.
2. A name's evidence bound is the sum of what its reaching slots can add; with what is known of
   the name (its total weight, the query words that cannot pair with it, its entity's birth date
   and country) that bounds its score (``ScoreBound``). Names whose bound is under the threshold
   are never aligned.
3. Words shared by thousands of names ("mohammed", "al", "company") are not used to *gather*
   names when the other words would have to be present anyway for a name to reach the threshold:
   the names such a word reaches are only looked up for the names already gathered. This is
   decided from the bound too, so it loses nothing.

With no threshold (``threshold <= 0``) every reached name is compared: that is the exhaustive
search the pruned one is tested against.

The sums of step 2 and the first bound (before the entity's facts are known) run in C when the
optional extension is built (``fast``), with the same results as the Python loops.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from dataclasses import dataclass

from proscribe.matching import fast
from proscribe.matching.index import Index
from proscribe.matching.score import (
    COEF,
    MAX_EVIDENCE,
    NAME_KIND_FEATURE,
    Comparison,
    Query,
    Reading,
    ScoreBound,
    compare,
    extra_weight,
    fact_features,
    fact_logit,
    logit,
)

#: entity kinds as the compiled path sees them (one byte per name)
KIND_CODE = {"person": 0, "organization": 1, "vessel": 2, "aircraft": 3}
#: the code of a kind no name has
NO_KIND = 254


@dataclass(frozen=True)
class NameArrays:
    """Per-name facts the compiled path reads: kind code, core weight, weak/previous-name logit."""

    kind: bytes
    core_total: array  # type: ignore[type-arg]
    kind_extra: array  # type: ignore[type-arg]
    #: the coefficients ``kind_extra`` was made with (made again if they change, as in a calibration)
    coefs: tuple[float, ...]


def name_arrays(index: Index) -> NameArrays:
    """``NameArrays`` of an index, made on first use and kept on it (not pickled)."""
    coefs = tuple(COEF[f] for f in NAME_KIND_FEATURE.values())
    found = index.derived.get("name_arrays")
    if isinstance(found, NameArrays) and len(found.kind) == len(index.names) and found.coefs == coefs:
        return found
    ents = index.entities
    kinds = bytes(KIND_CODE.get(ents[n.entity].kind, 255) for n in index.names)
    core = array("d", (n.core_total for n in index.names))
    extra = array("d")
    for n in index.names:
        feature = NAME_KIND_FEATURE.get(n.kind)
        extra.append(COEF[feature] if feature else 0.0)
    arrays = NameArrays(kinds, core, extra, coefs)
    index.derived["name_arrays"] = arrays
    return arrays


def _best_facts(query: Query) -> float:
    """The most the facts could add for this query, over any listed entity."""
    best = 0.0
    if query.birth_date:
        best += max(0.0, COEF["dob_match"], COEF["dob_year"])
    if query.country:
        best += max(0.0, COEF["country_match"])
    if query.id_number:
        best += max(0.0, COEF["id_match"])
    return best


def compare_reading(index: Index, query: Query, reading: Reading, threshold: float) -> list[Comparison]:
    """Compare one reading of the query with every listed entity that can reach ``threshold``."""
    found = candidates(index, query, reading, threshold)
    return [c for ent, nids in found.items() if (c := compare(index, query, reading, ent, nids)) is not None]


def compare_reading_above(
    index: Index, query: Query, reading: Reading, threshold: float
) -> list[tuple[int, Comparison | None]]:
    """``compare_reading`` for those who want only what reaches ``threshold`` (``Screener.screen``):
    every candidate entity in the same order, each with its comparison, or None when it scores
    under the threshold (no pairs or explanation made for it)."""
    found = candidates(index, query, reading, threshold)
    return [(ent, compare(index, query, reading, ent, nids, threshold)) for ent, nids in found.items()]


def candidates(index: Index, query: Query, reading: Reading, threshold: float) -> dict[int, list[int]]:
    """The listed entities one reading of the query may reach ``threshold`` with, each with its
    candidate names, in the order they are compared."""
    floor = logit(threshold) if threshold > 0 else -math.inf
    bound = ScoreBound(reading)
    abjad = reading.abjad
    slots = reading.slots
    hits = [index.hits(s.text, s.weight, abjad, len(s.positions) > 1) for s in slots]
    best_facts = _best_facts(query)
    # which slots gather names: the rarest first, until the slots left could not lift a name they
    # alone reach to the threshold
    name_positions = [i for i, r in enumerate(reading.roles) if r == "name"]
    extra_of = {i: extra_weight(reading.weights[i]) for i in name_positions}
    order = sorted(range(len(slots)), key=lambda k: len(hits[k]))
    gather = order
    if floor > -math.inf:
        best_of = [max(h.values(), default=0.0) for h in hits]
        for cut in range(1, len(order)):
            rest = order[cut:]
            covered = {p for k in rest for p in slots[k].positions}
            unreached = sum(extra_of[p] for p in name_positions if p not in covered)
            most = sum(best_of[k] for k in rest)
            if bound(most, most, unreached, best_facts) < floor:
                gather = order[:cut]
                break
    gathered = [hits[k] for k in gather]
    others = [hits[k] for k in order[len(gather) :]]
    kind = query.kind
    names = index.names
    entities = index.entities
    # every reached name with its evidence; when pruning, names of another kind and names whose
    # bound is under the threshold (before facts) are left out here already
    if fast.COMPILED:
        arrays = name_arrays(index)
        nids, evs = fast.evidence(
            gathered,
            others,
            len(names),
            floor > -math.inf,
            arrays.kind,
            KIND_CODE.get(kind, NO_KIND) if kind else -1,
            arrays.core_total,
            arrays.kind_extra,
            bound.base,
            COEF["evidence"],
            COEF["listed_cover"],
            COEF["query_cover"],
            MAX_EVIDENCE,
            bound.initial_bonus,
            bound.q_total,
            best_facts,
            floor,
            bound.initials,
        )
        prefiltered = floor > -math.inf
    else:
        nids, evs = fast.evidence_py(gathered, others, len(names), None)
        prefiltered = False
    facts_of: dict[int, float] = {}
    # a query of a name alone (most of a batch) has no facts to weigh: 0 for every entity, as
    # ``fact_logit`` of no features is
    has_facts = bool(query.birth_date or query.country or query.id_number or query.gender)
    per_entity: dict[int, list[int]] = defaultdict(list)
    for nid, ev in zip(nids, evs, strict=True):
        name = names[nid]
        ent = name.entity
        if not prefiltered and kind and entities[ent].kind != kind:
            if floor == -math.inf:
                per_entity.setdefault(ent, [])
            continue
        if floor > -math.inf:
            kind_feature = NAME_KIND_FEATURE.get(name.kind)
            extra = COEF[kind_feature] if kind_feature else 0.0
            if not prefiltered and bound(ev, name.core_total, 0, best_facts + extra) < floor:
                continue
            facts = facts_of.get(ent)
            if facts is None:
                facts = facts_of[ent] = fact_logit(fact_features(query, entities[ent])[0]) if has_facts else 0
            reached = {p for k, s in enumerate(slots) if nid in hits[k] for p in s.positions}
            unreached = sum(extra_of[p] for p in name_positions if p not in reached)
            if bound(ev, name.core_total, unreached, facts + extra, name.tokens) < floor:
                continue
        per_entity[ent].append(nid)
    for nid in index.exact_names(reading.tokens):
        ent = names[nid].entity
        if (not kind or entities[ent].kind == kind) and nid not in per_entity[ent]:
            per_entity[ent].append(nid)
    if query.id_number:
        for ent in index.by_identifier([query.id_number]):
            per_entity[ent] = list(entities[ent].names)
    return per_entity
