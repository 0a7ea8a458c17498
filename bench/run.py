"""Benchmarks of the list layer: parsing the real lists, importing them, reading as of a date.

Run with `make bench`. Prints a Markdown table with the date and the machine; copy it into
docs/benchmarks.md. Timings live here, never in tests.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from proscribe.sources.formats import read_list
from proscribe.store import Store

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("PROSCRIBE_SHARED_DATA", ROOT.parent / "shared" / "data"))
PG = os.environ.get("PROSCRIBE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def pg_url() -> str | None:
    from sqlalchemy import text

    from proscribe.store.db import make_engine

    name = f"proscribe_bench_{os.getpid()}"
    try:
        admin = make_engine(PG).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return PG.rsplit("/", 1)[0] + "/" + name
    except Exception as exc:
        print(f"(PostgreSQL skipped: {exc})", file=sys.stderr)
        return None


def main() -> None:
    ofac, un = DATA / "ofac-sdn-2021-07", DATA / "un-2026-02" / "consolidated.xml"
    rows: list[tuple[str, str]] = []
    t, _ = timed(lambda: read_list(ofac))
    rows.append(("parse OFAC SDN CSV (8,976 listings)", f"{t:.2f} s"))
    t, _ = timed(lambda: read_list(un))
    rows.append(("parse UN consolidated XML (1,003 listings)", f"{t:.2f} s"))

    backends = [("SQLite", f"sqlite:///{tempfile.mkdtemp()}/bench.db")]
    url = pg_url()
    if url:
        backends.append(("PostgreSQL", url))
    for label, db in backends:
        store = Store.open(db)
        t0 = time.perf_counter()
        store.import_path(ofac, as_of=date(2021, 7, 1))
        rows.append((f"{label}: first import of OFAC (parse + store)", f"{time.perf_counter() - t0:.2f} s"))
        t0 = time.perf_counter()
        store.import_path(ofac, as_of=date(2021, 7, 1))
        rows.append((f"{label}: re-import of an unchanged file", f"{time.perf_counter() - t0:.2f} s"))
        lat = []
        for sid in ("36", "173", "306", "2674", "7157", "9647", "10001", "12300"):
            for _ in range(5):
                t0 = time.perf_counter()
                try:
                    store.entity("us_ofac_sdn", sid, as_of=date(2021, 7, 2))
                except LookupError:
                    break
                lat.append(time.perf_counter() - t0)
        if lat:
            rows.append(
                (
                    f"{label}: one listing as of a date, median of {len(lat)}",
                    f"{statistics.median(lat) * 1000:.1f} ms",
                )
            )
        store.close()

    print(
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: {os.cpu_count()} cores, "
        f"{platform.machine()}, Python {platform.python_version()}\n"
    )
    print("| what | time |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    main()
