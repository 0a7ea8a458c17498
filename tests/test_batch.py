"""Batch screening of whole files against the real OFAC and UN lists: formats, errors, resume, workers."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from proscribe.screening import DEFAULT_THRESHOLD, Screener
from proscribe.screening.batch import (
    OUTPUT_COLUMNS,
    BatchError,
    InputError,
    OutputExists,
    RowError,
    StateMismatch,
    check_row,
    count_rows,
    output_paths,
    screen_file,
    screen_rows,
)
from proscribe.store import Store

AS_OF = date(2021, 7, 1)


@pytest.fixture(scope="session")
def screener(real_store: Store, xdg_cache: Path) -> Screener:
    """The lists as of the OFAC snapshot's date, cached where the CLI tests will find the index."""
    return Screener.from_store(real_store, as_of=AS_OF, cache_dir=xdg_cache / "proscribe" / "index")


# The test input: real listed names, innocents, and broken rows. Line numbers matter (header = 1).
INPUT_CSV = """\
id,name,type,birth_date,country,id_number
a1,AEROCARIBBEAN AIRLINES,organization,,Cuba,
a2,Usama BIN LADEN,person,1957,,
a3,Ismael ZAMBADA GARCIA,,1948-01-01,mx,
a4,Maria Schmidt,person,1980-02-03,Germany,
a5,,person,,,
a6,Adel BEN SOLTANE,person,1970-13-01,,
a7,Hans Peter Kruger,person,,,,extra
a8,"ANGLO-CARIBBEAN CO., LTD.",Organization,,,

a9,Jane Doe,alien,,,
a2,Duplicate of a2,,,,
a10,Someone,person,,Atlantis,
,No Id,,,,
a11,Adel BEN SOLTANE,person,1970-07,tn,
"""
GOOD_IDS = {"a1", "a2", "a3", "a4", "a8", "a11"}
EXPECTED_ERRORS = {
    6: "missing name",
    7: "bad birth date",
    8: "expected 6 fields, found 7",
    11: "unknown type",
    12: "duplicate id 'a2' (first on line 3)",
    13: "unknown country",
    14: "missing id",
}


def write_csv(path: Path, text: str = INPUT_CSV) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def good_rows() -> list[dict[str, str]]:
    """The rows of INPUT_CSV that can be screened, for JSONL and Parquet inputs."""
    rows = list(csv.DictReader(INPUT_CSV.splitlines()))
    return [r for r in rows if r["id"] in GOOD_IDS and r["name"] != "Duplicate of a2"]


def read_hits(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        return list(pq.read_table(path).to_pylist())
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    with open(path, encoding="utf-8", newline="") as fh:
        return [dict(r, score=float(r["score"])) for r in csv.DictReader(fh)]


def read_errors(out: Path, fmt: str = "csv") -> dict[int, str]:
    errors_path = output_paths(out, fmt)[0]
    with open(errors_path, encoding="utf-8", newline="") as fh:
        return {int(r["line"]): r["reason"] for r in csv.DictReader(fh)}


def hit_keys(rows: list[dict[str, Any]]) -> list[tuple[str, str, float]]:
    return [(r["query_id"], r["entity_id"], round(float(r["score"]), 4)) for r in rows]


def many_names(path: Path, n: int) -> Path:
    """A bigger CSV: listed names, innocents, and every tenth row broken, for chunk and worker tests."""
    listed = ["AEROCARIBBEAN AIRLINES", "Usama BIN LADEN", "Ismael ZAMBADA GARCIA", "BANCO NACIONAL DE CUBA"]
    innocent = ["Maria Schmidt", "Peter Jensen", "Laura Rossi"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "type", "birth_date"])
        for i in range(n):
            if i % 10 == 9:
                writer.writerow([f"q{i}", "", "", ""])
            else:
                pool = listed if i % 2 else innocent
                writer.writerow([f"q{i}", pool[i % len(pool)], "", "1957" if i % 3 == 0 else ""])
    return path


# --- one row ----------------------------------------------------------------------------------


