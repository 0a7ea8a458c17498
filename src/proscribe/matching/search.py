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
"""

from __future__ import annotations

import math
from collections import defaultdict

from proscribe.matching.index import Index
from proscribe.matching.score import (
    COEF,
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
        for cut in range(1, len(order)):
            rest = order[cut:]
            covered = {p for k in rest for p in slots[k].positions}
            unreached = sum(extra_of[p] for p in name_positions if p not in covered)
            most = sum(max(hits[k].values(), default=0.0) for k in rest)
            if bound(most, most, unreached, best_facts) < floor:
                gather = order[:cut]
                break
    evidence: dict[int, float] = defaultdict(float)
    for k in gather:
        for nid, c in hits[k].items():
            evidence[nid] += c
    if len(gather) < len(order):
        for k in order[len(gather) :]:
            h = hits[k]
            for nid in evidence:
                extra = h.get(nid)
                if extra:
                    evidence[nid] += extra
    kind = query.kind
    facts_of: dict[int, float] = {}
    per_entity: dict[int, list[int]] = defaultdict(list)
    names = index.names
    entities = index.entities
    for nid, ev in evidence.items():
        name = names[nid]
        ent = name.entity
        if kind and entities[ent].kind != kind:
            if floor == -math.inf:
                per_entity.setdefault(ent, [])
            continue
        if floor > -math.inf:
            kind_feature = NAME_KIND_FEATURE.get(name.kind)
            extra = COEF[kind_feature] if kind_feature else 0.0
            if bound(ev, name.core_total, 0, best_facts + extra) < floor:
                continue
            facts = facts_of.get(ent)
            if facts is None:
                facts = facts_of[ent] = fact_logit(fact_features(query, entities[ent])[0])
            reached = {p for k, s in enumerate(slots) if nid in hits[k] for p in s.positions}
            unreached = sum(extra_of[p] for p in name_positions if p not in reached)
            if bound(ev, name.core_total, unreached, facts + extra) < floor:
                continue
        per_entity[ent].append(nid)
    for nid in index.exact_names(reading.tokens):
        ent = names[nid].entity
        if (not kind or entities[ent].kind == kind) and nid not in per_entity[ent]:
            per_entity[ent].append(nid)
    if query.id_number:
        for ent in index.by_identifier([query.id_number]):
            per_entity[ent] = list(entities[ent].names)
    return [compare(index, query, reading, ent, nids) for ent, nids in per_entity.items()]
