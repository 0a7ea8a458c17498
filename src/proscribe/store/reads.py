"""Reading the store: what is in force now, or as it stood on any date.

A listing's designation on a date is judged in two steps:

1. which state of the record held on that date: the row whose ``[valid_from, valid_to)``
   covers it. Before the first import of a list we have no row of our own, so the first
   row stands in and its sanction dates decide (a list snapshot does not say when each
   person was first listed; the registry and many lists do, in their sanction dates).
   After the row was closed by a version without it, the listing is delisted.
2. whether a sanction in that state was in force: its start (``startDate`` or
   ``listingDate``) on or before the date and its ``endDate``, if any, after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from proscribe.sources.base import Record, record_from_data
from proscribe.store.errors import NotFound
from proscribe.store.schema import Event, ListVersion, RecordRow


@dataclass
class SanctionState:
    program: list[str]
    authority: list[str]
    start: str | None
    end: str | None
    in_force: bool


@dataclass
class EntityView:
    """A listing as it stood on a date, with its history."""

    dataset: str
    source_id: str
    entity_id: str
    schema: str
    caption: str
    as_of: date | None
    record: Record
    row_valid_from: date
    row_valid_to: date | None
    designated: bool
    basis: str
    sanctions: list[SanctionState]
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "source_id": self.source_id,
            "entity_id": self.entity_id,
            "schema": self.schema,
            "caption": self.caption,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "designated": self.designated,
            "basis": self.basis,
            "state_valid_from": self.row_valid_from.isoformat(),
            "state_valid_to": self.row_valid_to.isoformat() if self.row_valid_to else None,
            "sanctions": [s.__dict__ for s in self.sanctions],
            "entities": self.record.to_data(),
            "history": self.history,
        }


def _first(values: list[str]) -> str | None:
    return min(values) if values else None


def sanction_states(record: Record, on: date) -> list[SanctionState]:
    """Each Sanction attached to the record, and whether it was in force on ``on``."""
    day = on.isoformat()
    out = []
    for ent in record.adjacent:
        if ent.schema.name != "Sanction":
            continue
        start = _first(ent.get("startDate") or ent.get("listingDate"))
        end = _first(ent.get("endDate"))
        # FtM dates may be prefixes ("2020", "2020-09"): compare as strings on the common prefix
        started = start is None or start[: len(day)] <= day[: len(start)]
        ended = end is not None and end[: len(day)] <= day[: len(end)]
        out.append(
            SanctionState(
                ent.get("program"), ent.get("authority"), start, end, in_force=started and not ended
            )
        )
    return out


def _history(session: Session, dataset: str, source_id: str, record: Record) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for ev in session.scalars(
        select(Event).where(Event.dataset == dataset, Event.source_id == source_id).order_by(Event.id)
    ):
        items.append(
            {
                "date": ev.date.isoformat(),
                "kind": ev.kind,
                "source": "list version",
                "version_id": ev.version_id,
                "summary": ev.summary,
            }
        )
    # the sanctions' own dates are history too: when the publisher says a designation began and ended
    for ent in record.adjacent:
        if ent.schema.name != "Sanction":
            continue
        progs = ", ".join(ent.get("program")) or "sanction"
        for d in sorted(set(ent.get("startDate") or ent.get("listingDate"))):
            items.append(
                {
                    "date": d,
                    "kind": "designated",
                    "source": "sanction",
                    "summary": f"designated under {progs}",
                }
            )
        for d in sorted(set(ent.get("endDate"))):
            reason = "; ".join(ent.get("description") or ent.get("status")) or "ended"
            items.append(
                {"date": d, "kind": "delisted", "source": "sanction", "summary": f"{progs}: {reason}"}
            )
    items.sort(key=lambda it: (it["date"], it["source"] != "sanction"))
    return items


def get_entity(engine: Engine, dataset: str, source_id: str, as_of: date | None = None) -> EntityView:
    """The listing ``source_id`` of ``dataset`` now, or as it stood on ``as_of``."""
    with Session(engine) as session:
        rows = list(
            session.scalars(
                select(RecordRow)
                .where(RecordRow.dataset == dataset, RecordRow.source_id == source_id)
                .order_by(RecordRow.valid_from, RecordRow.id)
            )
        )
        if not rows:
            raise NotFound(f"no listing {source_id!r} in dataset {dataset!r}")
        on = as_of or date.today()
        row, basis = _row_on(rows, on)
        record = record_from_data(dataset, source_id, row.data)
        states = sanction_states(record, on)
        if basis == "delisted":
            designated = False
            basis = f"delisted: absent from the list since {rows[-1].valid_to}"
        elif not states:
            designated = basis == "listed"
            basis = (
                "on the list, no sanction dates given" if designated else "before the first import; no dates"
            )
        elif basis != "listed" and not any(s.start or s.end for s in states):
            # before the list's first version in the store, sanctions without dates say nothing of
            # that time: judged as ``_designated_on`` (screening as of a date) judges it
            designated = False
            basis = f"before the first version of the list in the store (from {rows[0].valid_from}); no dates"
        else:
            designated = any(s.in_force for s in states)
            when = (
                "on the list"
                if basis == "listed"
                else "before the first import, judged by the sanction dates"
            )
            basis = f"{when}; a sanction in force" if designated else f"{when}; no sanction in force on {on}"
        return EntityView(
            dataset=dataset,
            source_id=source_id,
            entity_id=row.entity_id,
            schema=row.schema,
            caption=row.caption,
            as_of=as_of,
            record=record,
            row_valid_from=row.valid_from,
            row_valid_to=row.valid_to,
            designated=designated,
            basis=basis,
            sanctions=states,
            history=_history(session, dataset, source_id, record),
        )


def _row_on(rows: list[RecordRow], on: date) -> tuple[RecordRow, str]:
    for row in rows:
        if row.valid_from <= on and (row.valid_to is None or on < row.valid_to):
            return row, "listed"
    if on < rows[0].valid_from:
        return rows[0], "before-first-import"
    # after the last state was closed; between states cannot happen (a change closes and opens on one date)
    return rows[-1], "delisted"


def current_records(engine: Engine, dataset: str | None = None, batch: int = 2000) -> list[Record]:
    """Every listing in force now (the last state of each, not delisted)."""
    with Session(engine) as session:
        q = select(RecordRow.dataset, RecordRow.source_id, RecordRow.data).where(RecordRow.valid_to.is_(None))
        if dataset:
            q = q.where(RecordRow.dataset == dataset)
        q = q.order_by(RecordRow.dataset, RecordRow.id).execution_options(yield_per=batch)
        return [record_from_data(d, s, data) for d, s, data in session.execute(q)]


@dataclass
class DatasetStatus:
    dataset: str
    format: str
    version_id: int
    as_of: date
    as_of_stated: bool
    #: the number of the version in force within its list (1 for the first)
    version: int
    imported_at: str
    source: str
    records: int
    counts: dict[str, int]
    versions: int
    added: int
    changed: int
    removed: int
    #: the month of a version whose day is unknown (from its mirror folder's name), else None
    as_of_month: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["as_of"] = self.as_of.isoformat()
        d["date_known"] = self.as_of_stated
        return d

    @property
    def date_label(self) -> str:
        """The as-of date for people: the date, or "date unknown" (with the month when known)."""
        if self.as_of_stated:
            return self.as_of.isoformat()
        return f"date unknown ({self.as_of_month})" if self.as_of_month else "date unknown"


def status(engine: Engine) -> list[DatasetStatus]:
    """Each dataset's version in force, with counts by entity type."""
    out = []
    with Session(engine) as session:
        latest_ids = select(func.max(ListVersion.id)).group_by(ListVersion.dataset)
        n_versions = dict(
            session.execute(select(ListVersion.dataset, func.count()).group_by(ListVersion.dataset)).all()
        )
        live = dict(
            session.execute(
                select(RecordRow.dataset, func.count())
                .where(RecordRow.valid_to.is_(None))
                .group_by(RecordRow.dataset)
            ).all()
        )
        for v in session.scalars(
            select(ListVersion).where(ListVersion.id.in_(latest_ids)).order_by(ListVersion.dataset)
        ):
            out.append(
                DatasetStatus(
                    dataset=v.dataset,
                    format=v.format,
                    version_id=v.id,
                    as_of=v.as_of,
                    as_of_stated=v.as_of_stated,
                    version=v.number,
                    imported_at=v.imported_at.isoformat(),
                    source=v.source,
                    records=live.get(v.dataset, 0),
                    counts=dict(v.counts),
                    versions=n_versions[v.dataset],
                    added=v.added,
                    changed=v.changed,
                    removed=v.removed,
                    as_of_month=(v.stats or {}).get("as_of_month"),
                )
            )
    return out


