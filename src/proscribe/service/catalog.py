"""The listings as FollowTheMoney entities, held in memory for the yente-compatible endpoints.

Built from the store's current records (every listing still on its list) next to the screening
index, and swapped with it when a list changes. A listing's target is served with yente's entity
fields: ``first_seen`` is when the listing's first state began, ``last_change`` when its current
state began, ``last_seen`` the as-of date of its list's version in force.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from followthemoney import model
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from proscribe.matching.normalize import tokens
from proscribe.store.reads import DatasetStatus, status
from proscribe.store.schema import RecordRow

#: the collections every store has, besides one dataset per list (yente's names)
COLLECTIONS = ("default", "sanctions")


def _stamp(day: date | None) -> str | None:
    return datetime(day.year, day.month, day.day).isoformat() if day else None


@dataclass
class EntityDoc:
    """One listing: its target first, then the entities attached to it (FtM dicts)."""

    id: str
    dataset: str
    source_id: str
    schema: str
    caption: str
    data: list[dict[str, Any]]
    first_seen: str | None
    last_change: str | None
    last_seen: str | None

    @property
    def properties(self) -> dict[str, list[str]]:
        props: dict[str, list[str]] = self.data[0].get("properties", {})
        return props

    @cached_property
    def search_words(self) -> frozenset[str]:
        """The words of every name of the listing (names, aliases, previous names), folded as the
        matcher folds them (lower case, Latin letters), for the catalog's word index."""
        props = self.properties
        names = [v for p in ("name", "alias", "weakAlias", "previousName") for v in props.get(p, [])]
        return frozenset(w for name in [self.caption, *names] for w in tokens(name))

    @cached_property
    def caption_words(self) -> str:
        return " ".join(tokens(self.caption))

    @property
    def topics(self) -> list[str]:
        return self.properties.get("topics") or ["sanction"]

    @cached_property
    def countries(self) -> frozenset[str]:
        props = self.properties
        out: set[str] = set()
        for prop in ("country", "nationality", "citizenship", "jurisdiction", "birthCountry", "flag"):
            out.update(props.get(prop, []))
        return frozenset(out)


