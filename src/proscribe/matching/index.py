"""Finding the few listed names a query may be, without comparing it with all of them.

Every listed name is indexed under three kinds of key for each of its tokens (and for each
pair of neighbouring tokens written together, so "Jong Un" is also found as "jongun"):

* the token itself;
* its consonant skeleton (``normalize.skeleton``), which joins romanisation variants;
* for typos, the token's one-letter deletions (the SymSpell trick: two words one edit apart
  share a deletion), looked up in the vocabulary rather than in the postings.

A query collects, for each of its tokens, the names those keys point at, credits each name
with the token's rarity (inverse document frequency), and keeps the names with the most
credit. Common tokens ("Mohammed", "al", "company") weigh little and, when a query has
rarer tokens, are not used to gather candidates at all: that is what keeps a query to a few
dozen candidates.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from proscribe.matching.entities import ListedEntity, ListedName, listed_from_record
from proscribe.matching.normalize import digits_and_letters, is_legal_form, is_particle, skeletons
from proscribe.sources.base import Record

#: a token shared by more names than this is not used to gather candidates when the query has rarer ones
MAX_POSTINGS = 1500
#: how many names a query keeps, at the most, for full scoring
MAX_CANDIDATE_NAMES = 60
#: ...and only those with at least this share of the best name's credit
MIN_CREDIT_SHARE = 0.4
#: the fewest names rarity weights are computed as if the index held (see ``Index.build``)
MIN_NAMES = 20_000
#: tokens at least this long are also found by their first PREFIX_LENGTH letters
PREFIX_MIN_TOKEN = 7
PREFIX_LENGTH = 5
#: how many query tokens' candidate lists are kept between queries (a batch repeats tokens)
HIT_CACHE_SIZE = 5_000


def deletes(token: str) -> list[str]:
    """The token with each one of its letters removed (for tokens long enough to have typos)."""
    if len(token) < 4:
        return []
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


@dataclass
class Index:
    """The matcher's whole view of the lists: entities, names and the keys to find them."""

    entities: list[ListedEntity] = field(default_factory=list)
    names: list[ListedName] = field(default_factory=list)
    token_postings: dict[str, list[int]] = field(default_factory=dict)
    skeleton_postings: dict[str, list[int]] = field(default_factory=dict)
    #: deletion -> vocabulary tokens that produce it
    typo_keys: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    id_postings: dict[str, list[int]] = field(default_factory=dict)
    #: the first letters of long tokens -> names: finds long words with more than one typo or a
    #: different ending (Anatolevich / Anatolijevitch)
    prefix_postings: dict[str, list[int]] = field(default_factory=dict)
    #: inverse document frequency of each token, over names
    idf: dict[str, float] = field(default_factory=dict)
    default_idf: float = 1.0
    #: a description of what the index was built from (datasets, versions, as-of date)
    built_from: dict[str, object] = field(default_factory=dict)
    _hits: dict[tuple[str, bool], dict[int, float]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, records: Iterable[Record], built_from: dict[str, object] | None = None) -> Index:
        index = cls(built_from=dict(built_from or {}))
        token_post: dict[str, list[int]] = defaultdict(list)
        skel_post: dict[str, list[int]] = defaultdict(list)
        id_post: dict[str, list[int]] = defaultdict(list)
        prefix_post: dict[str, list[int]] = defaultdict(list)
        singles: set[str] = set()
        for record in records:
            entity, names = listed_from_record(record, len(index.names))
            ent_idx = len(index.entities)
            if not names:
                continue
            for name in names:
                name.entity = ent_idx
                nid = len(index.names)
                index.names.append(name)
                singles.update(name.tokens)
                keys = set(name.tokens) | _joined(name.tokens)
                for key in keys:
                    token_post[key].append(nid)
                for prefix in {t[:PREFIX_LENGTH] for t in name.tokens if len(t) >= PREFIX_MIN_TOKEN}:
                    prefix_post[prefix].append(nid)
                joined = {sk for j in _joined(name.tokens) for sk in skeletons(j, name.abjad)}
                for sk in set(name.skeletons) | joined:
                    if len(sk) >= 2:
                        skel_post[sk].append(nid)
            for ident in entity.identifiers:
                id_post[ident].append(ent_idx)
            index.entities.append(entity)
        # Rarity cannot be learned from a few dozen names: on a small list (one program's designees,
        # the ICC registry alone) every word is seen once or twice, which the formula below reads as
        # "common" only because n is small, so an exact full name would look weak. Counting as if the
        # index held at least MIN_NAMES names gives a word seen once the weight a word seen once has
        # among the ~27,000 names of the OFAC and UN lists, on which the score was calibrated; on
        # those lists (n above the floor) nothing changes.
        n = max(len(index.names), MIN_NAMES)
        index.idf = {tok: math.log((n + 1) / (len(post) + 0.5)) for tok, post in token_post.items()}
        index.default_idf = math.log((n + 1) / 0.5)
        for name in index.names:
            name.weights = tuple(index.weight(t) for t in name.tokens)
        # Typos are looked for in the words of names, not in words written together (those come
        # from the name's own words); most deletions lead to a single word, kept as a plain string
        # rather than a one-item list: half a million keys, so this halves the index's memory.
        typo: dict[str, str | tuple[str, ...]] = {}
        for tok in singles:
            for d in deletes(tok):
                had = typo.get(d)
                if had is None:
                    typo[d] = tok
                elif isinstance(had, str):
                    typo[d] = (had, tok)
                else:
                    typo[d] = (*had, tok)
        index.token_postings = dict(token_post)
        index.skeleton_postings = dict(skel_post)
        index.typo_keys = typo
        index.id_postings = dict(id_post)
        index.prefix_postings = dict(prefix_post)
        return index

    def weight(self, token: str) -> float:
        """How much a token says about who someone is: rare tokens much, particles little."""
        w = self.idf.get(token, self.default_idf)
        if is_particle(token) or len(token) == 1:
            w *= 0.3
        elif is_legal_form(token):
            w *= 0.1
        return w

    def similar_tokens(self, token: str) -> list[str]:
        """Vocabulary tokens one edit (insert, delete, substitute, swap-ish) away from ``token``."""
        found: set[str] = set()
        if len(token) >= 4:
            _add(found, self.typo_keys.get(token))  # the vocabulary word has one letter more
            for d in deletes(token):
                if d in self.token_postings:
                    found.add(d)  # one letter less
                _add(found, self.typo_keys.get(d))  # one letter different
        found.discard(token)
        return list(found)

    def token_hits(self, token: str, abjad: bool = False) -> dict[int, float]:
        """Names a query token may stand for, each credited with the token's weight.

        The weight is the most the token can add to a name's match (its similarity is at most
        1), so a name's summed credit bounds how well the query can match it. Cached per token:
        batches repeat tokens far more than names.
        """
        key = (token, abjad)
        hits = self._hits.get(key)
        if hits is not None:
            return hits
        w = self.weight(token)
        hits = dict.fromkeys(self.token_postings.get(token, ()), w)
        for sk in skeletons(token, abjad):
            if len(sk) >= 2:
                for nid in self.skeleton_postings.get(sk, ()):
                    hits.setdefault(nid, w)
        for other in self.similar_tokens(token):
            for nid in self.token_postings.get(other, ()):
                hits.setdefault(nid, w)
        if len(token) >= PREFIX_MIN_TOKEN:
            for nid in self.prefix_postings.get(token[:PREFIX_LENGTH], ()):
                hits.setdefault(nid, w)
        if len(self._hits) > HIT_CACHE_SIZE:
            self._hits.clear()
        self._hits[key] = hits
        return hits

    def candidates(
        self, query_tokens: tuple[str, ...], min_credit: float = 0.0, abjad: bool = False
    ) -> list[tuple[int, float]]:
        """(name id, credit) worth scoring for these query tokens, most credit first.

        A name's credit is the summed weight of the query tokens (and of neighbouring pairs written
        together) that found it, capped at the query's whole weight. Names with less than
        ``min_credit`` are left out.
        """
        items: list[tuple[float, dict[int, float]]] = []
        for tok in dict.fromkeys(query_tokens):
            hits = self.token_hits(tok, abjad)
            if hits:
                items.append((self.weight(tok), hits))
        for i in range(len(query_tokens) - 1):
            # the query writes apart what a listed name writes together (jalal aldyn / Jalaluddin)
            joined = query_tokens[i] + query_tokens[i + 1]
            found = set(self.token_postings.get(joined, ()))
            for sk in skeletons(joined, abjad):
                if len(sk) >= 3:
                    found.update(self.skeleton_postings.get(sk, ()))
            if found:
                w = self.weight(query_tokens[i]) + self.weight(query_tokens[i + 1])
                items.append((w, dict.fromkeys(found, w)))
        if not items:
            return []
        total = sum(self.weight(t) for t in query_tokens)
        reachable = sum(w for w, _ in items)
        # a token whose absence leaves too little credit must have found every name worth scoring:
        # start from the smallest such token's names instead of the union of all
        required = [hits for w, hits in items if reachable - w < min_credit]
        credit: dict[int, float]
        if required:
            required.sort(key=len)
            common = set(required[0])
            for r in required[1:]:
                common &= r.keys()
            credit = dict.fromkeys(common, 0.0)
            for _, hits in items:
                for nid in credit:
                    credit[nid] += hits.get(nid, 0.0)
        else:
            # gather with the rarest tokens first; skip very common ones when rarer ones exist
            items.sort(key=lambda item: len(item[1]))
            credit = dict(items[0][1])
            for _, hits in items[1:]:
                if len(hits) > MAX_POSTINGS:
                    # still credit names already found, without adding new ones
                    for nid in credit:
                        credit[nid] += hits.get(nid, 0.0)
                    continue
                for nid, w in hits.items():
                    credit[nid] = credit.get(nid, 0.0) + w
        if not credit:
            return []
        # names with much less credit than the best cannot outscore it on names: leave them out
        floor = max(max(credit.values()) * MIN_CREDIT_SHARE, min_credit)
        ranked = sorted(((n, min(c, total)) for n, c in credit.items() if c >= floor), key=lambda x: -x[1])
        return ranked[:MAX_CANDIDATE_NAMES]

    def by_identifier(self, id_numbers: Iterable[str]) -> set[int]:
        """Entities holding any of these identifiers (passport, IMO, registration...)."""
        found: set[int] = set()
        for value in id_numbers:
            found.update(self.id_postings.get(digits_and_letters(value), ()))
        return found

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_hits"] = {}  # a cache, rebuilt on use
        return state


def _add(found: set[str], value: str | tuple[str, ...] | None) -> None:
    if value is None:
        return
    if isinstance(value, str):
        found.add(value)
    else:
        found.update(value)


def _joined(toks: tuple[str, ...]) -> set[str]:
    """Neighbouring tokens written as one ("jong un" -> "jongun"), as names are split differently."""
    return {toks[i] + toks[i + 1] for i in range(len(toks) - 1)}
