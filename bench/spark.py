"""The Spark engine of screen-file: how it scales with executors, and whether it agrees with the local engine.

    .venv/bin/python bench/spark.py [--names 1000000] [--masters local[1] local[2] local-cluster[2,1,1024]]

Lists: the OFAC SDN snapshot of July 2021 and the UN consolidated list of February 2026 from
../shared/data, in a SQLite store under var/bench/spark (built once). Input: ``--names`` synthetic
names made with Faker in ten locales (persons and companies, some with a birth year or a country),
one in a hundred a listed name as written on the list or lower-cased, written once to a Parquet file.

For each master the whole input is screened with ``screen_file_spark`` (``restart=True``, default
partitions: one per 10,000 rows, at least 8) in a new SparkSession, and the wall time is recorded
from the call to the last partition written (the session's start is timed apart; the index is
shipped to and loaded by every Python worker inside the timed run). Then the local engine
(``batch.screen_file``, one process per core) screens the same input, and the hits of the two
are compared: the set of (query id, listed entity, score) must be the same.

Spark runs in local mode, bound to 127.0.0.1 (SPARK_LOCAL_IP) with no web UI. local-cluster[2,1,1024]
(two worker JVMs of one core and 1 GB each, as a standalone cluster would have) needs Spark's
launch scripts, which the PyPI package ships.

Prints a Markdown table and writes it with the raw figures to var/bench/spark.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from proscribe.screening import Screener, batch
from proscribe.screening import spark as spark_engine
from proscribe.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
WORK = ROOT / "var" / "bench" / "spark"
AS_OF = date(2021, 7, 1)
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "pl_PL", "tr_TR", "ru_RU", "ar_AA"]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def screener() -> Screener:
    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "lists.db"
    fresh = not db.exists()
    store = Store.open(f"sqlite:///{db}")
    try:
        if fresh:
            store.import_path(SHARED / "ofac-sdn-2021-07", as_of=AS_OF)
            store.import_path(SHARED / "un-2026-02" / "consolidated.xml")
        return Screener.from_store(store, as_of=AS_OF, cache_dir=WORK / "index")
    finally:
        store.close()


def synthetic_names(path: Path, n: int, screener: Screener, seed: int = 12) -> Path:
    """n rows of Faker names (persons and companies), one in a hundred a listed name; a Parquet file."""
    if path.exists() and pq.ParquetFile(path).metadata.num_rows == n:
        return path
    from faker import Faker

    rng = random.Random(seed)
    fakers = [Faker(loc) for loc in LOCALES]
    for i, fk in enumerate(fakers):
        fk.seed_instance(seed + i)
    listed = [screener.index.names[e.names[0]].text for e in screener.index.entities]
    countries = ["de", "fr", "us", "gb", "tr", "ru", "es", "it", "pl", ""]
    tmp = path.with_suffix(".tmp")
    batch_rows: list[dict[str, str]] = []
    schema = pa.schema([(c, pa.string()) for c in ("id", "name", "type", "birth_date", "country")])
    with pq.ParquetWriter(tmp, schema) as writer:
        for i in range(n):
            fk = fakers[i % len(fakers)]
            roll = rng.random()
            if roll < 0.01:
                name = rng.choice(listed)
                name, kind = (name.lower() if rng.random() < 0.5 else name), ""
            elif roll < 0.8:
                name, kind = fk.name(), "person"
            else:
                name, kind = fk.company(), "organization"
            birth = str(rng.randint(1940, 2000)) if kind == "person" and rng.random() < 0.3 else ""
            batch_rows.append(
                {
                    "id": f"c{i}",
                    "name": name,
                    "type": kind,
                    "birth_date": birth,
                    "country": rng.choice(countries),
                }
            )
            if len(batch_rows) >= 50_000:
                writer.write_table(pa.Table.from_pylist(batch_rows, schema=schema))
                batch_rows = []
        writer.write_table(pa.Table.from_pylist(batch_rows, schema=schema))
    os.replace(tmp, path)
    return path


def hit_keys(rows: list[dict[str, Any]]) -> set[tuple[str, str, float]]:
    return {(str(r["query_id"]), str(r["entity_id"]), round(float(r["score"]), 4)) for r in rows}


def run_spark(master: str, scr: Screener, src: Path, out: Path) -> dict[str, Any]:
    t0 = time.monotonic()
    session = spark_engine.spark_session(master, app_name=f"proscribe bench {master}")
    started = time.monotonic() - t0
    load = os.getloadavg()
    try:
        summary = spark_engine.screen_file_spark(session, scr, src, out, restart=True)
    finally:
        session.stop()
    return {
        "master": master,
        "session_start_s": round(started, 1),
        "elapsed_s": round(summary.elapsed, 1),
        "names_per_s": round(summary.screened / summary.elapsed, 1),
        "rows": summary.rows_read,
        "hits": summary.hits,
        "cores": summary.workers,
        "load_before": [round(x, 2) for x in load],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=1_000_000)
    parser.add_argument("--masters", nargs="+", default=["local[1]", "local[2]", "local-cluster[2,1,1024]"])
    parser.add_argument("--no-local", action="store_true", help="skip the local engine and the comparison")
    args = parser.parse_args()

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    scr = screener()
    src = synthetic_names(WORK / f"names-{args.names}.parquet", args.names, scr)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, {platform.python_version()}, {platform.platform()}",
        "uptime_start": uptime(),
        "names": args.names,
        "runs": [],
    }
    spark_hits: set[tuple[str, str, float]] | None = None
    for master in args.masters:
        out = WORK / f"out-{master.replace('[', '-').replace(']', '').replace(',', '-')}"
        try:
            run = run_spark(master, scr, src, out)
        except Exception as exc:  # local-cluster may not start on some machines: record why
            run = {"master": master, "failed": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}
        print(json.dumps(run), flush=True)
        report["runs"].append(run)
        if "failed" not in run and spark_hits is None:
            spark_hits = hit_keys(spark_engine.read_hits(out))

    if not args.no_local:
        out = WORK / "out-local-engine.csv"
        load = os.getloadavg()
        summary = batch.screen_file(scr, src, out, restart=True, workers=os.cpu_count())
        with open(out, encoding="utf-8", newline="") as fh:
            local_hits = hit_keys(list(csv.DictReader(fh)))
        local = {
            "master": f"local engine, {summary.workers} processes",
            "elapsed_s": round(summary.elapsed, 1),
            "names_per_s": round(summary.rows_per_second, 1),
            "rows": summary.rows_read,
            "hits": summary.hits,
            "load_before": [round(x, 2) for x in load],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }
        if spark_hits is not None:
            local["same_hits_as_spark"] = local_hits == spark_hits
            local["only_local"] = len(local_hits - spark_hits)
            local["only_spark"] = len(spark_hits - local_hits)
        print(json.dumps(local), flush=True)
        report["runs"].append(local)
    report["uptime_end"] = uptime()
    (WORK / "spark.json").write_text(json.dumps(report, indent=1))

    print(f"\n{args.names:,} names, {report['date']}; {report['machine']}")
    print(f"start: {report['uptime_start']}\nend: {report['uptime_end']}\n")
    print("| engine | session start | screening | names/s | hits | load (1 min) before / after |")
    print("|---|---|---|---|---|---|")
    for run in report["runs"]:
        if "failed" in run:
            print(f"| {run['master']} | failed: {run['failed']} | | | | |")
            continue
        start = f"{run['session_start_s']} s" if "session_start_s" in run else ""
        print(
            f"| {run['master']} | {start} | {run['elapsed_s']} s | {run['names_per_s']:,.0f} | "
            f"{run['hits']:,} | {run['load_before'][0]} / {run['load_after'][0]} |"
        )


if __name__ == "__main__":
    sys.exit(main())
