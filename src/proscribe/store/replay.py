"""Replaying a list's history: each version imported in publication order, as of its publication.

``replay`` reads the versions ``sources.history.discover`` found (from a folder, an archive or
files), parses each (OFAC ``sdn.csv`` captures; records of unchanged rows are reused from the
version before, see ``ofac_csv.BuildCache``) and applies it to the store as of its publication
time. A version that cannot be read or is refused by the store (an empty capture, a mass delisting,
a version with no date) is reported by name and skipped: the version in force stays, and the replay
goes on with the next one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from proscribe.sources import ofac_csv
from proscribe.sources.base import ListFormatError
from proscribe.sources.history import Version, read_versions
from proscribe.store import DEFAULT_MAX_REMOVED_SHARE, ImportRefused, ImportResult, Store

#: names the replay accepts for the list it replays -> the store's dataset name
DATASET_ALIASES = {"ofac": ofac_csv.DATASET, "sdn": ofac_csv.DATASET, "us_ofac_sdn": ofac_csv.DATASET}


@dataclass
class Step:
    """What became of one version."""

    version: Version
    result: ImportResult | None = None
    refused: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file": self.version.name,
            "published": self.version.published.isoformat() if self.version.published else None,
            "date_from": self.version.date_source or None,
            "seconds": round(self.seconds, 3),
        }
        if self.result is not None:
            out.update(self.result.to_dict())
        if self.refused is not None:
            out["refused"] = self.refused
        return out


@dataclass
class ReplayReport:
    steps: list[Step] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def refused(self) -> list[Step]:
        return [s for s in self.steps if s.refused is not None]

    @property
    def imported(self) -> list[Step]:
        return [s for s in self.steps if s.result is not None and not s.result.unchanged]

    @property
    def unchanged(self) -> list[Step]:
        return [s for s in self.steps if s.result is not None and s.result.unchanged]


def dataset_name(value: str) -> str:
    return DATASET_ALIASES.get(value.lower(), value)


def replay(
    store: Store,
    versions: list[Version],
    *,
    dataset: str = ofac_csv.DATASET,
    max_removed_share: float = DEFAULT_MAX_REMOVED_SHARE,
    on_step: Callable[[Step], None] | None = None,
) -> ReplayReport:
    """Import ``versions`` (oldest first) one after the other, each as of its publication."""
    report = ReplayReport()
    cache = ofac_csv.BuildCache()
    started = time.perf_counter()
    for version, data in read_versions(versions):
        t0 = time.perf_counter()
        step = Step(version)
        try:
            if version.published is None:
                raise ImportRefused(
                    f"{version.name}: no publication date (not in an index.csv, none in its name); "
                    "give one with --as-of"
                )
            parsed = ofac_csv.read_sdn_bytes(data, version.name, dataset=dataset, cache=cache)
            step.result = store.apply(
                parsed,
                # a date only (a file name, --as-of) stands as midnight UTC of that day
                published_at=version.published,
                max_removed_share=max_removed_share,
            )
        except (ListFormatError, ImportRefused) as exc:
            step.refused = str(exc)
        step.seconds = time.perf_counter() - t0
        report.steps.append(step)
        if on_step is not None:
            on_step(step)
    report.seconds = time.perf_counter() - started
    return report