def _listing_rows(engine: Engine, datasets: list[str] | None) -> Iterator[list[RecordRow]]:
    """Every listing's states, oldest first, one listing at a time."""
    with Session(engine) as session:
        q = select(RecordRow).order_by(
            RecordRow.dataset, RecordRow.source_id, RecordRow.valid_from, RecordRow.id
        )
        if datasets:
            q = q.where(RecordRow.dataset.in_(datasets))
        group: list[RecordRow] = []
        for row in session.scalars(q.execution_options(yield_per=2000)):
            if group and (group[0].dataset, group[0].source_id) != (row.dataset, row.source_id):
                yield group
                group = []
            group.append(row)
        if group:
            yield group


def iter_designated(
    engine: Engine, on: date | None = None, datasets: list[str] | None = None
) -> Iterator[Record]:
    """Every listing designated on ``on`` (default: today), as it stood then.

    For each listing the state valid on that date is taken (the first state, if the date is before
    the first import) and kept when a sanction in it was in force (``sanction_states``); a listing
    with undated sanctions counts while its state is on the list.
    """
    day = on or date.today()
    for rows in _listing_rows(engine, datasets):
        record = _designated_on(rows, day)
        if record is not None:
            yield record


def _designated_on(rows: list[RecordRow], day: date) -> Record | None:
    """The listing's state on ``day`` if it was designated then, else None."""
    row, basis = _row_on(rows, day)
    if basis == "delisted":
        return None
    record = record_from_data(row.dataset, row.source_id, row.data)
    states = sanction_states(record, day)
    dated = any(s.start or s.end for s in states)
    if states:
        return record if any(s.in_force for s in states) and (basis == "listed" or dated) else None
    return record if basis == "listed" else None


