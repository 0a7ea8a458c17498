"""The versioned list store (SQLAlchemy 2, Alembic; SQLite by default, PostgreSQL in production).

``Store`` is the public entry point::

    store = Store.open("sqlite:///proscribe.db")
    store.import_path(Path("../shared/data/ofac-sdn-2021-07"))
    store.entity("proscribe_icc", "icc-bensouda-fatou", as_of=date(2021, 1, 1)).designated
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from proscribe.sources.base import ParsedList, Progress, Record
from proscribe.sources.namedates import NameDate
from proscribe.store import audit, book, casework, ledger, licenses  # noqa: F401  (registers the institution's tables)
from proscribe.store.db import default_url, make_engine, migrate
from proscribe.store.errors import ImportRefused, NotFound
from proscribe.store.importing import (
    DEFAULT_MAX_REMOVED_SHARE,
    ImportResult,
    apply_list,
    unchanged_in_force,
)
from proscribe.store.reads import (
    DatasetStatus,
    EntityView,
    ListDiff,
    current_records,
    designated_among,
    designated_checksums,
    designated_records,
    diff,
    get_entity,
    history,
    iter_designated,
    status,
    version_key,
)

__all__ = [
    "DEFAULT_MAX_REMOVED_SHARE",
    "DatasetStatus",
    "EntityView",
    "ImportRefused",
    "ImportResult",
    "ListDiff",
    "NotFound",
    "Store",
]


log = logging.getLogger("proscribe.store")


class Store:
    """A connection to the store, migrated and holding the ICC registry."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, load_registry: bool = True) -> Store:
        engine = make_engine(url or default_url())
        migrate(engine)
        store = cls(engine)
        if load_registry:
            store.ensure_registry()
        return store

    def close(self) -> None:
        self.engine.dispose()

    def ensure_registry(self) -> ImportResult:
        """Load the bundled ICC program registry, if this version of it is not in force yet.

        The registry is reviewed data shipped with the code, so a new release may drop entries
        wholesale (a correction): it is applied without the mass-delisting guard.
        """
        from proscribe.registry import DATASET, load_registry, packaged_checksum

        # every command opens the store: when this version is in force (the usual case), building its
        # records (FollowTheMoney, country names: about 1.5 s of CPU) to find nothing changed is skipped
        in_force = unchanged_in_force(self.engine, DATASET, packaged_checksum())
        if in_force is not None:
            return in_force
        return self.apply(load_registry().to_parsed_list(), force=True)

    def apply(
        self,
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
        result = apply_list(
            self.engine,
            parsed,
            as_of=as_of,
            force=force,
            max_removed_share=max_removed_share,
            user=user,
            progress=progress,
            published_at=published_at,
            name_date=name_date,
        )
        # one structured record per import (the service's JSON logs carry it)
        log.info("list imported", extra={"event": "list.import", "user": user, **result.to_dict()})
        return result

    def import_path(
        self,
        path: Path,
        *,
        format: str | None = None,
        dataset: str | None = None,
        as_of: date | None = None,
        force: bool = False,
        max_removed_share: float = DEFAULT_MAX_REMOVED_SHARE,
        progress: Progress | None = None,
        name_date: NameDate | None = None,
    ) -> ImportResult:
        """Parse a list file (format detected when not given) and make it the version in force."""
        from proscribe.sources.formats import read_list

        parsed = read_list(path, format=format, dataset=dataset, progress=progress)
        return self.apply(
            parsed, as_of=as_of, force=force, max_removed_share=max_removed_share, name_date=name_date
        )

    def status(self) -> list[DatasetStatus]:
        return status(self.engine)

    def history(self, dataset: str) -> list[dict[str, Any]]:
        """Every version of a list, oldest first: its number, dates and counts."""
        return history(self.engine, dataset)

    def diff(self, dataset: str, a: int, b: int) -> ListDiff:
        """What changed in a list between its versions ``a`` and ``b`` (numbers within the list)."""
        return diff(self.engine, dataset, a, b)

    def entity(self, dataset: str, source_id: str, as_of: date | None = None) -> EntityView:
        return get_entity(self.engine, dataset, source_id, as_of)

    def records(self, dataset: str | None = None) -> list[Record]:
        """The current state of every listing still on its list (including ended sanctions)."""
        return current_records(self.engine, dataset)

    def designated(self, on: date | None = None, datasets: list[str] | None = None) -> list[Record]:
        """The listings designated on a date (default today), as they stood then."""
        return designated_records(self.engine, on, datasets)

    def iter_designated(self, on: date | None = None, datasets: list[str] | None = None) -> Iterator[Record]:
        """Like ``designated``, one listing at a time (an index can be built without holding them all)."""
        return iter_designated(self.engine, on, datasets)

    def designated_among(self, entity_ids: Iterable[str], on: date | None = None) -> Iterator[Record]:
        """The listings among ``entity_ids`` designated on a date (default today), as they stood then."""
        return designated_among(self.engine, entity_ids, on)

    def designated_checksums(
        self, on: date | None = None, datasets: list[str] | None = None
    ) -> dict[str, tuple[str, str, str]]:
        """``entity_id -> (dataset, source_id, checksum)`` of the listings designated on a date."""
        return designated_checksums(self.engine, on, datasets)

    def version_key(self) -> str:
        """Changes whenever any list changes; used to know when a screening index is stale."""
        return version_key(self.engine)
