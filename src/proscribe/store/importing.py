"""Applying a parsed list to the store as one new list version, atomically.

The parsed list is already complete and validated in memory (the staging step) before
anything is written. The comparison with the current version and every write then
happen in a single transaction: either the new version is in force as a whole, or the
transaction is rolled back and the previous version stays as it was.
"""

from __future__ import annotations

import getpass
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

from proscribe.sources.base import ParsedList, Record
from proscribe.sources.namedates import NameDate
from proscribe.store.errors import ImportRefused
from proscribe.store.schema import Dataset, Event, ListVersion, RecordRow

#: refuse an import that would delist more than this share of a list, unless forced
DEFAULT_MAX_REMOVED_SHARE = 0.10


@dataclass
class ImportResult:
    dataset: str
    version_id: int | None
    as_of: date
    records: int
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    #: the version's number within its list (1 for the first)
    version: int | None = None
    published_at: datetime | None = None
    #: when an unchanged file re-dated the version in force: the date it had before
    corrected_from: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.version,
            "version_id": self.version_id,
            "as_of": self.as_of.isoformat(),
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "corrected_from": self.corrected_from.isoformat() if self.corrected_from else None,
            "records": self.records,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "counts": self.counts,
        }


def _check_parsed(parsed: ParsedList) -> None:
    if not parsed.records:
        raise ImportRefused(f"{parsed.source}: the file holds no records; nothing imported")
    seen: set[str] = set()
    for rec in parsed.records:
        if rec.source_id in seen:
            raise ImportRefused(f"{parsed.source}: listing {rec.source_id} appears twice")
        seen.add(rec.source_id)
        try:
            rec.validate()
        except ValueError as exc:
            raise ImportRefused(f"{parsed.source}: {exc}") from exc


def _row(rec: Record, checksum: str, version_id: int, as_of: date) -> dict[str, Any]:
    return {
        "dataset": rec.dataset,
        "source_id": rec.source_id,
        "entity_id": rec.target.id,
        "schema": rec.target.schema.name,
        "caption": rec.target.caption,
        "checksum": checksum,
        "data": rec.to_data(),
        "version_id": version_id,
        "valid_from": as_of,
        "valid_to": None,
        "ended_by_version_id": None,
    }


def unchanged_in_force(engine: Engine, dataset: str, checksum: str) -> ImportResult | None:
    """What ``apply_list`` answers for a file of this checksum, given no date, when the version in
    force has that checksum (nothing to change); None when it has not (``apply_list`` must run)."""
    with Session(engine) as session:
        latest = session.scalars(
            select(ListVersion).where(ListVersion.dataset == dataset).order_by(ListVersion.id.desc()).limit(1)
        ).first()
        if latest is None or latest.checksum != checksum:
            return None
        return ImportResult(
            dataset,
            latest.id,
            latest.as_of,
            latest.record_count,
            unchanged=True,
            counts=dict(latest.counts),
            version=latest.number,
            published_at=latest.published_at,
        )


