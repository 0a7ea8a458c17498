"""Replay benchmark: OFAC's 309 successive sdn.csv versions (Aug 2021 - May 2024) into a fresh store.

Target (issue 11): the whole replay under 10 minutes and the store under 1 GB; an as-of lookup at
the end under 2 ms.

    python bench/replay.py [--db sqlite|postgresql://...] [--limit N]

Reads ``../shared/data/ofac-sdn-history/sdn-2021-08-to-2024-05.tar.xz`` (and its index.csv) in memory,
imports each version as of its publication time through the same code as ``proscribe lists replay``,
and prints: the total time, the time per version (median, 95th percentile, slowest), the listings in
force at the end, the refusals, the store's size, and the time of ``entity(..., as_of=...)`` lookups.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PROSCRIBE_SHARED_DATA", ROOT.parent / "shared" / "data"))
ARCHIVE = SHARED / "ofac-sdn-history" / "sdn-2021-08-to-2024-05.tar.xz"
VAR = ROOT / "var" / "bench"


def _size(store: object, url: str) -> int:
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def main() -> int:
    from proscribe.sources.history import discover
    from proscribe.store import Store
    from proscribe.store.replay import replay

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--db", default="sqlite", help="sqlite (a fresh file under var/bench) or a PostgreSQL URL"
    )
    ap.add_argument("--limit", type=int, default=0, help="replay only the first N versions")
    args = ap.parse_args()
    url = args.db
    if url == "sqlite":
        VAR.mkdir(parents=True, exist_ok=True)
        db = VAR / "replay.db"
        for old in VAR.glob("replay.db*"):
            old.unlink()
        url = f"sqlite:///{db}"
    store = Store.open(url, load_registry=False)
    versions = discover([ARCHIVE])
    if args.limit:
        versions = versions[: args.limit]
    load_before = os.getloadavg()
    started = time.perf_counter()

    def tick(step: object) -> None:
        n = len(report_steps) + 1
        report_steps.append(step)
        if n % 25 == 0:
            print(f"  {n}/{len(versions)} versions, {time.perf_counter() - started:.0f} s", file=sys.stderr)

    report_steps: list[object] = []
    report = replay(store, versions, on_step=tick)
    total = time.perf_counter() - started
    load_after = os.getloadavg()
    per = sorted(s.seconds for s in report.steps)
    [status] = [s for s in store.status() if s.dataset == "us_ofac_sdn"]
    size = _size(store, url)

    # as-of lookups at the end: random listings on random dates of the three years
    rng = random.Random(11)
    ids = [r.source_id for r in store.records("us_ofac_sdn")]
    days = [date(2021, 8, 18).toordinal() + rng.randrange(1000) for _ in range(200)]
    sample = [(rng.choice(ids), date.fromordinal(d)) for d in days]
    t0 = time.perf_counter()
    lookups = []
    for sid, day in sample:
        t = time.perf_counter()
        store.entity("us_ofac_sdn", sid, as_of=day)
        lookups.append(time.perf_counter() - t)
    lookups.sort()

    lines = [
        f"## Replay of OFAC's history ({len(versions)} versions), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- store: {store.engine.dialect.name}; machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; "
        f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after",
        f"- total: {total:.0f} s ({total / 60:.1f} min) for {len(report.steps)} versions: "
        f"{len(report.imported)} imported, {len(report.unchanged)} unchanged, {len(report.refused)} refused"
        + (f" ({', '.join(s.version.name for s in report.refused)})" if report.refused else ""),
        f"- per version: median {statistics.median(per):.2f} s, "
        f"95th percentile {per[int(len(per) * 0.95)]:.2f} s, "
        f"slowest {per[-1]:.1f} s (the first: every record built)",
        f"- at the end: {status.records} listings in force, version {status.version} of {status.as_of}; "
        f"store {size / 1e6:.0f} MB",
        f"- `entity --as-of` on {len(lookups)} random listings and dates: "
        f"median {statistics.median(lookups) * 1e3:.2f} ms, "
        f"95th percentile {lookups[int(len(lookups) * 0.95)] * 1e3:.2f} ms, "
        f"all {time.perf_counter() - t0:.2f} s",
        "",
    ]
    print("\n".join(lines))
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
