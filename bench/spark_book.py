"""The book at scale: a full and a delta re-screen of N synthetic parties through the Spark engine
(``rescreen --engine spark``), alerts written back to PostgreSQL in batches.

    SPARK_LOCAL_IP=127.0.0.1 nice -n 10 python bench/spark_book.py [--parties 100000] [--master local[2]]

1. A PostgreSQL database ``proscribe_bench_book_<N>`` (made once, kept: ``--fresh`` makes it again)
   with OFAC's SDN list of July 2021 and a book of N synthetic persons (first and last names of
   several languages, a middle initial, a year of birth), 1 in 500 of them going by a listed
   person's name (so that alerts are opened). The parties are written with PostgreSQL's COPY, with
   the checksums ``customers import`` computes.
2. A full re-screen on Spark (``rescreen_spark``), timed by phase (the book written to Parquet for
   the executors, screening, alerts opened on the driver).
3. The UN list (February 2026) imported, and a delta re-screen: every party against the listings
   it added (about a thousand: a large delta; a daily OFAC update changes tens).

Prints the figures and appends a section to docs/benchmarks.md (``--no-write``: not).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("PROSCRIBE_SHARED_DATA", ROOT.parent / "shared" / "data"))
VAR = ROOT / "var" / "bench"
PG = os.environ.get("PROSCRIBE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
FIRST = (
    "John Maria Ahmed Li Olga Pierre Fatima Juan Chen Yusuf Anna Ivan Mohammed Sara Peter Lukas Aiko "
    "Priya Tomasz Ingrid Mehmet Sofia Kwame Elena Diego Hana Omar Nadia Viktor Grace"
).split()
LAST = (
    "Smith Garcia Kowalski Nakamura Okafor Schmidt Rossi Haddad Novak Larsen Silva Dubois Tanaka "
    "Jensen Yilmaz Lindqvist Moreau Petrov Mensah Fischer Costa Popescu Horvat Nguyen Kim Sato"
).split()


def database(parties: int, fresh: bool) -> tuple[str, bool]:
    """The benchmark's database URL, and whether it had to be made."""
    from proscribe.store.db import make_engine

    name = f"proscribe_bench_book_{parties}"
    admin = make_engine(PG).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists and fresh:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{PG.rsplit('/', 1)[0]}/{name}", not exists


def make_book(store: object, parties: int, seed: int = 5) -> int:
    """N synthetic persons, COPYed into ``parties``; the number planted under a listed name."""
    from proscribe.enforcement.book import party_checksum
    from proscribe.store import Store

    assert isinstance(store, Store)
    listed = [r.target.caption for r in store.designated() if r.target.schema.name == "Person"]
    rng = random.Random(seed)
    now = datetime.now(UTC).isoformat()
    buf = io.StringIO()
    planted = 0
    for i in range(parties):
        if i % 500 == 0:
            name = rng.choice(listed)
            planted += 1
        else:
            name = f"{rng.choice(FIRST)} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(LAST)}"
        birth = str(rng.randint(1940, 2004))
        fields = {"kind": "person", "name": name, "aliases": [], "birth_date": birth}
        row = [
            f"P{i:09d}", "person", name, "[]", birth, party_checksum(fields), "bench", now, now, "t",
        ]  # fmt: skip
        buf.write("\t".join(v.replace("\t", " ") for v in row) + "\n")
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cols = "id, kind, name, aliases, birth_date, checksum, source, created_at, updated_at, is_customer"
        with cur.copy(f"COPY parties ({cols}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            copy.write(buf.getvalue())
        raw.commit()
    finally:
        raw.close()
    return planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parties", type=int, default=100_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--partitions", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--fresh", action="store_true", help="Make the database again.")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--sample", type=int, default=2000, help="Parties timed in-process (CPU a party).")
    args = parser.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    from proscribe.enforcement.spark_rescreen import rescreen_spark
    from proscribe.screening import spark as spark_engine
    from proscribe.store import Store
    from proscribe.store.book import Party
    from proscribe.store.casework import ScreeningRun

    url, made = database(args.parties, args.fresh)
    store = Store.open(url)
    begun = time.monotonic()
    if made:
        store.import_path(SHARED / "ofac-sdn-2021-07", as_of=date(2021, 7, 1))
        planted = make_book(store, args.parties)
        print(
            f"book of {args.parties:,} parties ({planted} planted) made in {time.monotonic() - begun:.0f} s"
        )
    with Session(store.engine) as session:
        count = session.scalar(select(func.count()).select_from(Party)) or 0
        runs = session.scalar(select(func.count()).select_from(ScreeningRun)) or 0
    if runs:
        sys.exit(f"{url} has re-screens already: run with --fresh")
    spark = spark_engine.spark_session(args.master, app_name="proscribe bench book")
    lines: list[str] = []

    def say(message: str) -> None:
        stamp = f"{time.monotonic() - started:7.1f} s  {message}"
        print(stamp, flush=True)
        lines.append(stamp)

    figures = {}
    for mode in ("full", "delta"):
        if mode == "delta":
            store.import_path(SHARED / "un-2026-02" / "consolidated.xml")
        started = time.monotonic()
        cpu = time.process_time()
        at = datetime(2026, 3, 1, 12, tzinfo=UTC) if mode == "delta" else datetime(2021, 7, 1, 12, tzinfo=UTC)
        result = rescreen_spark(
            spark,
            store,
            mode=mode,
            actor="bench",
            at=at,
            partitions=args.partitions,
            batch_size=args.batch_size,
            cache_dir=VAR / "book-index",
            say=say,
        )
        figures[mode] = {
            "seconds": time.monotonic() - started,
            "driver_cpu": time.process_time() - cpu,
            "result": result.to_dict() | {"alert_ids": len(result.alert_ids)},
            "load": os.getloadavg(),
        }
        print(json.dumps(figures[mode], default=str))
    spark.stop()
    figures["sample"] = cpu_per_party(store, args.sample)
    print(json.dumps(figures["sample"]))
    store.close()
    write(args, count, figures, lines)


