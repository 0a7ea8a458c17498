"""Helpers the importers share while they build records: a log of counts and warnings, a
listing under construction that cleans every value through FtM, and the usual statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from followthemoney import EntityProxy
from followthemoney.util import sanitize_text

from proscribe.sources.base import ListFormatError, Progress, Record
from proscribe.sources.xmlsafe import clean_text

#: warnings kept word for word; beyond this they are only counted
MAX_MESSAGES = 200


class ImportLog:
    """Counts and warnings gathered while reading one file."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.warnings = 0
        self._messages: list[str] = []

    def warn(self, where: str, text: str) -> None:
        self.warnings += 1
        if len(self._messages) < MAX_MESSAGES:
            self._messages.append(f"{where}: {text}")

    def messages(self) -> list[str]:
        extra = self.warnings - len(self._messages)
        return [*self._messages, f"... and {extra} more warnings"] if extra > 0 else list(self._messages)


class Listing:
    """One listing being built: its target, its adjacent entities, where it is in the file."""

    def __init__(self, source_id: str, where: str, target: EntityProxy, log: ImportLog) -> None:
        self.source_id = source_id
        self.where = where
        self.target = target
        self.log = log
        self.adjacent: dict[str, EntityProxy] = {}

    def put(self, ent: EntityProxy, prop: str, value: str | None) -> bool:
        """Add a value after FtM cleaning; a value FtM rejects is a warning, never a silent loss."""
        text = sanitize_text(clean_text(value))
        if not text:
            return False
        # unsafe_add cleans with the property's type and format (e.g. the IMO check digit)
        # and returns None when it rejects the value
        if ent.unsafe_add(ent.schema.properties[prop], text) is None:
            self.log.warn(self.where, f"{ent.schema.name}.{prop} value {text!r} not understood; left out")
            return False
        return True

    def put_target(self, prop: str, value: str | None) -> bool:
        """Like put, for a property the target's schema may not have (a Vessel has no email)."""
        if prop not in self.target.schema.properties:
            if clean_text(value):
                self.log.counts[f"not_applicable_{prop}"] += 1
            return False
        return self.put(self.target, prop, value)

    def attach(self, ent: EntityProxy) -> bool:
        if ent.id in self.adjacent:
            return False
        self.adjacent[str(ent.id)] = ent
        return True

    def record(self, dataset: str) -> Record:
        record = Record(dataset, self.source_id, self.target, list(self.adjacent.values()))
        record.validate()
        return record


def list_stats(records: list[Record], log: ImportLog) -> dict[str, Any]:
    """Figures about a parsed list: counts by schema, names, dates, adjacent entities, warnings."""
    adjacent = Counter(ent.schema.name for rec in records for ent in rec.adjacent)

    def values(prop: str) -> int:
        return sum(len(rec.target.get(prop, quiet=True)) for rec in records)

    return {
        "records": len(records),
        "by_schema": dict(Counter(rec.target.schema.name for rec in records)),
        "aliases": values("alias"),
        "weak_aliases": values("weakAlias"),
        "previous_names": values("previousName"),
        "birth_dates": values("birthDate"),
        "nationalities": values("nationality"),
        "addresses": adjacent["Address"],
        "identifiers": adjacent["Passport"] + adjacent["Identification"],
        "passports": adjacent["Passport"],
        "sanctions": adjacent["Sanction"],
        **dict(sorted(log.counts.items())),
        "warnings": log.warnings,
    }


def gather(
    path: Path,
    items: Iterable[tuple[str, Record]],
    progress: Progress | None,
    *,
    id_label: str,
    empty: str,
    every: int = 100,
) -> list[Record]:
    """Collect ``(where, record)`` pairs into a list, refusing a publisher id seen twice or no
    records at all, and reporting progress every ``every`` records."""
    records: list[Record] = []
    seen: set[str] = set()
    pending = 0
    for where, record in items:
        if record.source_id in seen:
            raise ListFormatError(path, f"{id_label} {record.source_id} is used twice", where)
        seen.add(record.source_id)
        records.append(record)
        pending += 1
        if progress and pending == every:
            progress(pending)
            pending = 0
    if progress and pending:
        progress(pending)
    if not records:
        raise ListFormatError(path, empty)
    return records


def stated_date(value: str, log: ImportLog, where: str, attribute: str) -> date | None:
    """The publisher's as-of date from a file's header attribute; a warning, not a failure, if unreadable."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        log.warn(where, f"{attribute} {value!r} is not a date; as_of left empty")
        return None
