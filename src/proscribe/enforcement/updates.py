"""A list update that re-screens what it changed.

``proscribe lists update``, the service's update (``POST /api/lists/update``, the dashboard's
button), its schedule (``proscribe serve --update-every 6h``) and ``proscribe lists replay
--rescreen`` all end the same way: when an import brought a new version of a list, the book is
screened at once by a *delta* run (``alerts.rescreen``): every party against the listings the new
versions added or changed, which opens alerts only for those, and every blocked party whose listing
the new versions removed gets a ``delisted`` alert asking for the release. A refused or unchanged
import changes nothing and triggers nothing; an empty book is not screened.

The run is dated by the list version's time when there is one (a replay: the alerts open on the
day their listing appeared), else by now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from proscribe.enforcement.alerts import RunResult, rescreen
from proscribe.store import ImportResult, Store
from proscribe.store.book import Party

__all__ = ["AfterUpdate", "rescreen_after", "summary"]


@dataclass
class AfterUpdate:
    """What the re-screen after an update did: its run, or why there was none."""

    run: RunResult | None = None
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run.to_dict() if self.run else None, "skipped": self.skipped}

    def line(self) -> str:
        """One sentence for people."""
        if self.run is None:
            return f"no re-screen: {self.skipped}"
        r = self.run
        return (
            f"re-screen run {r.run_id} ({r.mode}, as of {r.as_of}): {r.note}; "
            f"{r.alerts_opened} alerts opened, {r.closed} closed (listing ended)"
        )


def rescreen_after(
    store: Store,
    results: Iterable[ImportResult],
    *,
    actor: str,
    at: datetime | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    by_keys: bool = True,
) -> AfterUpdate:
    """The delta re-screen after imports: run when one of ``results`` is a new version
    (``by_keys``: see ``alerts.rescreen``)."""
    new = [r for r in results if not r.unchanged]
    if not new:
        return AfterUpdate(skipped="no list changed")
    with Session(store.engine) as session:
        parties = session.scalar(select(func.count()).select_from(Party)) or 0
    if not parties:
        return AfterUpdate(skipped="the book is empty (import customers with `proscribe customers import`)")
    run = rescreen(
        store, mode="delta", actor=actor, at=at, cache_dir=cache_dir, progress=progress, by_keys=by_keys
    )
    return AfterUpdate(run=run)


def summary(results: Iterable[dict[str, Any]]) -> str:
    """One line for a log: what each list's import did (from ``ImportResult.to_dict`` or an error)."""
    parts = []
    for r in results:
        if "error" in r:
            parts.append(f"{r.get('source')}: refused ({r['error']})")
        elif r.get("unchanged"):
            parts.append(f"{r['dataset']} unchanged (version {r['version']})")
        else:
            parts.append(
                f"{r['dataset']} version {r['version']} as of {r['as_of']} "
                f"(+{r['added']} ~{r['changed']} -{r['removed']})"
            )
    return "; ".join(parts) or "no list files"
