"""``proscribe screen`` and ``proscribe screen-file``, run as a user would, on the real lists."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from proscribe.cli.app import app


@pytest.fixture(scope="module")
def cli(real_store_url: str, xdg_cache: Path) -> CliRunner:
    # XDG_CACHE_HOME: the index is cached there, not in the user's own cache folder
    return CliRunner(env={"PROSCRIBE_DB": real_store_url, "XDG_CACHE_HOME": str(xdg_cache), "COLUMNS": "200"})


def run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_screen_shows_the_listing(cli: CliRunner) -> None:
    code, out, err = run(cli, "screen", "AEROCARIBBEAN AIRLINES", "--as-of", "2021-07-01")
    assert code == 0, err
    assert "AEROCARIBBEAN AIRLINES" in out and "us_ofac_sdn" in out and "CUBA" in out


def test_screen_json(cli: CliRunner) -> None:
    code, out, err = run(
        cli, "screen", "Usama BIN LADEN", "--type", "person", "--birth-date", "1957",
        "--country", "Saudi Arabia", "--as-of", "2021-07-01", "--json",
    )  # fmt: skip
    assert code == 0, err
    hits = json.loads(out)
    assert hits[0]["entity_id"] == "ofac-6365" and hits[0]["schema"] == "Person"
    assert all(h["schema"] == "Person" for h in hits)  # --type person: no organisations
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_screen_filters_and_no_hits(cli: CliRunner) -> None:
    code, out, _ = run(
        cli, "screen", "Usama BIN LADEN", "--dataset", "un_sc_sanctions", "--as-of", "2021-07-01", "--json"
    )
    assert code == 0 and {h["dataset"] for h in json.loads(out)} == {"un_sc_sanctions"}
    code, out, _ = run(cli, "screen", "Maria Schmidt", "--as-of", "2021-07-01")
    assert code == 0 and "no hits" in out
    code, out, _ = run(cli, "screen", "Maria Schmidt", "--as-of", "2021-07-01", "--json")
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "alien"], "unknown type"),
        (["--birth-date", "1957-13"], "bad birth date"),
        (["--country", "Atlantis"], "unknown country"),
        (["--threshold", "1.5"], "between 0 and 1"),
        (["--as-of", "yesterday"], "YYYY-MM-DD"),
    ],
)
def test_screen_bad_options_exit_2(cli: CliRunner, args: list[str], message: str) -> None:
    code, _, err = run(cli, "screen", "Usama BIN LADEN", *args)
    assert code == 2 and message in err


def test_screen_file_end_to_end(cli: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "names.csv"
    src.write_text(
        "id,name,type,birth_date,country\n"
        "1,AEROCARIBBEAN AIRLINES,organization,,cu\n"
        "2,Maria Schmidt,person,1980,Germany\n"
        "3,,person,,\n"
        "4,Usama BIN LADEN,person,1957-99,\n"
        "5,Ismael ZAMBADA GARCIA,person,1948,Mexico\n",
        encoding="utf-8",
    )
    out = tmp_path / "out" / "hits.csv"
    args = ["screen-file", str(src), "--out", str(out), "--as-of", "2021-07-01", "--workers", "1"]
    code, stdout, err = run(cli, *args)
    assert code == 0, err
    assert "5 rows" in stdout and "2 errors" in stdout and "hits.csv.errors.csv" in stdout
    with open(out, encoding="utf-8", newline="") as fh:
        hits = list(csv.DictReader(fh))
    assert {h["query_id"] for h in hits} == {"1", "5"}
    errors = (tmp_path / "out" / "hits.csv.errors.csv").read_text(encoding="utf-8").splitlines()
    assert errors[0] == "line,id,reason" and errors[1].startswith("4,3,missing name")
    assert errors[2].startswith("5,4,bad birth date")

    # again: already complete, nothing done; other options: refused; --restart: done again
    code, stdout, err = run(cli, *args, "--json")
    assert code == 0 and json.loads(stdout)["already_complete"] is True
    code, _, err = run(cli, *args, "--threshold", "0.9")
    assert code == 1 and "--restart" in err
    code, stdout, err = run(cli, *args, "--threshold", "0.9", "--restart", "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["rows_read"] == 5 and summary["errors"] == 2 and summary["resumed_from"] == 0


def test_screen_file_formats_and_bad_options(cli: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "names.jsonl"
    src.write_text('{"id": "1", "name": "AEROCARIBBEAN AIRLINES"}\n', encoding="utf-8")
    out = tmp_path / "hits.data"
    code, stdout, err = run(
        cli,
        "screen-file",
        str(src),
        "--out",
        str(out),
        "--format",
        "jsonl",
        "--as-of",
        "2021-07-01",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["entity_id"] == "ofac-36"
    assert json.loads(stdout)["hits"] >= 1

    for extra, message in [
        (["--format", "xls"], "--format"),
        (["--threshold", "-0.1"], "between 0 and 1"),
        (["--workers", "0"], "--workers"),
    ]:
        code, _, err = run(cli, "screen-file", str(src), "--out", str(tmp_path / "x.csv"), *extra)
        assert code == 2 and message in err, (extra, err)
    noname = tmp_path / "noname.csv"
    noname.write_text("id,fullname\n1,X\n", encoding="utf-8")
    code, _, err = run(cli, "screen-file", str(noname), "--out", str(tmp_path / "y.csv"))
    assert code == 2 and "no 'name' column" in err
    code, _, err = run(cli, "screen-file", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "z.csv"))
    assert code == 2 and "no such file" in err