def apply_list(
    engine: Engine,
    parsed: ParsedList,
    *,
    as_of: date | None = None,
    force: bool = False,
    max_removed_share: float = DEFAULT_MAX_REMOVED_SHARE,
    user: str | None = None,
    progress: Callable[[int], None] | None = None,
    published_at: datetime | None = None,
    name_date: NameDate | None = None,
) -> ImportResult:
    """Make ``parsed`` the current version of its dataset, or refuse and change nothing.

    The version's date is, in this order: ``as_of`` (the user's), the date of ``published_at``
    (the publisher's time, in UTC, from a list's history), the file's own date, the date in the
    name of its mirror folder (``name_date``; a month only is kept as the month's last day and the
    version is marked as having no stated date, with ``stats["as_of_month"]``), else today (and the
    version is marked as having no stated date). An unchanged file given an ``as_of`` that differs
    from the version in force re-dates that version (``_redate``) or is refused; so does a folder's
    date, for a version in force that has no stated date.
    """
    _check_parsed(parsed)
    dataset = parsed.dataset
    if published_at is not None and published_at.tzinfo is None:
        raise ValueError("published_at must be timezone-aware")
    published = published_at.astimezone(UTC) if published_at else None
    named = name_date if as_of is None and published is None and parsed.as_of is None else None
    stated = parsed.as_of is not None or as_of is not None or published is not None
    stated = stated or (named is not None and named.day_known)
    effective = (
        as_of
        or (published.date() if published else None)
        or parsed.as_of
        or (named.day if named else None)
        or datetime.now(UTC).date()
    )
    month = named.month if named is not None else None
    checksums = {rec.source_id: rec.checksum() for rec in parsed.records}
    counts = dict(Counter(rec.target.schema.name for rec in parsed.records))

    with Session(engine) as session, session.begin():
        ds = session.get(Dataset, dataset, with_for_update=True)
        if ds is None:
            ds = Dataset(name=dataset, format=parsed.format, created_at=datetime.now(UTC))
            session.add(ds)
            session.flush()
        latest = session.scalars(
            select(ListVersion).where(ListVersion.dataset == dataset).order_by(ListVersion.id.desc()).limit(1)
        ).first()
        if latest is not None and latest.checksum == parsed.checksum:
            corrected_from = None
            if as_of is not None and as_of != latest.as_of:
                corrected_from = latest.as_of
                _redate(session, latest, parsed, as_of, user or _whoami())
            elif (
                named is not None
                and not latest.as_of_stated
                and (named.day, month) != (latest.as_of, (latest.stats or {}).get("as_of_month"))
            ):
                corrected_from = latest.as_of
                _redate(session, latest, parsed, named.day, user or _whoami(), month=month, why=named.name)
            return ImportResult(
                dataset,
                latest.id,
                latest.as_of,
                latest.record_count,
                unchanged=True,
                counts=dict(latest.counts),
                version=latest.number,
                published_at=latest.published_at,
                corrected_from=corrected_from,
            )
        if latest is not None and (
            effective < latest.as_of
            or (
                effective == latest.as_of
                and published is not None
                and latest.published_at is not None
                and published < latest.published_at
            )
        ):
            raise ImportRefused(
                f"{parsed.source}: dated {_when(effective, published)}, older than the version in force "
                f"({_when(latest.as_of, latest.published_at)}); the store only moves forward in time"
            )

        current = {
            sid: (rid, csum)
            for rid, sid, csum in session.execute(
                select(RecordRow.id, RecordRow.source_id, RecordRow.checksum).where(
                    RecordRow.dataset == dataset, RecordRow.valid_to.is_(None)
                )
            )
        }
        added = [r for r in parsed.records if r.source_id not in current]
        changed = [
            r
            for r in parsed.records
            if r.source_id in current and current[r.source_id][1] != checksums[r.source_id]
        ]
        removed = [sid for sid in current if sid not in checksums]
        if current and not force and len(removed) / len(current) > max_removed_share:
            raise ImportRefused(
                f"{parsed.source}: would delist {len(removed)} of {len(current)} listings "
                f"({len(removed) / len(current):.1%}, more than the {max_removed_share:.0%} allowed); "
                "check the file, or import it with --force if the removals are real"
            )

        version = ListVersion(
            dataset=dataset,
            number=(latest.number if latest is not None else 0) + 1,
            format=parsed.format,
            source=parsed.source,
            checksum=parsed.checksum,
            as_of=effective,
            as_of_stated=stated,
            published_at=published,
            imported_at=datetime.now(UTC),
            imported_by=user or _whoami(),
            record_count=len(parsed.records),
            added=len(added),
            changed=len(changed),
            removed=len(removed),
            forced=force,
            counts=counts,
            stats=_jsonable(parsed.stats) | ({"as_of_month": month} if month else {}),
        )
        session.add(version)
        session.flush()
        vid = version.id

        ended_ids = [current[r.source_id][0] for r in changed] + [current[sid][0] for sid in removed]
        for chunk in _chunks(ended_ids, 500):
            session.execute(
                update(RecordRow)
                .where(RecordRow.id.in_(chunk))
                .values(valid_to=effective, ended_by_version_id=vid)
            )
        new_rows = [_row(r, checksums[r.source_id], vid, effective) for r in added + changed]
        events: list[dict[str, Any]] = []
        for kind, recs in (("listed", added), ("changed", changed)):
            events.extend(
                {
                    "dataset": dataset,
                    "source_id": r.source_id,
                    "entity_id": r.target.id,
                    "version_id": vid,
                    "date": effective,
                    "kind": kind,
                    "summary": f"{kind} in {parsed.format} version of {effective}",
                }
                for r in recs
            )
        removed_rows = (
            session.execute(
                select(RecordRow.source_id, RecordRow.entity_id).where(
                    RecordRow.id.in_([current[s][0] for s in removed])
                )
            ).all()
            if removed
            else []
        )
        events.extend(
            {
                "dataset": dataset,
                "source_id": sid,
                "entity_id": eid,
                "version_id": vid,
                "date": effective,
                "kind": "delisted",
                "summary": f"absent from the version of {effective}",
            }
            for sid, eid in removed_rows
        )
        for chunk in _chunks(new_rows, 1000):
            session.execute(insert(RecordRow), chunk)
            if progress:
                progress(len(chunk))
        for chunk in _chunks(events, 2000):
            session.execute(insert(Event), chunk)
        return ImportResult(
            dataset,
            vid,
            effective,
            len(parsed.records),
            len(added),
            len(changed),
            len(removed),
            counts=counts,
            version=version.number,
            published_at=published,
        )


