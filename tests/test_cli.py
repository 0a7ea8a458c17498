"""The command-line tool, run as a user would, against a real SQLite store and the real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from proscribe.cli.app import app


@pytest.fixture()
def cli(tmp_path: Path) -> CliRunner:
    return CliRunner(env={"PROSCRIBE_DB": f"sqlite:///{tmp_path / 'cli.db'}"})


def run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_import_status_show(cli: CliRunner, un_xml: Path) -> None:
    code, out, err = run(cli, "lists", "import", str(un_xml), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["dataset"] == "un_sc_sanctions" and result["added"] == 1003
    code, out, _ = run(cli, "lists", "status", "--json")
    status = {s["dataset"]: s for s in json.loads(out)}
    assert status["un_sc_sanctions"]["records"] == 1003
    assert "proscribe_icc" in status  # the registry is loaded by default
    # the same file again changes nothing
    code, out, _ = run(cli, "lists", "import", str(un_xml))
    assert code == 0 and "unchanged" in out


def test_entity_show_as_of(cli: CliRunner) -> None:
    code, out, err = run(
        cli, "entity", "show", "proscribe_icc", "icc-bensouda-fatou", "--as-of", "2021-01-01", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["designated"] is True
    code, out, _ = run(
        cli, "entity", "show", "proscribe_icc", "icc-bensouda-fatou", "--as-of", "2021-06-01", "--json"
    )
    assert json.loads(out)["designated"] is False
    code, out, _ = run(cli, "entity", "show", "proscribe_icc", "icc-bensouda-fatou", "--as-of", "2021-01-01")
    assert code == 0 and "DESIGNATED" in out and "2021-04-02" in out


def test_unknown_entity_and_bad_date(cli: CliRunner) -> None:
    code, _, err = run(cli, "entity", "show", "us_ofac_sdn", "999999999")
    assert code == 1 and "no listing" in err
    code, _, err = run(cli, "entity", "show", "proscribe_icc", "x", "--as-of", "yesterday")
    assert code == 2 and "YYYY-MM-DD" in err


def test_truncated_file_refused_and_previous_kept(cli: CliRunner, un_xml: Path, tmp_path: Path) -> None:
    assert run(cli, "lists", "import", str(un_xml))[0] == 0
    data = un_xml.read_bytes()
    cut = tmp_path / "consolidated.xml"
    cut.write_bytes(data[: len(data) // 2])
    code, _, err = run(cli, "lists", "import", str(cut), "--format", "un-xml")
    assert code == 1
    assert str(cut) in err and "nothing was imported" in err
    code, out, _ = run(cli, "lists", "status", "--json")
    assert {s["dataset"]: s["records"] for s in json.loads(out)}["un_sc_sanctions"] == 1003


def test_update_from_mirror(cli: CliRunner, shared_data: Path) -> None:
    code, out, err = run(cli, "lists", "update", "--mirror", str(shared_data), "--json")
    assert code == 0, err
    out_json = json.loads(out)
    datasets = sorted(r["dataset"] for r in out_json["imports"])
    assert datasets == ["un_sc_sanctions", "us_ofac_sdn"]
    assert out_json["rescreen"] == {"run": None, "skipped": out_json["rescreen"]["skipped"]}
    assert out_json["rescreen"]["skipped"].startswith("the book is empty")
    # the snapshots' dates: UN's from the file itself; OFAC's legacy CSV states none, and its folder
    # (ofac-sdn-2021-07) gives the month only: the month's last day, shown as "date unknown"
    code, out, _ = run(cli, "lists", "status", "--json")
    status = {s["dataset"]: s for s in json.loads(out)}
    assert (status["un_sc_sanctions"]["as_of"], status["un_sc_sanctions"]["date_known"]) == (
        "2026-02-27",
        True,
    )
    ofac = status["us_ofac_sdn"]
    assert (ofac["as_of"], ofac["date_known"], ofac["as_of_month"]) == ("2021-07-31", False, "2021-07")
    code, out, _ = run(cli, "lists", "status")
    [row] = [line for line in out.splitlines() if line.startswith("│ us_ofac_sdn")]
    assert "date unknown (2021-07)*" in row and "fresh" not in out
    assert "* us_ofac_sdn: the file carried no date; its folder's name gives the month 2021-07 only" in out
    code, out, _ = run(cli, "lists", "history", "us_ofac_sdn")
    assert "date unknown (2021-07)" in out


def test_programs(cli: CliRunner) -> None:
    code, out, err = run(cli, "programs", "--json")
    assert code == 0, err
    codes = {p["code"] for p in json.loads(out)}
    assert {"ICC-EO13928", "ICC-EO14203"} <= codes
    code, out, _ = run(cli, "programs", "ICC-EO14203")
    assert code == 0 and "14203" in out
    code, _, err = run(cli, "programs", "NOPE")
    assert code == 1 and "no program" in err


def test_unknown_format_and_missing_path(cli: CliRunner, tmp_path: Path) -> None:
    code, _, err = run(cli, "lists", "import", str(tmp_path / "nope.csv"))
    assert code == 1 and "no such file" in err
    code, _, err = run(cli, "lists", "import", str(tmp_path), "--format", "pdf")
    assert code == 2 and "unknown format" in err
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    code, _, err = run(cli, "lists", "import", str(junk))
    assert code == 1 and "not a list format" in err


def test_screen_filters_naming_nothing_are_errors(cli: CliRunner) -> None:
    # a misspelt list or program would screen against nothing and read as a clean "no hits"
    code, out, err = run(cli, "screen", "Karim Khan", "--dataset", "NOSUCH")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no list 'NOSUCH'" in err and "proscribe_icc" in err
    code, _, err = run(cli, "screen", "Karim Khan", "--program", "NOSUCH", "--json")
    assert code == 2 and "no program 'NOSUCH'" in err and "ICC-EO14203" in err
    code, out, err = run(
        cli, "screen", "Karim Asad Ahmad Khan", "--dataset", "proscribe_icc", "--program", "ICC-EO14203"
    )
    assert code == 0 and "icc-khan-karim" in out, err
    # OFAC's tag for the 2020 program is the program
    code, out, err = run(
        cli, "screen", "Fatou Bensouda", "--program", "ICCP-EO13928", "--as-of", "2021-01-01", "--json"
    )
    assert code == 0, err
    assert [h["entity_id"] for h in json.loads(out)][:1] == ["icc-bensouda-fatou"]


def test_undated_file_is_date_unknown_until_its_date_is_given(cli: CliRunner, tmp_path: Path) -> None:
    sdn = tmp_path / "sdn.csv"
    empty = ",".join(['"-0- "'] * 7)
    sdn.write_text(
        "".join(f'{n},"PERSON, Number{n}","individual","SDGT",{empty},"-0- "\r\n' for n in range(1, 6))
    )
    code, out, err = run(cli, "lists", "import", str(sdn))
    assert code == 0, err
    code, out, _ = run(cli, "lists", "status")
    [row] = [line for line in out.splitlines() if line.startswith("│ us_ofac_sdn")]
    assert "date unknown" in row and "fresh" not in out
    assert "the file carried no date" in out and "--as-of" in out
    # the same file with its date: the version in force is re-dated, said so, not "unchanged"
    code, out, err = run(cli, "lists", "import", str(sdn), "--as-of", "2021-07-01")
    assert code == 0, err
    assert out.strip().startswith("us_ofac_sdn: the file is unchanged; version 1 re-dated from ")
    assert out.strip().endswith(" to 2021-07-01")
    code, out, _ = run(cli, "lists", "status", "--json")
    ofac = {s["dataset"]: s for s in json.loads(out)}["us_ofac_sdn"]
    assert (ofac["as_of"], ofac["date_known"], ofac["version"]) == ("2021-07-01", True, 1)
    # a date before nothing, after a dated version: refused in one line, exit 1
    code, out, err = run(cli, "lists", "import", str(sdn), "--as-of", "2999-01-01")
    assert code == 1 and err.count("\n") <= 2 and "in the future" in err


def test_a_mirror_folders_name_dates_an_undated_version(cli: CliRunner, tmp_path: Path) -> None:
    """Imported without a date, then read again from a folder named with its day: re-dated, known;
    from a folder named with its month only: re-dated to the month's last day, still "date unknown"."""
    empty = ",".join(['"-0- "'] * 7)
    rows = "".join(f'{n},"PERSON, Number{n}","individual","SDGT",{empty},"-0- "\r\n' for n in range(1, 6))
    (tmp_path / "sdn.csv").write_text(rows)
    assert run(cli, "lists", "import", str(tmp_path / "sdn.csv"))[0] == 0
    month = tmp_path / "by-month" / "ofac-2021-07"
    month.mkdir(parents=True)
    (month / "sdn.csv").write_text(rows)
    code, out, err = run(cli, "lists", "update", "--mirror", str(month.parent), "--no-rescreen")
    assert code == 0, err
    assert "re-dated from " in out and out.rstrip().endswith(" to 2021-07-31")
    code, out, _ = run(cli, "lists", "status", "--json")
    ofac = {s["dataset"]: s for s in json.loads(out)}["us_ofac_sdn"]
    assert (ofac["as_of"], ofac["date_known"], ofac["as_of_month"], ofac["version"]) == (
        "2021-07-31",
        False,
        "2021-07",
        1,
    )
    day = tmp_path / "by-day" / "ofac-2021-07-14"
    day.mkdir(parents=True)
    (day / "sdn.csv").write_text(rows)
    code, out, err = run(cli, "lists", "update", "--mirror", str(day.parent), "--no-rescreen")
    assert code == 0 and out.rstrip().endswith("re-dated from 2021-07-31 to 2021-07-14"), err
    code, out, _ = run(cli, "lists", "status", "--json")
    ofac = {s["dataset"]: s for s in json.loads(out)}["us_ofac_sdn"]
    assert (ofac["as_of"], ofac["date_known"], ofac["as_of_month"]) == ("2021-07-14", True, None)
    # a dated version is never re-dated by a folder's name
    code, out, err = run(cli, "lists", "update", "--mirror", str(month.parent), "--no-rescreen")
    assert code == 0 and "unchanged (version 1 of 2021-07-14 is in force)" in out, err
