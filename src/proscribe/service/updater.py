"""The service's scheduled list update: ``proscribe serve --update-every 6h``.

A background thread fetches the lists (the same steps as ``POST /api/lists/update``), imports what
changed, and re-screens the book against it (``enforcement.updates``), every ``update_every``
seconds; the first run comes one interval after the start (``make run`` has just updated). Each run
writes one line to the ``proscribe.updates`` log: what each list's import did and what the re-screen
opened, or why the run failed. A failure (the publisher down, a refused file, a store error) is
logged and the next run comes on time: the service keeps serving with the lists in force.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

from proscribe.enforcement.updates import summary
from proscribe.service.config import ServiceConfig
from proscribe.sources.base import ListFormatError
from proscribe.store import ImportRefused, Store

log = logging.getLogger("proscribe.updates")

#: who the audit trail names for the scheduled runs
SCHEDULE_ACTOR = "scheduled-update"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """``"6h"``, ``"30m"``, ``"90s"``, ``"1d"`` (or plain seconds) -> seconds; ValueError when not."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text.lower())
    if m is None:
        raise ValueError(f"{text!r} is not an interval: write a number with s, m, h or d (e.g. 6h)")
    seconds = float(m.group(1)) * _UNITS[m.group(2) or "s"]
    if seconds <= 0:
        raise ValueError(f"the interval {text!r} must be more than zero")
    return seconds


def say_interval(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


class ListUpdater:
    """Runs ``update_and_rescreen`` every ``config.update_every`` seconds in a daemon thread."""

    def __init__(self, store: Store, config: ServiceConfig, on_done: Any = None) -> None:
        self.store = store
        self.config = config
        self.every = float(config.update_every or 0)
        self.on_done = on_done
        self.runs = 0
        self.failures = 0
        self.last: dict[str, Any] | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.every <= 0 or self._thread is not None:
            return
        log.info(
            "lists update: every %s, the first in %s", say_interval(self.every), say_interval(self.every)
        )
        self._thread = threading.Thread(target=self._loop, name="proscribe-lists-update", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.run_once()

    def _failed(self, why: str, nxt: str) -> None:
        self.failures += 1
        self.last_error = why
        log.error("lists update failed: %s; the lists in force are unchanged; next try in %s", why, nxt)

    def run_once(self) -> None:
        """One update; never raises (a failure is logged, counted and kept in ``last_error``)."""
        from proscribe.service.lists import update_and_rescreen

        started = time.monotonic()
        nxt = say_interval(self.every) if self.every else "-"
        try:
            out = update_and_rescreen(self.store, self.config, actor=SCHEDULE_ACTOR)
        except (ListFormatError, ImportRefused, OSError) as exc:  # a folder, a file, the network
            self._failed(str(exc), nxt)
            return
        except Exception as exc:  # the service must outlive any failure of one run
            self._failed(f"unexpected error ({exc.__class__.__name__}): {exc}", nxt)
            return
        self.runs += 1
        self.last = out
        self.last_error = None
        after = out["rescreen"] or {}
        run = after.get("run")
        screened = (
            f"re-screen run {run['run_id']}: {run['alerts_opened']} alerts opened, {run['closed']} closed"
            if run
            else f"no re-screen ({after.get('skipped')})"
        )
        log.info(
            "lists update: %s; %s; %.1f s; next in %s",
            summary(out["imports"]),
            screened,
            time.monotonic() - started,
            nxt,
        )
        if self.on_done is not None:
            self.on_done()