def _when(day: date, at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else day.isoformat()


def _redate(
    session: Session,
    latest: ListVersion,
    parsed: ParsedList,
    as_of: date,
    user: str,
    *,
    month: str | None = None,
    why: str | None = None,
) -> None:
    """Give the version in force the date the user states for the same file, or refuse.

    A file imported without a date got the import date; importing it again with ``--as-of`` is how
    the right date is given. Everything the version did moves with it: the states it opened start on
    the new date, the ones it closed end on it, its events carry it. Refused when the file itself or
    the publisher's recorded time says otherwise, when the date would go before the previous version
    of the list, or lies in the future. The correction is kept in the version's ``stats``.
    """
    label = f"{parsed.source}: unchanged since version {latest.number} of {latest.as_of.isoformat()}"
    if parsed.as_of is not None and parsed.as_of != as_of:
        raise ImportRefused(f"{label}; the file states its own date {parsed.as_of.isoformat()}, not {as_of}")
    if latest.published_at is not None:
        raise ImportRefused(
            f"{label}, published {_when(latest.as_of, latest.published_at)} by its history's index; "
            f"--as-of {as_of} would contradict it"
        )
    if as_of > datetime.now(UTC).date():
        raise ImportRefused(f"{label}; --as-of {as_of} is in the future")
    previous = session.scalars(
        select(ListVersion)
        .where(ListVersion.dataset == latest.dataset, ListVersion.id < latest.id)
        .order_by(ListVersion.id.desc())
        .limit(1)
    ).first()
    if previous is not None and as_of < previous.as_of:
        raise ImportRefused(
            f"{label}; --as-of {as_of} is before version {previous.number} of {previous.as_of} "
            "(the versions of a list stay in time order)"
        )
    old = latest.as_of
    session.execute(update(RecordRow).where(RecordRow.version_id == latest.id).values(valid_from=as_of))
    session.execute(
        update(RecordRow).where(RecordRow.ended_by_version_id == latest.id).values(valid_to=as_of)
    )
    for ev in session.scalars(select(Event).where(Event.version_id == latest.id)):
        ev.date = as_of
        ev.summary = ev.summary.replace(old.isoformat(), as_of.isoformat())
    stats = dict(latest.stats or {})
    stats["as_of_corrections"] = [
        *stats.get("as_of_corrections", []),
        {"from": old.isoformat(), "to": as_of.isoformat(), "by": user, "at": datetime.now(UTC).isoformat()}
        | ({"from_name": why} if why else {}),
    ]
    stats.pop("as_of_month", None)
    if month:  # a month from a folder's name: the day stays unknown
        stats["as_of_month"] = month
    latest.stats = stats
    latest.as_of = as_of
    latest.as_of_stated = month is None
    session.flush()


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)