def cpu_per_party(store: object, n: int) -> dict[str, object]:
    """CPU time of screening one party as an executor does (``alerts._screen_party``), measured in
    this process on ``n`` parties of the book against the full index of each run's day: the figure
    to extrapolate from, whatever share of the cores the executors got on a busy machine."""
    from proscribe.enforcement import alerts
    from proscribe.screening import Screener
    from proscribe.store import Store
    from proscribe.store.book import Party

    assert isinstance(store, Store)
    with Session(store.engine) as session:
        sample = list(session.scalars(select(Party).order_by(Party.id).limit(n)))
    out: dict[str, object] = {"parties": len(sample)}
    for label, day in (("full", date(2021, 7, 1)), ("delta", date(2026, 3, 1))):
        screener = Screener.from_store(store, as_of=day, cache_dir=VAR / "book-index")
        begun = time.process_time()
        for party in sample:
            alerts._screen_party(screener, party, 0.3)
        out[f"{label}_ms"] = (time.process_time() - begun) / len(sample) * 1000
    return out


def write(
    args: argparse.Namespace, count: int, figures: dict[str, dict[str, object]], lines: list[str]
) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    sample = figures.pop("sample", {})
    for mode, f in figures.items():
        r = f["result"]
        load = f["load"]
        assert isinstance(r, dict) and isinstance(load, tuple)
        seconds = float(f["seconds"])  # type: ignore[arg-type]
        rows.append(
            f"| {mode} | {r['parties_screened']:,} | {r['listings_screened']:,} | {r['alerts_opened']:,} | "
            f"{seconds:.0f} | {r['parties_screened'] / seconds:,.0f} | {float(f['driver_cpu']):.0f} | "  # type: ignore[arg-type]
            f"{load[0]:.1f} |"
        )
    section = f"""
## The book on Spark (`bench/spark_book.py`) — {stamp}

`nice -n 10 python bench/spark_book.py --parties {count} --master {args.master}`: a re-screen of
{count:,} synthetic persons (1 in 500 under a listed person's name) through `rescreen_spark`, the
store on PostgreSQL (127.0.0.1), Spark in local mode. Full: against OFAC's SDN list of July 2021;
delta: after the UN list (February 2026) was imported, every party against the listings it added.
Machine: {os.cpu_count()} cores, Python {platform.python_version()}, shared with other work (load
average at the end of each run in the table).

| run | parties | listings screened | alerts opened | seconds | parties/s | driver CPU s | load |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

CPU time of screening one party as the executors do, measured in one process on {sample.get("parties")}
parties of the book (the figure to extrapolate from, since the executors shared busy cores): against
everything in force on the full run's day (OFAC, the ICC registry), {float(sample.get("full_ms", 0)):.2f} ms;
against everything on the delta's day (OFAC, UN, the ICC registry), {float(sample.get("delta_ms", 0)):.2f} ms.

Phases (seconds from the start of each run):

```
{chr(10).join(lines)}
```
"""
    print(section)
    if not args.no_write:
        with open(ROOT / "docs" / "benchmarks.md", "a", encoding="utf-8") as fh:
            fh.write(section)


if __name__ == "__main__":
    main()
