"""No Python repr and no raw FollowTheMoney property name reaches a person at the command line.

A representative day on real data (the UN list, the ICC registry, the worked example's bank): lists,
listings, screening, the book, an alert decided and approved under four eyes, the block it makes,
the ledger, a travel check, the reports due. Every human-readable output is checked with the same
rules as the documentation's commands (tests/test_docs_commands.py: RAW).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_people import as_, keys_for
from proscribe.cli.app import app
from test_docs_commands import raw_output

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "examples" / "icc_bank"


def test_raw_output_is_recognised() -> None:
    assert raw_output("effect: {'outcome': 'blocked'}")
    assert raw_output("moved: False")
    assert raw_output("~ 16688 Sergei IVANOV: Sanction.programId, firstName")
    assert raw_output("birth date 1970-03-30 agrees; country gb agrees")
    assert raw_output("country pk not among gb")
    assert not raw_output("Program ID  CUBA\nBirth date  1961-01-31\nfunds moved: no")


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory, un_xml: Path) -> list[tuple[str, str]]:
    """(command, output) for each command of the day, in order."""
    url = f"sqlite:///{tmp_path_factory.mktemp('honest') / 'day.db'}"
    cli = CliRunner(env={"PROSCRIBE_DB": url, "COLUMNS": "200"})
    seen: list[tuple[str, str]] = []

    def run(*args: str, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> str:
        result = cli.invoke(app, list(args), env=env)
        assert result.exit_code in ok, (args, result.output)
        seen.append((" ".join(args), result.output))
        return result.output

    run("lists", "import", str(un_xml))
    keys = keys_for(url, alice="analyst", bob="approver")
    run("lists", "status")
    run("lists", "history", "un_sc_sanctions")
    run("entity", "show", "un_sc_sanctions", "QDi.263")
    run("entity", "show", "proscribe_icc", "icc-bensouda-fatou", "--as-of", "2021-01-01")
    run("programs")
    run("policy", "show")
    run("programs", "ICC-EO14203")
    run("screen", "Hafiz Muhammad Saeed")
    run("screen", "Fatou Bensouda", "--as-of", "2021-01-01")
    run(
        "customers", "import", "--parties", str(BANK / "parties.csv"),
        "--accounts", str(BANK / "accounts.csv"), "--roles", str(BANK / "roles.csv"),
        "--ownership", str(BANK / "ownership.csv"),
        env=as_(keys["alice"]),
    )  # fmt: skip
    run("customers", "show", "O-3001")
    run("rescreen", env=as_(keys["alice"]))
    run("alerts", "list")
    run("alerts", "show", "1")
    run("alerts", "decide", "1", "true_match", "--reason", "same person", env=as_(keys["alice"]))
    run("alerts", "approve", "1", env=as_(keys["bob"]))
    run("blocks", "list")
    run("accounts", "list", "--blocked")
    run("accounts", "show", "BLK-A-1001")
    run("accounts", "show", "A-1001")  # the block's entry quotes the matcher's explanation
    run("accounts", "withdraw", "BLK-A-1001", "100", "--reason", "rent", env=as_(keys["alice"]), ok=(1,))
    run("travel", "check", "--name", "Fatou Bensouda", "--birth-date", "1961-01-31", "--on", "2020-09-21",
        env=as_(keys["alice"]), ok=(4,))  # fmt: skip
    run("travel", "check", "--name", "Karim Khan", "--birth-date", "1985-07-14", "--nationality", "PK",
        env=as_(keys["alice"]), ok=(0, 3))  # fmt: skip
    run("reports", "due")
    report = tmp_path_factory.mktemp("report") / "report.html"
    run("reports", "show", "1")
    run("reports", "show", "1", "--format", "html", "--out", str(report))
    seen.append(("report.html", report.read_text()))
    run("blocks", "release", "1", "--kind", "compliance_release", "--license", "OFAC case 2025-0001",
        "--reason", "OFAC answered the 501.806 request",
        env=as_(keys["alice"]))  # fmt: skip
    run("alerts", "approve", "2", env=as_(keys["bob"]))
    run("blocks", "list", "--all")
    run("accounts", "show", "BLK-A-1001")
    run("audit", "verify")
    return seen


def test_the_explanation_keeps_its_words_and_names_its_countries(day: list[tuple[str, str]]) -> None:
    """The token list in brackets was read as Rich markup and vanished; countries were ISO codes."""
    out = dict(day)["alerts show 1"]
    assert "[karim=karim, khan=khan" in out, out
    assert "country United Kingdom agrees" in out, out
    assert "country United Kingdom agrees" in dict(day)["accounts show A-1001"]
    # the opening entry names the file it came from, not the folders of the machine that imported it
    assert "opening balance (accounts.csv)" in dict(day)["accounts show A-1001"]
    assert str(BANK) not in dict(day)["accounts show A-1001"]
    checked = dict(day)["travel check --name Karim Khan --birth-date 1985-07-14 --nationality PK"]
    assert "country Pakistan not among United Kingdom" in checked, checked


def test_a_release_is_named_in_words(day: list[tuple[str, str]]) -> None:
    out = dict(day)["blocks list --all"]
    assert "(compliance release)" in out and "compliance_release" not in out, out
    # the ledger's entry for the release (the last "accounts show BLK-A-1001" of the day)
    assert "released (compliance release)" in dict(day)["accounts show BLK-A-1001"]


def test_the_audit_trails_span_is_written_for_a_person(day: list[tuple[str, str]]) -> None:
    out = dict(day)["audit verify"]
    assert re.search(
        r"records \(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC to \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\)", out
    ), out


@pytest.fixture(scope="module")
def new_store(tmp_path_factory: pytest.TempPathFactory) -> CliRunner:
    """A store just made: the ICC registry and nothing else."""
    url = f"sqlite:///{tmp_path_factory.mktemp('new') / 'new.db'}"
    return CliRunner(env={"PROSCRIBE_DB": url, "COLUMNS": "40"})


def test_an_empty_audit_trail_is_said_in_words(new_store: CliRunner) -> None:
    result = new_store.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "0 records (none yet)" in result.output and "None" not in result.output, result.output


def test_an_unknown_alert_status_is_an_error_naming_the_statuses(new_store: CliRunner) -> None:
    """``--status nosuch`` printed "0 alerts" and exited 0, as if the queue were empty."""
    result = new_store.invoke(app, ["alerts", "list", "--status", "nosuch"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "no alert status 'nosuch'" in lines[0] and "false_positive" in lines[0], lines
    assert new_store.invoke(app, ["alerts", "list", "--status", "true_match"]).exit_code == 0


def test_an_error_names_a_path_with_brackets_whole(new_store: CliRunner, tmp_path: Path) -> None:
    """A path (or a value) holding ``[bold]`` was read as Rich markup: the error named another file."""
    missing = tmp_path / "[bold]sdn" / "[x] list.xml"
    result = new_store.invoke(app, ["lists", "import", str(missing)])
    assert result.exit_code == 1, result.output
    assert f"error: {missing}: no such file or folder" in result.output, result.output


def test_the_approval_says_what_it_did_in_words(day: list[tuple[str, str]]) -> None:
    out = dict(day)["alerts approve 1"]
    assert "approved" in out and "blocks made: block 1" in out, out
    assert "outcome: true match" in out, out


def test_no_python_repr_or_property_name_reaches_a_person(day: list[tuple[str, str]]) -> None:
    found = {command: raw for command, out in day if (raw := raw_output(out))}
    assert not found, found


def test_the_explanations_countries_are_whole_words() -> None:
    """A travel check's reason as stored (a real one, from the worked example): ``set aside`` after the
    list of codes was read as ``se`` (Sweden) + "t aside"; FtM's four-letter codes were left as codes."""
    from proscribe.labels import explanation

    stored = "country us not among ge, ru, set aside: ABDUL RAHMAN YASIN (un_sc_sanctions QDi.037)"
    assert explanation(stored) == (
        "country United States not among Georgia, Russia, set aside: ABDUL RAHMAN YASIN"
        " (un_sc_sanctions QDi.037)"
    )
    assert explanation("country suhh agrees") == "country Soviet Union agrees"