def test_check_row_normalises_and_refuses() -> None:
    row = check_row(
        {"id": " 7 ", "name": " Ali ", "type": "Individual", "birth_date": "1970-02", "country": "Iran"}
    )
    assert row == {
        "id": "7",
        "name": "Ali",
        "type": "person",
        "birth_date": "1970-02",
        "country": "ir",
        "id_number": "",
    }
    assert check_row(row) == row  # idempotent: workers check again at no risk
    assert check_row({"id": 12, "name": "X", "birth_date": date(1970, 1, 2)})["birth_date"] == "1970-01-02"
    cases: list[tuple[dict[str, object], str]] = [
        ({"id": "1", "name": " "}, "missing name"),
        ({"id": "", "name": "X"}, "missing id"),
        ({"id": "1", "name": "X", "type": "alien"}, "unknown type"),
        ({"id": "1", "name": "X", "birth_date": "1970-02-30"}, "no such date"),
        ({"id": "1", "name": "X", "birth_date": "02/03/1970"}, "YYYY, YYYY-MM or YYYY-MM-DD"),
        ({"id": "1", "name": "X", "country": "Atlantis"}, "unknown country"),
        ({"id": "1", "name": "Bob\n2,Alice"}, "line break"),
        ({"id": True, "name": "X"}, "must be text"),
    ]
    for bad, reason in cases:
        with pytest.raises(RowError, match=reason):
            check_row(bad)


def test_screen_rows_is_pure_over_a_partition(screener: Screener) -> None:
    rows = [
        {"id": "1", "name": "AEROCARIBBEAN AIRLINES", "country": "Cuba"},
        {"id": "2", "name": "Maria Schmidt"},
    ]
    out = list(screen_rows(screener, rows, threshold=0.5))
    assert out and {r["query_id"] for r in out} == {"1"}
    top = out[0]
    assert set(OUTPUT_COLUMNS) <= set(top)
    assert (top["entity_id"], top["dataset"], top["source_id"], top["programs"]) == (
        "ofac-36",
        "us_ofac_sdn",
        "36",
        "CUBA",
    )
    assert "country cu agrees" in top["explanation"]  # "Cuba" became the index's code
    with pytest.raises(RowError):
        list(screen_rows(screener, [{"id": "3", "name": ""}], threshold=0.5))


# --- files ------------------------------------------------------------------------------------