def designated_checksums(
    engine: Engine, on: date | None = None, datasets: list[str] | None = None
) -> dict[str, tuple[str, str, str]]:
    """``entity_id -> (dataset, source_id, checksum)`` of every listing designated on ``on``.

    What delta screening compares: a listing is new or changed between two dates when its id is
    missing from, or its checksum differs from, the earlier map.
    """
    day = on or date.today()
    out: dict[str, tuple[str, str, str]] = {}
    for rows in _listing_rows(engine, datasets):
        row, basis = _row_on(rows, day)
        if _designated_in_data(row.data, basis, day):
            out[row.entity_id] = (row.dataset, row.source_id, row.checksum)
    return out


def _designated_in_data(data: list[dict[str, Any]], basis: str, day: date) -> bool:
    """``_designated_on``'s judgement read from a state's stored data, without building its
    entities (what a delta re-screen asks of every listing, twice: building them all took seconds).
    The same rules: ``sanction_states`` on the Sanction entities' dates."""
    if basis == "delisted":
        return False
    iso = day.isoformat()
    states: list[bool] = []
    dated = False
    for ent in data:
        if ent.get("schema") != "Sanction":
            continue
        props = ent.get("properties") or {}
        start = _first(list(props.get("startDate") or props.get("listingDate") or []))
        end = _first(list(props.get("endDate") or []))
        dated = dated or start is not None or end is not None
        started = start is None or start[: len(iso)] <= iso[: len(start)]
        ended = end is not None and end[: len(iso)] <= iso[: len(end)]
        states.append(started and not ended)
    if states:
        return any(states) and (basis == "listed" or dated)
    return basis == "listed"


def designated_among(engine: Engine, entity_ids: Iterable[str], on: date | None = None) -> Iterator[Record]:
    """The listings among ``entity_ids`` designated on ``on`` (default: today), as they stood then:
    ``iter_designated`` for a few listings (what a delta re-screen screens against)."""
    day = on or date.today()
    wanted = sorted(set(entity_ids))
    with Session(engine) as session:
        for i in range(0, len(wanted), 500):
            rows = session.scalars(
                select(RecordRow)
                .where(RecordRow.entity_id.in_(wanted[i : i + 500]))
                .order_by(RecordRow.dataset, RecordRow.source_id, RecordRow.valid_from, RecordRow.id)
            ).all()
            groups: dict[tuple[str, str], list[RecordRow]] = {}
            for row in rows:
                groups.setdefault((row.dataset, row.source_id), []).append(row)
            for group in groups.values():
                record = _designated_on(group, day)
                if record is not None:
                    yield record


def designated_records(
    engine: Engine, on: date | None = None, datasets: list[str] | None = None
) -> list[Record]:
    """Every listing designated on ``on`` (default: today), as a list (see ``iter_designated``)."""
    return list(iter_designated(engine, on, datasets))


def version_key(engine: Engine) -> str:
    """A string that changes whenever any list changes (the latest version id of every dataset)."""
    with Session(engine) as session:
        rows = session.execute(
            select(ListVersion.dataset, func.max(ListVersion.id))
            .group_by(ListVersion.dataset)
            .order_by(ListVersion.dataset)
        ).all()
    return ",".join(f"{d}:{v}" for d, v in rows)


# --- a list's history: its versions, and what changed between two of them -----------------------


