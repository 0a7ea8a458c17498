"""The Spark engine of screen-file (local mode, one SparkSession for the module) against the real lists:
the same hits and errors as the local engine, Parquet and CSV in and out, resuming by partition."""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from proscribe.cli.app import app
from proscribe.cli.spark_submit import arguments
from proscribe.screening import Screener
from proscribe.screening import spark as spark_engine
from proscribe.screening.batch import OutputExists, StateMismatch, screen_file
from proscribe.store import Store

AS_OF = date(2021, 7, 1)
INNOCENT_FIRST = ["Maria", "Peter", "Laura", "Jan", "Sofia", "Tomasz", "Ingrid", "Mehmet", "Aiko", "Lucas"]
INNOCENT_LAST = ["Schmidt", "Jensen", "Rossi", "Novak", "Dubois", "Kowalski", "Lindqvist", "Yilmaz", "Tanaka"]


@pytest.fixture(scope="module")
def screener(real_store: Store, xdg_cache: Path) -> Screener:
    # the same cache folder as the batch and CLI tests: the index is built once for them all
    return Screener.from_store(real_store, as_of=AS_OF, cache_dir=xdg_cache / "proscribe" / "index")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_engine.spark_session("local[2]", app_name="proscribe tests")
    yield session
    session.stop()


def _variants(name: str, n: int) -> str:
    """A name as a customer file might hold it: reordered, lower-cased, a letter dropped, or as listed."""
    words = name.split()
    how = n % 4
    if how == 0 and len(words) > 1:
        return " ".join(words[1:] + words[:1])
    if how == 1:
        return name.lower()
    if how == 2 and len(name) > 6:
        cut = len(name) // 2
        return name[:cut] + name[cut + 1 :]
    return name


