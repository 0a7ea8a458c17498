"""Who acts at the command line comes from an authenticated source, never from free text (issue 13
item 2): a user's API key, or the OS user an admin mapped to a proscribe user. Decisions without one
are refused in one line; screening runs are the tool's own (``system``); ``--at`` is an admin's
backfill with a reason, never in the future and never before what it acts on."""

from __future__ import annotations

import getpass
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli_people import as_, keys_for
from proscribe.cli.app import app
from proscribe.enforcement.alerts import rescreen
from proscribe.enforcement.book import import_book
from proscribe.store import Store
from proscribe.store.audit import AuditRecord
from proscribe.store.casework import Decision

BOOK = Path(__file__).parent / "fixtures" / "book"
IN_2020 = datetime(2020, 10, 1, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The fixture book screened in 2020 (alerts to decide), and keys of its people; made once."""
    tmp = tmp_path_factory.mktemp("identity")
    url = f"sqlite:///{tmp / 'bank.db'}"
    store = Store.open(url)
    with Session(store.engine) as s, s.begin():
        import_book(
            s,
            parties=BOOK / "parties.csv",
            accounts=BOOK / "accounts.csv",
            roles=BOOK / "roles.csv",
            ownership=BOOK / "ownership.csv",
            actor="loader",
            at=datetime(2020, 9, 1, tzinfo=UTC),
        )
    rescreen(store, mode="full", actor="screening-job", at=IN_2020, cache_dir=tmp / "idx")
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    keys = keys_for(url, ada="admin", eve="admin", ann="analyst", pat="approver", vic="viewer")
    return tmp / "bank.db", keys


@pytest.fixture()
def bank(screened: tuple[Path, dict[str, str]], tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A copy of the screened bank for one test."""
    path, keys = screened
    shutil.copy(path, tmp_path / "bank.db")
    return f"sqlite:///{tmp_path / 'bank.db'}", keys


def cli(url: str) -> CliRunner:
    return CliRunner(env={"PROSCRIBE_DB": url, "PROSCRIBE_API_KEY": None, "PROSCRIBE_KEY_FILE": None})


def run(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = cli(url).invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def decide(url: str, env: dict[str, str] | None, *extra: str) -> tuple[int, str, str]:
    return run(
        url, "alerts", "decide", "1", "false_positive", "--reason", "other person", "--json", *extra, env=env
    )


def test_a_decision_without_an_identity_is_refused_in_one_line(bank: tuple[str, dict[str, str]]) -> None:
    url, _ = bank
    code, out, err = decide(url, None)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "deciding an alert needs to know who you are" in err and "PROSCRIBE_API_KEY" in err
    assert f"proscribe users map-os {getpass.getuser()} USER" in err
    # free text is no way in any more
    code, _, err = decide(url, None, "--actor", "nobody-real")
    assert code == 2 and "--actor" in err
    for args in (
        ("alerts", "approve", "1"),
        ("alerts", "reject", "1", "--note", "no"),
        ("blocks", "release", "1", "--kind", "delisting", "--reason", "r"),
        ("payments", "review", "1", "release", "--reason", "r"),
        ("policy", "use", "eu-bank", "--reason", "r"),
    ):
        code, _, err = run(url, *args)
        assert code == 1 and "needs to know who you are" in err, args


def test_a_key_names_its_owner_and_carries_their_role(bank: tuple[str, dict[str, str]]) -> None:
    url, keys = bank
    code, _, err = decide(url, as_(keys["vic"]))
    assert code == 1 and "needs the analyst role; vic (key " in err and "is viewer" in err
    code, out, err = decide(url, as_(keys["ann"]))
    assert code == 0, err
    decision = json.loads(out)
    assert decision["decided_by"] == "ann"
    # ann's own key is still ann: no approving her own decision, nor with an analyst's rights
    code, _, err = run(url, "alerts", "approve", str(decision["id"]), env=as_(keys["ann"]))
    assert code == 1 and "needs the approver role" in err
    code, out, err = run(url, "alerts", "approve", str(decision["id"]), "--json", env=as_(keys["pat"]))
    assert code == 0, err
    assert json.loads(out)["reviewed_by"] == "pat"


def test_a_bad_revoked_or_disabled_key_is_refused(bank: tuple[str, dict[str, str]]) -> None:
    url, keys = bank
    code, _, err = decide(url, as_("prs_00000000_" + "x" * 43))
    assert code == 1 and err.count("\n") == 1 and "not a live key of an enabled user" in err
    code, _, err = run(url, "users", "disable", "ann", env=as_(keys["ada"]))
    assert code == 0, err
    code, _, err = decide(url, as_(keys["ann"]))
    assert code == 1 and "not a live key" in err


def test_a_key_file_must_be_private(bank: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, keys = bank
    path = tmp_path / "ann.key"
    path.write_text(keys["ann"] + "\n")
    path.chmod(0o644)
    code, _, err = run(
        url, "--key-file", str(path), "alerts", "decide", "1", "false_positive", "--reason", "other person"
    )
    assert code == 1 and "can be read by other users: chmod 600 it" in err
    path.chmod(0o600)
    code, out, err = run(
        url, "--key-file", str(path), "alerts", "decide", "1", "false_positive", "--reason", "other person"
    )
    assert code == 0 and "waiting for a second person" in " ".join(out.split()), err


def test_an_admin_maps_an_os_user(bank: tuple[str, dict[str, str]]) -> None:
    url, keys = bank
    me = getpass.getuser()
    code, _, err = run(url, "users", "map-os", me, "ann", env=as_(keys["pat"]))
    assert code == 1 and "mapping an OS user needs the admin role" in err
    code, _, err = run(url, "users", "map-os", me, "ann", env=as_(keys["ada"]))
    assert code == 0, err
    code, out, err = decide(url, None)
    assert code == 0, err
    assert json.loads(out)["decided_by"] == "ann"
    code, out, _ = run(url, "users", "list", "--json")
    assert [u["os_users"] for u in json.loads(out) if u["username"] == "ann"] == [me]
    # mapping someone is setting their credentials: ada may not review ann's work for 30 days
    code, _, err = run(url, "alerts", "approve", "1", env=as_(keys["ada"]))
    assert code == 2 and "user.map_os" in err
    code, _, err = run(url, "users", "map-os", me, "--remove", env=as_(keys["ada"]))
    assert code == 0, err
    assert decide(url, None)[0] == 1


def test_user_administration_needs_an_admin_once_there_is_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    me = getpass.getuser()
    # an empty store: whoever runs the command makes the first admin (and may map themselves)
    code, _, err = run(url, "users", "add", "ada", "--role", "admin", "--map-os", me)
    assert code == 0, err
    # now the OS user is ada, an admin; another OS user (no key, no mapping) is refused
    code, out, err = run(url, "keys", "create", "--user", "ada", "-q")
    assert code == 0 and out.startswith("prs_"), err
    code, _, err = run(url, "users", "map-os", me, "--remove")
    assert code == 0, err
    code, _, err = run(url, "users", "add", "mallory", "--role", "approver")
    assert code == 1 and "adding a user needs to know who you are" in err
    code, _, err = run(url, "users", "add", "system", "--role", "viewer", env=as_(out.strip()))
    assert code == 1 and "name of the tool's own actions" in err


def test_screening_runs_are_the_tools_own(bank: tuple[str, dict[str, str]]) -> None:
    url, keys = bank
    code, _, err = run(url, "rescreen", "--full", "--json")
    assert code == 0, err
    code, _, err = run(url, "rescreen", "--full", "--json", env=as_(keys["ann"]))
    assert code == 0, err
    store = Store.open(url, load_registry=False)
    with Session(store.engine) as s:
        actors = [
            a for (a,) in s.execute(select(AuditRecord.actor).where(AuditRecord.action == "screening.run"))
        ]
    store.close()
    assert actors[-2:] == ["system", "ann"]


def test_at_is_an_admins_backfill_with_a_reason(bank: tuple[str, dict[str, str]]) -> None:
    url, keys = bank
    code, _, err = decide(url, as_(keys["ann"]), "--at", "2020-10-02T09:00+00:00")
    assert code == 2 and "give the reason with --backfill" in err
    code, _, err = decide(url, as_(keys["ann"]), "--at", "2020-10-02T09:00+00:00", "--backfill", "outage")
    assert code == 1 and "backfilling deciding an alert (--at) needs the admin role" in err
    code, _, err = decide(url, as_(keys["ada"]), "--at", "2100-01-01T00:00+00:00", "--backfill", "outage")
    assert code == 2 and "is in the future" in err
    code, out, err = decide(
        url,
        as_(keys["ada"]),
        "--at",
        "2020-10-02T09:00+00:00",
        "--backfill",
        "decided on paper in the outage",
    )
    assert code == 0, err
    decision_id = json.loads(out)["id"]
    # an approval dated before the decision it approves is refused, backfill or not
    code, _, err = run(
        url,
        "alerts",
        "approve",
        str(decision_id),
        "--at",
        "2020-10-01T09:00+00:00",
        "--backfill",
        "paper",
        env=as_(keys["eve"]),
    )
    assert code == 2 and "cannot be dated before" in err
    store = Store.open(url, load_registry=False)
    with Session(store.engine) as s:
        d = s.get_one(Decision, decision_id)
        assert d.decided_at == datetime(2020, 10, 2, 9, 0, tzinfo=UTC)
        rec = s.scalars(select(AuditRecord).where(AuditRecord.action == "backfill")).one()
        assert (rec.actor, rec.subject, rec.data["reason"]) == (
            "ada",
            f"decision:{decision_id}",
            "decided on paper in the outage",
        )
        assert rec.at > datetime(2026, 1, 1, tzinfo=UTC)  # entered now, for 2020
    store.close()