@dataclass
class Catalog:
    """Every listing in force, by target id; the lists' status; where adjacent entities live."""

    docs: dict[str, EntityDoc]
    lists: list[DatasetStatus]
    version_key: str
    built_at: datetime
    #: an adjacent entity's id -> the target it hangs off
    adjacent: dict[str, str] = field(default_factory=dict)
    #: ``/search`` without a name: its filters -> (listings, facet counts); see ``routes_yente``
    browse_memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def by_caption(self) -> list[EntityDoc]:
        """Every listing in caption order (the order of a search without a name), sorted once."""
        return sorted(self.docs.values(), key=lambda d: d.caption)

    @cached_property
    def _words(self) -> tuple[list[str], list[list[int]]]:
        """The words of the listings' names in order, each with the positions (in ``by_caption``)
        of the listings carrying it: an inverted index, built once per catalog."""
        postings: dict[str, list[int]] = defaultdict(list)
        for pos, doc in enumerate(self.by_caption):
            for word in doc.search_words:
                postings[word].append(pos)
        words = sorted(postings)
        return words, [postings[w] for w in words]

    def with_words(self, words: Iterable[str]) -> list[EntityDoc]:
        """Listings whose names have a word starting with each of ``words`` (any name or alias; words
        folded by ``proscribe.matching.normalize.tokens``), in caption order; answered from the
        inverted index, never by reading every listing."""
        vocab, postings = self._words
        found: set[int] | None = None
        wanted = set(words)
        if not wanted:
            return []
        for word in sorted(wanted, key=len, reverse=True):  # longest first: the smallest sets
            start = bisect.bisect_left(vocab, word)
            stop = bisect.bisect_left(vocab, word + "\U0010ffff", lo=start)
            hits: set[int] = set()
            for i in range(start, stop):
                hits.update(postings[i])
            found = hits if found is None else found & hits
            if not found:
                return []
        ordered = self.by_caption
        return [ordered[i] for i in sorted(found or ())]

    def prepare(self) -> Catalog:
        """Build the caption order and the word index now (on the index thread), not at the first
        search."""
        _ = self._words
        for doc in self.docs.values():
            _ = doc.countries, doc.caption_words
        return self

    @property
    def list_names(self) -> list[str]:
        return [s.dataset for s in self.lists]

    def members(self, dataset: str) -> set[str] | None:
        """The lists a dataset name stands for; None when the name is unknown."""
        if dataset in COLLECTIONS:
            return set(self.list_names)
        if dataset in self.list_names:
            return {dataset}
        return None

    @classmethod
    def build(cls, engine: Engine, version_key: str) -> Catalog:
        lists = status(engine)
        seen_as_of = {s.dataset: s.as_of for s in lists}
        docs: dict[str, EntityDoc] = {}
        adjacent: dict[str, str] = {}
        with Session(engine) as session:
            first = {
                (d, s): v
                for d, s, v in session.execute(
                    select(RecordRow.dataset, RecordRow.source_id, func.min(RecordRow.valid_from)).group_by(
                        RecordRow.dataset, RecordRow.source_id
                    )
                )
            }
            q = (
                select(
                    RecordRow.dataset,
                    RecordRow.source_id,
                    RecordRow.entity_id,
                    RecordRow.schema,
                    RecordRow.caption,
                    RecordRow.data,
                    RecordRow.valid_from,
                )
                .where(RecordRow.valid_to.is_(None))
                .execution_options(yield_per=2000)
            )
            for ds, sid, eid, schema, caption, data, valid_from in session.execute(q):
                docs[eid] = EntityDoc(
                    id=eid,
                    dataset=ds,
                    source_id=sid,
                    schema=schema,
                    caption=caption,
                    data=data,
                    first_seen=_stamp(first.get((ds, sid))),
                    last_change=_stamp(valid_from),
                    last_seen=_stamp(seen_as_of.get(ds)),
                )
                for ent in data[1:]:
                    adjacent[ent["id"]] = eid
        return cls(
            docs=docs, lists=lists, version_key=version_key, built_at=datetime.now(), adjacent=adjacent
        )

    # --- FtM output ------------------------------------------------------------------------------

    def entity(self, doc: EntityDoc) -> dict[str, Any]:
        """The target as yente returns it (properties as plain values)."""
        return {
            "id": doc.id,
            "caption": doc.caption,
            "schema": doc.schema,
            "properties": doc.properties,
            "datasets": [doc.dataset],
            "referents": [],
            "target": True,
            "first_seen": doc.first_seen,
            "last_seen": doc.last_seen,
            "last_change": doc.last_change,
        }

    def nested(self, doc: EntityDoc, entity_id: str | None = None) -> dict[str, Any]:
        """One entity of the listing (the target by default) with its neighbours inlined.

        Entities it points to (an address, the other side of a family link) replace their ids, and
        entities pointing at it appear under the reverse property (a person's ``sanctions``), as
        yente's ``nested=true`` gives them; the edge back to the entity is left out to avoid cycles.
        """
        by_id = {d["id"]: d for d in doc.data}
        root = by_id[entity_id or doc.id]
        return self._nest(doc, by_id, root, depth=0, path=frozenset())

    def _nest(
        self,
        doc: EntityDoc,
        by_id: dict[str, dict[str, Any]],
        ent: dict[str, Any],
        depth: int,
        path: frozenset[str],
    ) -> dict[str, Any]:
        schema = model.get(ent["schema"])
        path = path | {ent["id"]}
        props: dict[str, list[Any]] = defaultdict(list)
        for name, values in ent.get("properties", {}).items():
            prop = schema.get(name) if schema else None
            for value in values:
                if prop is not None and prop.type.name == "entity" and value in path:
                    continue
                if prop is not None and prop.type.name == "entity" and value in by_id and depth < 2:
                    props[name].append(self._nest(doc, by_id, by_id[value], depth + 1, path))
                else:
                    props[name].append(value)
        if depth < 2:
            for other in doc.data:
                if other["id"] in path:
                    continue
                other_schema = model.get(other["schema"])
                for name, values in other.get("properties", {}).items():
                    prop = other_schema.get(name) if other_schema else None
                    if prop is None or prop.reverse is None or ent["id"] not in values:
                        continue
                    props[prop.reverse.name].append(self._nest(doc, by_id, other, depth + 1, path))
        is_target = ent["id"] == doc.id
        return {
            "id": ent["id"],
            "caption": doc.caption if is_target else _caption(ent),
            "schema": ent["schema"],
            "properties": dict(props),
            "datasets": [doc.dataset],
            "referents": [],
            "target": is_target,
            "first_seen": doc.first_seen,
            "last_seen": doc.last_seen,
            "last_change": doc.last_change,
        }


def _caption(ent: dict[str, Any]) -> str:
    proxy = model.get_proxy(
        {"id": ent["id"], "schema": ent["schema"], "properties": ent.get("properties", {})}
    )
    return str(proxy.caption)
