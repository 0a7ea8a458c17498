"""Finding the listed names a query may be, without comparing it with all of them.

Every word of every listed name (and every pair of neighbouring words written together, so that
"Jong Un" is also found as "jongun") is in the index's **vocabulary**, with the names that hold it
(its postings). A query word reaches the vocabulary words it is alike to (``tokensim``: the same
word, the same spelling key, one edit away, the same first letters of a long word) and, through
their postings, the names that hold them; each reached name is credited with the most that word
can add to its match. From that credit the best score a name could reach is known
(``score.ScoreBound``), and a name that cannot reach the threshold is never compared. The bound is
sound: a comparison of the query with every name would find nothing more above the threshold
(tested on thousands of queries).

What a query word is alike to is computed once per word and kept (batches repeat words far more
than names), as is the set of names each word reaches.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from proscribe.matching import fast, rarity
from proscribe.matching.entities import ListedEntity, ListedName, core_floor, listed_from_record
from proscribe.matching.normalize import abjad_key, digits_and_letters, keys
from proscribe.matching.tokensim import (
    PREFIX_LENGTH,
    PREFIX_MIN_TOKEN,
    WordInfo,
    deletes,
    word_info,
)

if TYPE_CHECKING:  # for annotations only (FtM is slow to import, and a loaded index needs none)
    from proscribe.sources.base import Record

#: how many query words' expansions and reached names are kept between queries
CACHE_SIZE = 20_000

#: an expansion: vocabulary id -> similarity
Expansion = dict[int, float]


@dataclass
class Index:
    """The matcher's whole view of the lists: entities, names and the keys to find them."""

    entities: list[ListedEntity] = field(default_factory=list)
    names: list[ListedName] = field(default_factory=list)
    #: the vocabulary: words of names (ids below ``n_words``), then pairs of words written together
    vocab: list[str] = field(default_factory=list)
    vocab_ids: dict[str, int] = field(default_factory=dict)
    n_words: int = 0
    #: vocabulary id -> the names holding it, ascending
    postings: list[array] = field(default_factory=list)  # type: ignore[type-arg]
    #: each vocabulary entry's weight (rarity; a pair weighs what its two words weigh)
    vocab_weight: list[float] = field(default_factory=list)
    #: spelling key -> vocabulary ids; the same for the abjad key; deletion -> ids (one id alone,
    #: not in a list: most of the half million deletions have one, and the index loads in every
    #: batch worker); prefix -> ids
    by_key: dict[str, list[int]] = field(default_factory=dict)
    by_abjad_key: dict[str, list[int]] = field(default_factory=dict)
    by_delete: dict[str, int | list[int]] = field(default_factory=dict)
    by_prefix: dict[str, list[int]] = field(default_factory=dict)
    id_postings: dict[str, list[int]] = field(default_factory=dict)
    #: names by their words, sorted (a name of one word only if it is the primary name; a weak alias
    #: of two words or more too): see ``exact_names``
    by_words: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    #: each vocabulary entry's facts for the compiled word similarity (``tokensim.word_info``),
    #: made once at build time and saved with the index, so that a loaded index (a batch worker)
    #: does not make them again word by word
    word_infos: list[WordInfo | None] = field(default_factory=list)
    #: a description of what the index was built from (datasets, versions, as-of date)
    built_from: dict[str, object] = field(default_factory=dict)
    _expansions: dict[tuple[str, bool, bool], Expansion] = field(default_factory=dict, repr=False)
    _hits: dict[tuple[str, bool, bool], dict[int, float]] = field(default_factory=dict, repr=False)
    #: what other modules derive from the index and keep with it (``search.name_arrays``); not pickled
    derived: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, records: Iterable[Record], built_from: dict[str, object] | None = None) -> Index:
        index = cls(built_from=dict(built_from or {}))
        postings: dict[str, set[int]] = defaultdict(set)
        pair_words: dict[str, float] = {}
        for record in records:
            entity, names = listed_from_record(record, len(index.names))
            if not names:
                continue
            ent_idx = len(index.entities)
            for name in names:
                name.entity = ent_idx
                nid = len(index.names)
                index.names.append(name)
                name.weights = tuple(rarity.weight(t) for t in name.tokens)
                name.total = sum(dict(zip(name.tokens, name.weights, strict=True)).values())
                name.core_total = core_floor(name, entity.kind == "person")
                for t in name.tokens:
                    postings[t].add(nid)
                if len(name.tokens) > 1 or name.kind == "name":
                    index.by_words.setdefault(tuple(sorted(name.tokens)), []).append(nid)
                for i in range(len(name.tokens) - 1):
                    joined = name.tokens[i] + name.tokens[i + 1]
                    pair_words[joined] = name.weights[i] + name.weights[i + 1]
                    postings["\x00" + joined].add(nid)
            for ident in entity.identifiers:
                index.id_postings.setdefault(ident, []).append(ent_idx)
            index.entities.append(entity)
        words = sorted(t for t in postings if not t.startswith("\x00"))
        pairs = sorted(t[1:] for t in postings if t.startswith("\x00"))
        index.vocab = words + pairs
        index.n_words = len(words)
        index.vocab_ids = {t: i for i, t in enumerate(words)}
        index.postings = [array("i", sorted(postings[t])) for t in words]
        index.postings += [array("i", sorted(postings["\x00" + t])) for t in pairs]
        index.vocab_weight = [rarity.weight(t) for t in words] + [pair_words[t] for t in pairs]
        pair_ids = {t: len(words) + i for i, t in enumerate(pairs)}
        by_key: dict[str, list[int]] = defaultdict(list)
        by_abjad: dict[str, list[int]] = defaultdict(list)
        by_delete: dict[str, list[int]] = defaultdict(list)
        by_prefix: dict[str, list[int]] = defaultdict(list)
        for vid, t in enumerate(index.vocab):
            for k in keys(t):
                by_key[k].append(vid)
            by_abjad[abjad_key(t)].append(vid)
            for d in deletes(t):
                by_delete[d].append(vid)
            if len(t) >= PREFIX_MIN_TOKEN:
                by_prefix[t[:PREFIX_LENGTH]].append(vid)
        index.by_key, index.by_abjad_key = dict(by_key), dict(by_abjad)
        index.by_delete = {d: v[0] if len(v) == 1 else v for d, v in by_delete.items()}
        index.by_prefix = dict(by_prefix)
        index.word_infos = [word_info(t) for t in index.vocab]
        for name in index.names:
            toks = name.tokens
            name.vids = tuple(index.vocab_ids[t] for t in toks)
            name.pair_vids = tuple(pair_ids[toks[i] + toks[i + 1]] for i in range(len(toks) - 1))
        return index

    # -- what a query word is alike to ------------------------------------------------------------

    def exact_names(self, tokens: tuple[str, ...]) -> list[int]:
        """The names written with exactly these words, in any order (aliases of one word excepted):
        such a name is always compared, and reaches ``EXACT_NAME_SCORE``. A weak alias of two words
        or more counts: the UN lists as names many that OFAC keeps as "low quality" a.k.a.s ("Abu
        Obaida", "Farhan Khan"), and written exactly they are worth a look."""
        return self.by_words.get(tuple(sorted(tokens)), []) if tokens else []

    def weight(self, token: str) -> float:
        """How much a shared token says about who someone is (``rarity.weight``)."""
        return rarity.weight(token)

    def expand(self, token: str, abjad: bool = False, joined: bool = False) -> Expansion:
        """The vocabulary entries ``token`` is alike to, with their similarity.

        ``joined``: the token is two query words written together, so only single listed words
        are looked for (a pair against a pair is two single words). Cached per token.
        """
        ck = (token, abjad, joined)
        found = self._expansions.get(ck)
        if found is not None:
            return found
        # where the index reaches from this token, in the order the entries are visited: ids and
        # lists of ids (None: nothing there)
        groups: list[int | list[int] | None] = [self.vocab_ids.get(token)]
        if len(token) > 1:  # an initial reaches no one by itself: it is compared once a name is found
            groups += [self.by_key.get(k) for k in keys(token)]
            if abjad:
                groups.append(self.by_abjad_key.get(abjad_key(token)))
            groups.append(self.by_delete.get(token))  # the vocabulary word has one letter more
            for d in deletes(token):
                groups.append(self.by_delete.get(d))  # one letter replaced or swapped
                groups.append(self.vocab_ids.get(d))  # one letter less
            if len(token) >= PREFIX_MIN_TOKEN:
                groups.append(self.by_prefix.get(token[:PREFIX_LENGTH]))
            groups.append(self.vocab_ids.get(token[0]))  # a listed initial stands for this word
        # each reached entry compared (``token_similarity``); in C when the extension is built
        out = fast.expand_words(self, token, groups, joined, abjad)
        if len(self._expansions) > CACHE_SIZE:
            self._expansions.clear()
        self._expansions[ck] = out
        return out

    def hits(self, token: str, weight: float, abjad: bool = False, joined: bool = False) -> dict[int, float]:
        """The names ``token`` reaches, each with the most evidence it can add to them.

        A pair's evidence is its similarity times the lesser weight of its two sides; the most a
        query word can add to a name is the best over the vocabulary entries of that name it
        reaches. Cached per token: batches repeat words far more than names.
        """
        ck = (token, abjad, joined)
        found = self._hits.get(ck)
        if found is not None:
            return found
        items = list(self.expand(token, abjad, joined).items())
        out = fast.merge_hits(items, self.postings, self.vocab_weight, weight, len(self.names))
        if len(self._hits) > CACHE_SIZE:
            self._hits.clear()
        self._hits[ck] = out
        return out

    def by_identifier(self, id_numbers: Iterable[str]) -> set[int]:
        """Entities holding any of these identifiers (passport, IMO, registration...)."""
        found: set[int] = set()
        for value in id_numbers:
            found.update(self.id_postings.get(digits_and_letters(value), ()))
        return found

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_expansions"] = {}  # caches, rebuilt on use
        state["_hits"] = {}
        state["derived"] = {}
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("derived", {})
        self.__dict__.setdefault("word_infos", [])