def _version_dict(v: ListVersion) -> dict[str, Any]:
    return {
        "version": v.number,
        "version_id": v.id,
        "as_of": v.as_of.isoformat(),
        "date_known": v.as_of_stated,
        "as_of_month": (v.stats or {}).get("as_of_month"),
        "published_at": v.published_at.isoformat() if v.published_at else None,
        "records": v.record_count,
        "added": v.added,
        "changed": v.changed,
        "removed": v.removed,
        "forced": v.forced,
        "source": v.source,
        "imported_at": v.imported_at.isoformat(),
        "imported_by": v.imported_by,
        "as_of_corrections": list((v.stats or {}).get("as_of_corrections", [])),
    }


def history(engine: Engine, dataset: str) -> list[dict[str, Any]]:
    """Every version of ``dataset``, oldest first, with its date and what it added, changed, removed."""
    with Session(engine) as session:
        versions = list(
            session.scalars(
                select(ListVersion).where(ListVersion.dataset == dataset).order_by(ListVersion.id)
            )
        )
        if not versions:
            raise NotFound(f"no list {dataset!r} in the store")
        return [_version_dict(v) for v in versions]


@dataclass
class ListDiff:
    """What changed in a list from version ``a`` to version ``b``."""

    dataset: str
    a: dict[str, Any]
    b: dict[str, Any]
    added: list[dict[str, str]]
    removed: list[dict[str, str]]
    #: each changed listing with the fields that changed ("name", "Address.full", ...)
    changed: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _version_by_number(session: Session, dataset: str, number: int) -> ListVersion:
    v = session.scalars(
        select(ListVersion).where(ListVersion.dataset == dataset, ListVersion.number == number)
    ).first()
    if v is None:
        last = session.scalar(select(func.max(ListVersion.number)).where(ListVersion.dataset == dataset))
        if last is None:
            raise NotFound(f"no list {dataset!r} in the store")
        raise NotFound(f"list {dataset!r} has no version {number} (its versions are 1 to {last})")
    return v


def _state_at(session: Session, dataset: str, version_id: int) -> dict[str, tuple[int, str, str]]:
    """``source_id -> (row id, checksum, caption)`` of the listings in force in a version."""
    q = select(RecordRow.id, RecordRow.source_id, RecordRow.checksum, RecordRow.caption).where(
        RecordRow.dataset == dataset,
        RecordRow.version_id <= version_id,
        (RecordRow.ended_by_version_id.is_(None)) | (RecordRow.ended_by_version_id > version_id),
    )
    return {sid: (rid, csum, caption) for rid, sid, csum, caption in session.execute(q)}


def _fields(data: list[Any]) -> dict[str, set[str]]:
    """A record's values by field: the target's properties by name, the others' as ``Schema.prop``."""
    out: dict[str, set[str]] = {}
    for i, ent in enumerate(data):
        prefix = "" if i == 0 else f"{ent['schema']}."
        for prop, values in ent.get("properties", {}).items():
            out.setdefault(prefix + prop, set()).update(values)
    return out


def diff(engine: Engine, dataset: str, a: int, b: int) -> ListDiff:
    """The listings added, removed and changed (with the fields that changed) from version a to b."""
    with Session(engine) as session:
        va, vb = _version_by_number(session, dataset, a), _version_by_number(session, dataset, b)
        before, after = _state_at(session, dataset, va.id), _state_at(session, dataset, vb.id)
        added = [
            {"source_id": s, "caption": after[s][2]} for s in sorted(after.keys() - before.keys(), key=_num)
        ]
        removed = [
            {"source_id": s, "caption": before[s][2]} for s in sorted(before.keys() - after.keys(), key=_num)
        ]
        both = sorted((s for s in before.keys() & after.keys() if before[s][1] != after[s][1]), key=_num)
        ids = [before[s][0] for s in both] + [after[s][0] for s in both]
        data: dict[int, list[Any]] = {}
        for i in range(0, len(ids), 500):
            data.update(
                session.execute(
                    select(RecordRow.id, RecordRow.data).where(RecordRow.id.in_(ids[i : i + 500]))
                ).all()
            )
        changed = []
        for s in both:
            old, new = _fields(data[before[s][0]]), _fields(data[after[s][0]])
            fields_changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            changed.append({"source_id": s, "caption": after[s][2], "fields": fields_changed})
        return ListDiff(dataset, _version_dict(va), _version_dict(vb), added, removed, changed)


def _num(source_id: str) -> tuple[int, str]:
    """Listings in their publisher's order: numeric ids by number, others after, by text."""
    return (int(source_id), "") if source_id.isdigit() else (1 << 62, source_id)
