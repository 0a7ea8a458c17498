"""The book's party keys in the store, and the parties a delta re-screen must screen.

A delta re-screen screens the book against the few listings a list update added or changed. Most
parties share no retrieval key with them, and the matcher would find nothing for them: screening
them costs their normalisation and lookups for nothing. The store keeps each party's keys
(``screening.party_keys``: its readings' words, joined pairs and identity number) in
``party_keys``; a delta asks, for each distinct key of the book, whether it reaches the index of
the changed listings (``party_keys.reaches``, the index's own lookup), and screens only the
parties holding a key that does. The others would have had no hit: the alerts are the same
(``tests/test_party_keys.py`` compares both on OFAC's real updates, on SQLite and PostgreSQL).

Keys are made lazily: before a delta uses them, the keys of every party whose data changed since
its keys were made (its checksum, ``book.party_checksum``, differs from the one its keys were made
for), whose keys were made by other normalisation code, or never made, are made again, in the
delta's transaction. A book's first delta makes them all (the cost of normalising the
book once); later deltas make only those of the parties added or changed since.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from proscribe.matching.index import Index
from proscribe.matching.score import Query
from proscribe.screening import party_keys
from proscribe.store.book import Party, PartyKey, PartyKeyLookup, PartyKeyState

#: rows per statement when keys are written or read
CHUNK = 500


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def party_key_queries(party: Party) -> list[Query]:
    """The queries of ``alerts.party_queries``, reduced to what keys are made of (name, kind, id)."""
    names = [party.name, *[a for a in (party.aliases or []) if a and a != party.name]]
    return [Query(name=n, kind=party.kind, id_number=party.id_number) for n in names]


def stale_parties(session: Session, parties: Iterable[str] | None = None) -> list[str]:
    """The ids of the parties (of the book, or among ``parties``) whose keys are missing, were made
    for other data (the party's checksum, which covers every field keys are made of, differs) or by
    other code (``party_keys.key_version``)."""
    q = (
        select(Party.id)
        .outerjoin(PartyKeyState, PartyKeyState.party_id == Party.id)
        .where(
            or_(
                PartyKeyState.party_id.is_(None),
                PartyKeyState.checksum != Party.checksum,
                PartyKeyState.key_version != party_keys.key_version(),
            )
        )
        .order_by(Party.id)
    )
    if parties is not None:
        wanted = set(parties)
        return [str(p) for p in session.scalars(q) if p in wanted]
    return [str(p) for p in session.scalars(q)]


def refresh(session: Session, parties: Iterable[str] | None = None) -> int:
    """Make again the keys of the parties (of the book, or among ``parties``) whose keys are missing
    or stale (``stale_parties``); how many were made."""
    version = party_keys.key_version()
    stale = stale_parties(session, parties)
    for ids in _chunks(stale):
        book = list(session.scalars(select(Party).where(Party.id.in_(ids))))
        session.execute(delete(PartyKey).where(PartyKey.party_id.in_(ids)))
        session.execute(delete(PartyKeyState).where(PartyKeyState.party_id.in_(ids)))
        rows = [{"key": k, "party_id": p.id} for p in book for k in party_keys.keys_of(party_key_queries(p))]
        if rows:
            session.execute(insert(PartyKey), rows)
            _add_lookups(session, {r["key"] for r in rows}, version)
        session.execute(
            insert(PartyKeyState),
            [{"party_id": p.id, "checksum": p.checksum, "key_version": version} for p in book],
        )
    return len(stale)


def _add_lookups(session: Session, keys: set[str], version: str) -> None:
    """Make the lookups (``party_keys.lookups``) of the keys that have none, or stale ones."""
    todo = sorted(keys)
    for part in _chunks(todo):
        have = {
            str(k)
            for k in session.scalars(
                select(PartyKeyLookup.key).where(
                    PartyKeyLookup.key.in_(part), PartyKeyLookup.key_version == version
                )
            )
        }
        missing = [k for k in part if k not in have]
        if missing:
            session.execute(delete(PartyKeyLookup).where(PartyKeyLookup.key.in_(missing)))
            session.execute(
                insert(PartyKeyLookup),
                [{"key": k, "lookups": party_keys.lookups(k), "key_version": version} for k in missing],
            )


def parties_reaching(session: Session, index: Index) -> set[str]:
    """The ids of the parties holding a key that reaches ``index``: the only parties the matcher
    can find anything in ``index`` for (keys made by ``refresh``). Each distinct key of the book is
    tried with its stored lookups (``party_keys.could_reach``: the answer of ``reaches``)."""
    version = party_keys.key_version()
    query = (
        select(PartyKey.key, PartyKeyLookup.lookups, PartyKeyLookup.key_version)
        .outerjoin(PartyKeyLookup, PartyKeyLookup.key == PartyKey.key)
        .distinct()
    )
    reached: list[str] = []
    without: set[str] = set()  # keys whose lookups are missing or were made by other code
    for key, looked_up, made_by in session.execute(query):
        if made_by != version:
            without.add(str(key))
        if party_keys.could_reach(index, str(key), str(looked_up) if made_by == version else None):
            reached.append(str(key))
    _add_lookups(session, without, version)  # for the next delta
    out: set[str] = set()
    for part in _chunks(reached):
        out.update(str(p) for p in session.scalars(select(PartyKey.party_id).where(PartyKey.key.in_(part))))
    return out
