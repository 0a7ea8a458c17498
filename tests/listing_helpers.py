"""Small readers for the importer tests: a record's values, its adjacent entities, its sanction."""

from __future__ import annotations

from followthemoney import EntityProxy

from proscribe.sources.base import Record


def props(ent: EntityProxy, prop: str) -> set[str]:
    return set(ent.get(prop, quiet=True))


def adjacent(rec: Record, schema: str) -> list[EntityProxy]:
    return [ent for ent in rec.adjacent if ent.schema.name == schema]


def sanction(rec: Record) -> EntityProxy:
    (found,) = adjacent(rec, "Sanction")
    return found