def test_a_report_writes_the_ownership_chain_and_countries_in_words(day: list[tuple[str, str]]) -> None:
    """The 50 percent rule's chain was written into the report as JSON (``{"basis": ...}``); the HTML
    report showed the owner's country as ``nl`` and the matcher's ``country gb agrees``."""
    import csv

    from proscribe.enforcement import reports
    from proscribe.enforcement.ownership import Edge, apply_rule

    with (BANK / "ownership.csv").open() as f:
        edges = [Edge(r["owner"], r["owned"], Decimal(r["share"])) for r in csv.DictReader(f)]
    with (BANK / "parties.csv").open() as f:
        kinds = {r["id"]: r["kind"] for r in csv.DictReader(f)}
    listed = {"C-1002": (["icc-bensouda-fatou"], ["ICC-EO13928"]), "P-2001": (["icc-mochochoko-phakiso"], [])}
    chain = reports._chain_text(apply_rule(listed, edges, kinds)["O-3003"].chain())
    assert chain == (
        "O-3001 owns 100% (blocked under the 50 percent rule), itself owned by: "
        "[C-1002 owns 35% (listed: icc-bensouda-fatou); P-2001 owns 25% (listed: icc-mochochoko-phakiso)]"
    )
    html = dict(day)["report.html"]
    assert "<th>Country</th><td>Netherlands</td>" in html, html  # Karim Khan's, C-1001
    assert "country United Kingdom agrees" in html and "country gb agrees" not in html


def test_a_report_is_read_as_text_at_the_command_line(day: list[tuple[str, str]]) -> None:
    """``reports show 1`` printed the report as JSON (``"country": "nl"``, ``"note": null``)."""
    out = dict(day)["reports show 1"]
    assert not out.lstrip().startswith("{") and "null" not in out, out
    assert "Report of blocked property" in out and "  Country: Netherlands" in out, out
    assert "country United Kingdom agrees" in out, out


def test_the_policy_says_its_basis_in_words(day: list[tuple[str, str]]) -> None:
    out = dict(day)["policy show"]
    assert "un_sc_sanctions: risk based -> escalate" in out and "risk_based" not in out, out