def test_csv_hits_and_errors(screener: Screener, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv")
    out = tmp_path / "out" / "hits.csv"
    done: list[int] = []
    summary = screen_file(screener, src, out, workers=1, progress=done.append)
    hits = read_hits(out)
    by_query: dict[str, list[dict[str, Any]]] = {}
    for h in hits:
        by_query.setdefault(h["query_id"], []).append(h)
    assert by_query["a1"][0]["entity_id"] == "ofac-36"
    assert by_query["a1"][0]["programs"] == "CUBA"
    assert "ofac-6365" in {h["entity_id"] for h in by_query["a2"]}  # Usama bin Muhammad bin Awad BIN LADIN
    assert by_query["a3"][0]["entity_id"] == "ofac-7226"
    assert by_query["a11"][0]["entity_id"] == "ofac-7251"  # Adel BEN SOLTANE, born July 1970
    assert by_query["a8"][0]["entity_id"] == "ofac-173"  # a quoted name with a comma in it
    assert "a4" not in by_query  # Maria Schmidt is on no list
    assert all(h["score"] >= 0.5 for h in hits)
    scores = [h["score"] for h in by_query["a2"]]
    assert scores == sorted(scores, reverse=True)

    errors = read_errors(out)
    assert sorted(errors) == sorted(EXPECTED_ERRORS)
    for line, reason in EXPECTED_ERRORS.items():
        assert reason in errors[line], (line, errors[line])

    assert summary.rows_read == 13 and summary.errors == 7 and summary.screened == 6
    assert summary.hits == len(hits)
    assert summary.queries_with_hits == len(by_query) == 5
    assert summary.resumed_from == 0 and not summary.already_complete
    assert done == [13]
    assert count_rows(src) == 14  # lines after the header, blank one included: only an estimate


def test_unclosed_quote_is_an_error_not_a_swallowed_row(screener: Screener, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", 'id,name\nb1,"Usama BIN LADEN\nb2,Maria Schmidt\n')
    out = tmp_path / "hits.csv"
    summary = screen_file(screener, src, out, workers=1)
    assert summary.errors == 1 and summary.screened == 0
    assert "line break" in read_errors(out)[2]


def test_bom_crlf_and_extra_columns(screener: Screener, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes("\ufeffID,Name,notes\r\nc1,AEROCARIBBEAN AIRLINES,x\r\n".encode())
    out = tmp_path / "hits.csv"
    summary = screen_file(screener, src, out, workers=1)
    assert summary.errors == 0 and read_hits(out)[0]["entity_id"] == "ofac-36"


def test_jsonl_and_parquet_inputs_give_the_same_hits(screener: Screener, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv")
    screen_file(screener, src, tmp_path / "from-csv.csv", workers=1)
    expected = hit_keys(read_hits(tmp_path / "from-csv.csv"))

    rows = good_rows()
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    parquet = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)

    for src_path, out in [
        (jsonl, tmp_path / "from-jsonl.jsonl"),
        (parquet, tmp_path / "from-parquet.parquet"),
        (jsonl, tmp_path / "from-jsonl.parquet"),
    ]:
        summary = screen_file(screener, src_path, out, workers=1)
        assert summary.errors == 0 and summary.screened == len(rows)
        assert hit_keys(read_hits(out)) == expected, out.name
    # Parquet is spooled and converted at the end: no spool left, and the columns are typed
    assert not (tmp_path / "from-parquet.parquet.partial.jsonl").exists()
    table = pq.read_table(tmp_path / "from-parquet.parquet")
    assert table.column_names == list(OUTPUT_COLUMNS) and table.schema.field("score").type == pa.float64()
    assert count_rows(parquet) == len(rows)


def test_jsonl_and_parquet_row_errors_name_their_line(screener: Screener, tmp_path: Path) -> None:
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(
        '{"id": "1", "name": "Usama BIN LADEN"}\n\n{"id": "2"\n["not", "an", "object"]\n'
        '{"id": 3, "name": "Maria Schmidt", "birth_date": "1980-99"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "hits.jsonl"
    summary = screen_file(screener, jsonl, out, workers=1)
    errors = read_errors(out, "jsonl")
    assert sorted(errors) == [3, 4, 5] and "not valid JSON" in errors[3] and "not a JSON object" in errors[4]
    assert summary.screened == 1 and summary.hits >= 1

    parquet = tmp_path / "in.parquet"
    pq.write_table(
        pa.table({"id": ["1", None, "3"], "name": ["Usama BIN LADEN", "X", "Maria Schmidt"]}), parquet
    )
    out = tmp_path / "hits2.csv"
    summary = screen_file(screener, parquet, out, workers=1)
    assert read_errors(out) == {2: "missing id"} and summary.screened == 2


@pytest.mark.parametrize(
    ("name", "content", "out_name"),
    [
        ("empty.csv", "", "hits.csv"),
        ("header.csv", "id,name,type\n", "hits.csv"),
        ("bom-header.csv", "\ufeffid,name\r\n", "hits.jsonl"),
        ("empty.jsonl", "", "hits.parquet"),
    ],
)
def test_empty_input_gives_an_empty_output(
    screener: Screener, tmp_path: Path, name: str, content: str, out_name: str
) -> None:
    src = write_csv(tmp_path / name, content)
    out = tmp_path / out_name
    summary = screen_file(screener, src, out, workers=2)
    assert (summary.rows_read, summary.screened, summary.errors, summary.hits) == (0, 0, 0, 0)
    assert read_hits(out) == []
    if out.suffix == ".csv":
        assert out.read_text(encoding="utf-8") == ",".join(OUTPUT_COLUMNS) + "\n"
    if out.suffix == ".parquet":
        assert pq.read_table(out).column_names == list(OUTPUT_COLUMNS)


def test_input_without_a_name_column_is_refused(screener: Screener, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", "id,full_name\n1,X\n")
    with pytest.raises(InputError, match="no 'name' column"):
        screen_file(screener, src, tmp_path / "hits.csv")
    assert not (tmp_path / "hits.csv").exists()
    with pytest.raises(InputError, match="extension"):
        screen_file(screener, write_csv(tmp_path / "in.txt", "id,name\n"), tmp_path / "hits.csv")
    with pytest.raises(BatchError, match="threshold"):
        screen_file(screener, src, tmp_path / "hits.csv", threshold=1.5)
    good = write_csv(tmp_path / "good.csv", "id,name\n1,X\n")
    with pytest.raises(BatchError, match="overwrite the input"):
        screen_file(screener, good, good)


# --- resuming ---------------------------------------------------------------------------------


class Stop(Exception):
    pass


def stop_after(chunks: int) -> Callable[[int], None]:
    calls: list[int] = []

    def progress(rows_done: int) -> None:
        calls.append(rows_done)
        if len(calls) >= chunks:
            raise Stop(rows_done)

    return progress


@pytest.mark.parametrize("out_name", ["hits.csv", "hits.jsonl", "hits.parquet"])
def test_resume_after_an_interruption(screener: Screener, tmp_path: Path, out_name: str) -> None:
    src = many_names(tmp_path / "in.csv", 40)
    clean = tmp_path / "clean" / out_name
    whole = screen_file(screener, src, clean, workers=1, chunk_size=8)

    out = tmp_path / "run" / out_name
    with pytest.raises(Stop):
        screen_file(screener, src, out, workers=1, chunk_size=8, progress=stop_after(2))
    errors_path, state_path, data_path = output_paths(out, out.suffix[1:])
    state = json.loads(state_path.read_text())
    assert state["records_done"] == 16 and not state["complete"]
    # a crash in the middle of the next chunk leaves half-written rows behind: they must go
    with open(data_path, "ab") as fh:
        fh.write(b'q99,half a row,"')
    with open(errors_path, "ab") as fh:
        fh.write(b"999,half")

    said: list[str] = []
    seen: list[int] = []
    resumed = screen_file(screener, src, out, workers=1, chunk_size=8, progress=seen.append, say=said.append)
    assert resumed.resumed_from == 16 and any("resuming" in s for s in said)
    assert seen[0] == 16 and seen[-1] == 40
    assert resumed.screened_this_run == whole.screened - 15  # q9, among the first 16 rows, was an error
    for field in ("rows_read", "screened", "errors", "hits", "queries_with_hits"):
        assert getattr(resumed, field) == getattr(whole, field), field
    if out.suffix == ".parquet":
        assert read_hits(out) == read_hits(clean)
    else:
        assert out.read_bytes() == clean.read_bytes()
    assert errors_path.read_bytes() == output_paths(clean, out.suffix[1:])[0].read_bytes()

    # once complete, the same command again is a no-op
    again = screen_file(screener, src, out, workers=1, chunk_size=8, say=said.append)
    assert again.already_complete and again.hits == whole.hits and "already complete" in said[-1]


def test_restart_and_refusals(screener: Screener, tmp_path: Path) -> None:
    src = many_names(tmp_path / "in.csv", 12)
    out = tmp_path / "hits.csv"
    with pytest.raises(Stop):
        screen_file(screener, src, out, workers=1, chunk_size=5, progress=stop_after(1))

    # other options or another input: refused, not mixed into the same output
    with pytest.raises(StateMismatch, match=rf"threshold \({DEFAULT_THRESHOLD} then, 0.7 now\)"):
        screen_file(screener, src, out, workers=1, chunk_size=5, threshold=0.7)
    with pytest.raises(StateMismatch, match="limit"):
        screen_file(screener, src, out, workers=1, chunk_size=5, limit=3)
    other = many_names(tmp_path / "other.csv", 13)
    with pytest.raises(StateMismatch, match="the input's content"):
        screen_file(screener, other, out, workers=1, chunk_size=5)

    # --restart starts over with the new options
    summary = screen_file(screener, src, out, workers=1, chunk_size=5, threshold=0.7, restart=True)
    assert summary.resumed_from == 0 and summary.rows_read == 12
    assert all(h["score"] >= 0.7 for h in read_hits(out))

    # an output with no state is not ours to overwrite
    output_paths(out, "csv")[1].unlink()
    with pytest.raises(OutputExists, match="--restart"):
        screen_file(screener, src, out, workers=1)
    assert screen_file(screener, src, out, workers=1, restart=True).rows_read == 12


# --- every core -------------------------------------------------------------------------------


def test_two_workers_write_what_one_writes(screener: Screener, tmp_path: Path) -> None:
    src = many_names(tmp_path / "in.csv", 60)
    one = screen_file(screener, src, tmp_path / "one.csv", workers=1, chunk_size=10)
    seen: list[int] = []
    two = screen_file(screener, src, tmp_path / "two.csv", workers=2, chunk_size=10, progress=seen.append)
    assert two.workers == 2 and one.workers == 1
    assert seen == [10, 20, 30, 40, 50, 60]  # in input order
    assert (tmp_path / "two.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert (tmp_path / "two.csv.errors.csv").read_bytes() == (tmp_path / "one.csv.errors.csv").read_bytes()
    assert two.hits == one.hits > 0


def test_csv_outputs_cannot_carry_formulas(screener: Screener, tmp_path: Path) -> None:
    """Ids and names from a batch file reach the hits and errors CSVs as text, never as formulas.

    OWASP's rule for CSV injection: a cell starting with = + - @ tab or CR gets a leading quote.
    """
    formula = '=HYPERLINK("http://x","y")'
    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name"])
        w.writerow([formula, "AEROCARIBBEAN AIRLINES"])  # a hit: its query_id is the formula
        w.writerow(["q2", "@AEROCARIBBEAN AIRLINES"])  # a hit: its query_name starts with @
        w.writerow(["+q3", ""])  # an error row: its id starts with +
    out = tmp_path / "hits.csv"
    screen_file(screener, src, out, workers=1)
    hits = read_hits(out)
    assert {h["query_id"] for h in hits} == {"'" + formula, "q2"}
    assert {h["query_name"] for h in hits if h["query_id"] == "q2"} == {"'@AEROCARIBBEAN AIRLINES"}
    with open(output_paths(out, "csv")[0], encoding="utf-8", newline="") as fh:
        errors = list(csv.DictReader(fh))
    assert [e["id"] for e in errors] == ["'+q3"]
    for path in (out, output_paths(out, "csv")[0]):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                assert not [c for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")], row