def sample_rows(screener: Screener, listed: int = 120, innocents: int = 60) -> list[dict[str, str]]:
    """Real listed names (every k-th listing of OFAC and UN), variants of them, innocents, and broken rows."""
    index = screener.index
    step = max(1, len(index.entities) // listed)
    rows: list[dict[str, str]] = []
    for n, entity in enumerate(index.entities[::step][:listed]):
        name = index.names[entity.names[n % len(entity.names)]].text
        rows.append(
            {
                "id": f"L{n}",
                "name": _variants(name, n),
                "type": entity.kind if n % 3 == 0 else "",
                "birth_date": entity.birth_dates[0] if entity.birth_dates and n % 2 == 0 else "",
                "country": "",
            }
        )
    for n in range(innocents):
        first, last = INNOCENT_FIRST[n % len(INNOCENT_FIRST)], INNOCENT_LAST[n % len(INNOCENT_LAST)]
        rows.append(
            {"id": f"I{n}", "name": f"{first} {last}", "type": "person", "birth_date": "", "country": ""}
        )
    broken = [
        {"id": "B1", "name": "", "type": "", "birth_date": "", "country": ""},
        {"id": "B2", "name": "Someone", "type": "alien", "birth_date": "", "country": ""},
        {"id": "B3", "name": "Someone", "type": "", "birth_date": "1970-13-01", "country": ""},
        {"id": "B4", "name": "Someone", "type": "", "birth_date": "", "country": "Atlantis"},
        {"id": "L3", "name": "a second L3", "type": "", "birth_date": "", "country": ""},
    ]
    # spread the broken rows through the file
    for k, row in enumerate(broken):
        rows.insert(17 + 31 * k, row)
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "name", "type", "birth_date", "country"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def keys(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (r["query_id"], r["entity_id"], round(float(r["score"]), 4), r["matched_name"], r["explanation"])
        for r in rows
    )


def local_run(screener: Screener, src: Path, out: Path) -> tuple[list[dict[str, Any]], dict[int, str]]:
    screen_file(screener, src, out, workers=1)
    with open(out, encoding="utf-8", newline="") as fh:
        hits = list(csv.DictReader(fh))
    with open(out.with_name(out.name + ".errors.csv"), encoding="utf-8", newline="") as fh:
        errors = {int(r["line"]): r["reason"] for r in csv.DictReader(fh)}
    return hits, errors


def test_spark_and_local_engines_give_the_same_hits(screener: Screener, spark: Any, tmp_path: Path) -> None:
    rows = sample_rows(screener)
    src = write_csv(tmp_path / "names.csv", rows)
    local_hits, local_errors = local_run(screener, src, tmp_path / "local.csv")

    out = tmp_path / "spark-out"
    summary = spark_engine.screen_file_spark(spark, screener, src, out, output_format="csv", partitions=5)
    hits = spark_engine.read_hits(out)
    errors = spark_engine.read_errors(out)

    assert len(local_hits) > 100  # the sample finds the listed names...
    found = {h["query_id"] for h in local_hits if h["query_id"].startswith("L")}
    assert len(found) >= 0.9 * 120, sorted(found)  # ... nearly all of them, even misspelt
    assert keys(hits) == keys(local_hits)

    # the CSV here has no blank or multi-line records: line = row + 1 (the header)
    def as_line(m: re.Match[str]) -> str:
        return f"first on line {int(m[1]) + 1}"

    as_lines = {int(e["row"]) + 1: re.sub(r"first on row (\d+)", as_line, e["reason"]) for e in errors}
    assert as_lines == local_errors
    assert any("duplicate id 'L3'" in reason for reason in local_errors.values())
    assert summary.rows_read == len(rows) and summary.errors == 5
    assert summary.hits == len(hits) and summary.screened == summary.screened_this_run == len(rows) - 5
    assert sorted(os.listdir(out)) == sorted(
        ["_SUCCESS", "_done", "_errors", "_run.json"] + [f"part-{i:05d}.csv" for i in range(5)]
    )


def test_parquet_in_and_out_resumes_by_partition(screener: Screener, spark: Any, tmp_path: Path) -> None:
    rows = sample_rows(screener, listed=40, innocents=20)
    src = tmp_path / "names.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src)
    out = tmp_path / "hits"
    first = spark_engine.screen_file_spark(spark, screener, src, out, partitions=4)
    assert first.resumed_from == 0 and first.hits > 0
    hits = spark_engine.read_hits(out)
    assert pq.read_table(out / "part-00000.parquet").schema.field("score").type == pa.float64()

    # two partitions lost (a killed job): their marker gone, their hits file half written
    lost = {}
    for part in (1, 3):
        marker = out / "_done" / f"part-{part:05d}.json"
        lost[part] = json.loads(marker.read_text())
        marker.unlink()
        (out / f"part-{part:05d}.parquet").write_bytes(b"PAR1 half a file")
    (out / "_SUCCESS").unlink()
    said: list[str] = []
    again = spark_engine.screen_file_spark(spark, screener, src, out, say=said.append)
    assert said == [f"resuming {out}: 2 of 4 partitions already done"]
    assert again.screened_this_run == sum(c["screened"] for c in lost.values())
    assert again.resumed_from == first.rows_read - sum(c["rows_read"] for c in lost.values())
    assert (again.rows_read, again.hits, again.errors) == (first.rows_read, first.hits, first.errors)
    assert keys(spark_engine.read_hits(out)) == keys(hits)

    # finished: a rerun does nothing; other options are refused; restart starts over
    assert spark_engine.screen_file_spark(spark, screener, src, out).already_complete
    with pytest.raises(StateMismatch, match=r"the threshold \(0.3 then, 0.5 now\)"):
        spark_engine.screen_file_spark(spark, screener, src, out, threshold=0.5)
    fresh = spark_engine.screen_file_spark(spark, screener, src, out, threshold=0.5, restart=True)
    assert fresh.resumed_from == 0 and 0 < fresh.hits < first.hits
    other = tmp_path / "not-a-run"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(OutputExists):
        spark_engine.screen_file_spark(spark, screener, src, other)


def test_cli_engine_spark(
    spark: Any, screener: Screener, real_store_url: str, xdg_cache: Path, tmp_path: Path
) -> None:
    cli = CliRunner(env={"PROSCRIBE_DB": real_store_url, "XDG_CACHE_HOME": str(xdg_cache), "COLUMNS": "200"})
    src = write_csv(tmp_path / "in.csv", sample_rows(screener, listed=10, innocents=5))
    out = tmp_path / "out"
    args = ["screen-file", str(src), "--engine", "spark", "--out", str(out), "--as-of", "2021-07-01"]
    result = cli.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows_read"] == 20 and summary["errors"] == 5 and summary["hits"] > 0
    assert sorted(p.name for p in out.glob("part-*")) == [f"part-{i:05d}.parquet" for i in range(8)]
    # bad options: one clear line each
    result = cli.invoke(app, [*args, "--format", "xlsx"])
    assert result.exit_code == 2 and "--format takes one of parquet, csv, jsonl" in result.stderr
    result = cli.invoke(app, ["screen-file", str(src), "--out", str(tmp_path / "x.csv"), "--partitions", "3"])
    assert result.exit_code == 2 and "for --engine spark" in result.stderr
    # spark-submit's arguments become this same command
    assert arguments([str(src), "--out", str(out), "--db", "sqlite:///x.db"]) == [
        "--db", "sqlite:///x.db", "screen-file", str(src), "--out", str(out), "--engine", "spark",
    ]  # fmt: skip
