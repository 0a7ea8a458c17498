"""The screening index and the catalog, loaded once and rebuilt in the background when a list changes.

Requests read whatever ``IndexHolder.current`` holds; a rebuild makes a new screener and catalog
on a worker thread and swaps them in with one assignment, so no request waits for a rebuild and
none sees half of one. A rebuild happens when the lists' version key changes (an import anywhere:
this server, the CLI, another server on the same store) or the day changes (designations with an
end date lapse at midnight), checked every ``refresh_seconds`` or at once after ``wake()``.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from proscribe.screening import Screener
from proscribe.service.catalog import Catalog
from proscribe.store import Store

log = logging.getLogger("proscribe.service")


@dataclass(frozen=True)
class Loaded:
    screener: Screener
    catalog: Catalog
    day: date
    seconds: float


class IndexHolder:
    def __init__(
        self,
        store: Store,
        cache_dir: Path | None,
        refresh_seconds: float,
        on_loaded: Callable[[Loaded], None] | None = None,
    ) -> None:
        self.store = store
        self.on_loaded = on_loaded
        self.cache_dir = cache_dir
        self.refresh_seconds = refresh_seconds
        self.current: Loaded | None = None
        self.last_error: str | None = None
        self.builds = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="proscribe-index", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def wake(self) -> None:
        """Check for a list change now (after an update through this server)."""
        self._wake.set()

    @property
    def stale(self) -> bool:
        """True when the loaded index is not the one the store's lists call for (a rebuild is due)."""
        cur = self.current
        return cur is None or cur.catalog.version_key != self.store.version_key() or cur.day != date.today()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.stale:
                    self.rebuild()
            except Exception as exc:  # keep serving the index we have; say why the new one failed
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("rebuilding the screening index failed")
            self._wake.wait(self.refresh_seconds)
            self._wake.clear()

    def rebuild(self) -> Loaded:
        # the index and catalog are millions of long-lived objects: once loaded they are frozen out
        # of the garbage collector's reach, or each full collection would scan them all and stall
        # every request for hundreds of milliseconds
        gc.unfreeze()
        started = time.monotonic()
        key = self.store.version_key()
        day = date.today()
        screener = Screener.from_store(self.store, cache_dir=self.cache_dir)
        catalog = Catalog.build(self.store.engine, key).prepare()
        loaded = Loaded(screener, catalog, day, time.monotonic() - started)
        self.current = loaded
        gc.collect()
        gc.freeze()
        self.last_error = None
        self.builds += 1
        log.info(
            "screening index loaded",
            extra={"event": "index.load", "listings": len(catalog.docs), "seconds": round(loaded.seconds, 2)},
        )
        if self.on_loaded is not None:
            self.on_loaded(loaded)
        return loaded
