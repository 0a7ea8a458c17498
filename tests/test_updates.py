"""Updates that re-screen what changed, on OFAC's real history (``lists replay --rescreen``,
``lists update``, ``serve --update-every``).

The versions are real files cut down to a slice so that each import takes a moment: five versions
OFAC published (22 and 30 Dec 2021, 25 and 26 Feb 2022, 1 Mar 2022), each keeping its own rows, byte
for byte, of the listings these tests follow (NORIEGA, 1572, delisted on 30 Dec 2021; LAVROV, 35233,
listed on 26 Feb 2022; MBAGA, 35058, listed on 1 Mar 2022), of every listing the five versions add,
and of 300 listings present throughout, picked at random. Among the 150 listings the version of
30 Dec removes only NORIEGA is kept (all 150 would trip the guard against mass delistings in a slice
this small). The customers write their names as customers do, not as OFAC does.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import lzma
import os
import random
import tarfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from proscribe.cli.app import app
from proscribe.enforcement import decisions
from proscribe.enforcement.book import import_book
from proscribe.matching.index import Index
from proscribe.matching.score import Query
from proscribe.screening import Screener
from proscribe.service.config import ServiceConfig
from proscribe.service.live import LiveServer
from proscribe.service.updater import parse_interval
from proscribe.store import Store, users
from proscribe.store.casework import Alert, Block, ScreeningRun

FILES = (
    ("sdn-2021-12-22T185116Z.csv", datetime(2021, 12, 22, 18, 51, 16, tzinfo=UTC)),
    ("sdn-2021-12-30T185050Z.csv", datetime(2021, 12, 30, 18, 50, 50, tzinfo=UTC)),
    ("sdn-2022-02-25T015029Z.csv", datetime(2022, 2, 25, 1, 50, 29, tzinfo=UTC)),
    ("sdn-2022-02-26T014201Z.csv", datetime(2022, 2, 26, 1, 42, 1, tzinfo=UTC)),
    ("sdn-2022-03-01T184726Z.csv", datetime(2022, 3, 1, 18, 47, 26, tzinfo=UTC)),
)
NORIEGA, LAVROV, MBAGA = "1572", "35233", "35058"

PARTIES = """id,kind,name,aliases,birth_date,nationality,country,gender,id_number,id_country,address,customer
C-1,person,Manuel Noriega,Manuel A. Noriega,,Panama,PA,male,,,"Panama City",yes
C-2,person,Sergey Lavrov,Sergey V. Lavrov,1950-03-21,Russia,RU,male,,,"Moscow",yes
C-3,person,Peter C. Mbaga,Peter Mbaga,1976-09-25,Tanzania,TZ,male,,,"Dar es Salaam",yes
C-4,person,Anna Kowalska,,1985-06-02,Poland,PL,female,,,"Krakow",yes
C-5,organization,Northwind Shipping Ltd,,,,GB,,,,"London",yes
"""


def _rows(data: bytes) -> dict[str, bytes]:
    """ent_num -> the row's own bytes (a record may span lines inside quotes: csv finds its end)."""
    text = data.decode("utf-8").rstrip("\x1a")
    out: dict[str, bytes] = {}
    reader = csv.reader(io.StringIO(text, newline=""))
    lines = text.splitlines(keepends=True)
    start = 0
    for row in reader:
        end = reader.line_num
        if row and row[0].strip().isdigit():
            out[str(int(row[0]))] = "".join(lines[start:end]).encode("utf-8")
        start = end
    return out


@pytest.fixture(scope="module")
def versions(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The five sliced versions, written under their own names in a temporary folder."""
    wanted = {name for name, _ in FILES}
    raw: dict[str, bytes] = {}
    archive = shared_data / "ofac-sdn-history" / "sdn-2021-08-to-2024-05.tar.xz"
    with lzma.open(archive) as fh, tarfile.open(fileobj=fh, mode="r|") as tf:
        for member in tf:
            name = member.name.rsplit("/", 1)[-1]
            if name in wanted:
                f = tf.extractfile(member)
                assert f is not None
                raw[name] = f.read()
    rows = {name: _rows(raw[name]) for name, _ in FILES}
    ids = [set(rows[name]) for name, _ in FILES]
    throughout = set.intersection(*ids)
    added = set.union(*ids[1:]) - ids[0]
    keep = set(random.Random(11).sample(sorted(throughout), 300)) | added | {NORIEGA}
    assert NORIEGA in ids[0] and NORIEGA not in ids[1]
    assert LAVROV in ids[3] and LAVROV not in ids[2] and MBAGA in ids[4] and MBAGA not in ids[3]
    folder = tmp_path_factory.mktemp("versions")
    out: dict[str, Path] = {}
    for name, _ in FILES:
        path = folder / name
        path.write_bytes(b"".join(row for num, row in rows[name].items() if num in keep))
        out[name] = path
    return out


def _run(cli: CliRunner, *args: str) -> tuple[int, str, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _book(store: Store, folder: Path) -> None:
    parties = folder / "parties.csv"
    parties.write_text(PARTIES)
    with Session(store.engine) as s, s.begin():
        import_book(
            s,
            parties=parties,
            accounts=None,
            roles=None,
            ownership=None,
            actor="loader",
        )
        for name, role in (("ann", "analyst"), ("pat", "approver")):
            users.create_user(s, name, role, actor="setup", password="a long enough password")


def _alerts(store: Store) -> list[Alert]:
    with Session(store.engine) as s:
        return list(s.scalars(select(Alert).order_by(Alert.id)))


def test_replay_and_update_rescreen_what_changed(versions: dict[str, Path], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    cli = CliRunner(env={"PROSCRIBE_DB": url})
    store = Store.open(url)
    _book(store, tmp_path)
    v = [versions[name] for name, _ in FILES]

    # 22 Dec 2021: the first version; the first run screens the whole book, NORIEGA's customer alerts
    code, out, err = _run(cli, "lists", "replay", str(v[0]), "--rescreen", "--json")
    assert code == 0, err
    [step] = json.loads(out)
    assert step["rescreen"]["run"]["note"].startswith("no earlier run")
    [noriega] = [a for a in _alerts(store) if a.party_id == "C-1"]
    assert noriega.source_id == NORIEGA and noriega.opened_at == FILES[0][1]
    # the bank confirms the match under four eyes: his property is blocked
    with Session(store.engine) as s, s.begin():
        decision = decisions.decide(
            s, alert_id=noriega.id, outcome="true_match", reason="the same man", actor="ann"
        )
        decisions.approve(s, decision_id=decision.id, actor="pat")
    with Session(store.engine) as s:
        [block] = s.scalars(select(Block).where(Block.party_id == "C-1", Block.released_at.is_(None))).all()
        assert block.entity_id == noriega.entity_id

    # 30 Dec 2021 to 26 Feb 2022, one delta run after each version, dated by its publication
    before = {a.id for a in _alerts(store)}
    code, out, err = _run(cli, "lists", "replay", *map(str, v[1:4]), "--rescreen")
    assert code == 0, err
    assert out.count("re-screen run") == 3
    new = [a for a in _alerts(store) if a.id not in before]
    [release] = [a for a in new if a.kind == "delisted"]
    assert release.party_id == "C-1" and release.evidence["block"] == block.id
    assert release.opened_at == FILES[1][1]  # the day NORIEGA left the list
    [lavrov] = [a for a in new if a.party_id == "C-2"]
    assert lavrov.source_id == LAVROV and lavrov.opened_at == FILES[3][1]  # the day he was listed
    assert not [a for a in new if a.party_id == "C-3"]  # MBAGA is not listed yet
    assert not [a for a in new if a.party_id == "C-1" and a.kind == "match"]  # no second alert
    # each delta run screened exactly what its version added or changed, and opened alerts only there
    with Session(store.engine) as s:
        runs = list(s.scalars(select(ScreeningRun).order_by(ScreeningRun.id)))[1:]
    diffs = [
        json.loads(_run(cli, "lists", "diff", "us_ofac_sdn", str(n), str(n + 1), "--json")[1])
        for n in (1, 2, 3)
    ]
    for run, d in zip(runs, diffs, strict=True):
        touched = {x["source_id"] for x in d["added"] + d["changed"]}
        assert run.mode == "delta" and run.listings_screened == len(touched)
        # the book, imported today, was read by the first run: runs dated in the past do not count
        # its parties as changed since
        assert "5 parties screened against the changed listings, 0 new or changed parties" in run.note
        assert {a.source_id for a in new if a.run_id == run.id and a.kind == "match"} <= touched

    # 1 Mar 2022 arrives as a plain update from a mirror folder: imported, then re-screened at once
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "sdn.csv").write_bytes(v[4].read_bytes())
    before = {a.id for a in _alerts(store)}
    code, out, err = _run(cli, "lists", "update", "--mirror", str(mirror), "--json")
    assert code == 0, err
    result = json.loads(out)
    [imported] = result["imports"]
    run = result["rescreen"]["run"]
    # the run is as of today: the registry's designations that began since 26 Feb 2022 come in too
    icc = ["proscribe_icc"]
    then, now = store.designated_checksums(FILES[3][1].date(), icc), store.designated_checksums(None, icc)
    began = {eid for eid, v in now.items() if then.get(eid) != v}
    assert run["mode"] == "delta"
    assert run["listings_screened"] == imported["added"] + imported["changed"] + len(began)
    new = [a for a in _alerts(store) if a.id not in before]
    assert [a.party_id for a in new if a.source_id == MBAGA] == ["C-3"]
    assert {a.id for a in new} == set(run["alert_ids"])
    # nothing changed: nothing is screened; --no-rescreen imports without screening
    code, out, err = _run(cli, "lists", "update", "--mirror", str(mirror))
    assert code == 0 and "unchanged" in out and "no re-screen: no list changed" in out, err
    code, out, err = _run(cli, "lists", "update", "--mirror", str(mirror), "--no-rescreen", "--json")
    assert code == 0 and json.loads(out)["rescreen"] is None, err
    store.close()


def test_a_delta_finds_what_a_full_screen_finds_with_the_same_scores(
    versions: dict[str, Path], tmp_path: Path
) -> None:
    """The delta screens against an index of the changed listings alone: for those listings its
    hits and scores are the full index's."""
    store = Store.open(f"sqlite:///{tmp_path / 'lists.db'}", load_registry=False)
    for name, when in FILES[2:4]:
        cli_store_import(store, versions[name], when)
    day = FILES[3][1].date()
    # what the delta compares (read from the stored data) is what the records say, on any day
    for when in (date(2022, 2, 1), FILES[2][1].date(), day, date(2031, 1, 1)):
        assert set(store.designated_checksums(when)) == {r.target.id for r in store.iter_designated(when)}
    diff = store.diff("us_ofac_sdn", 1, 2)
    added = {x["source_id"] for x in diff.added}
    changed = {eid for eid, (_, sid, _) in store.designated_checksums(day).items() if sid in added}
    assert len(changed) == 4  # PUTIN, SHOIGU, GERASIMOV, LAVROV
    full = Screener(Index.build(store.iter_designated(day)))
    part = Screener(Index.build(store.designated_among(changed, day)))
    queries = [Query(name=x["caption"]) for x in diff.added] + [
        Query(name="Sergey Lavrov", kind="person", birth_date="1950-03-21", country="ru"),
        Query(name="Vladimir Putin", kind="person"),
        Query(name="Valeriy Gerasimov", kind="person"),
        Query(name="Sergei Shoygu", kind="person"),
        Query(name="Anna Kowalska", kind="person"),
    ]
    found = 0
    for q in queries:
        want = [
            (h.entity_id, h.score) for h in full.screen(q, threshold=0.3, limit=50) if h.entity_id in changed
        ]
        got = [(h.entity_id, h.score) for h in part.screen(q, threshold=0.3, limit=50)]
        assert got == want, q.name
        found += len(got)
    assert found >= 8
    store.close()


def cli_store_import(store: Store, path: Path, when: datetime) -> None:
    from proscribe.sources import ofac_csv

    store.apply(
        ofac_csv.read_sdn_bytes(path.read_bytes(), path.name, dataset=ofac_csv.DATASET), published_at=when
    )


def test_interval_parsing() -> None:
    assert parse_interval("6h") == 21600 and parse_interval("30m") == 1800 and parse_interval("1d") == 86400
    assert parse_interval("90") == 90 and parse_interval("1.5h") == 5400
    for bad in ("6 hours", "h", "0s", "-1h", ""):
        with pytest.raises(ValueError, match="interval"):
            parse_interval(bad)


@pytest.fixture()
def scheduled(
    versions: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[tuple[LiveServer, Path]]:
    caplog.set_level(logging.INFO, logger="proscribe.updates")  # before the first run
    url = f"sqlite:///{tmp_path / 'service.db'}"
    store = Store.open(url)
    _book(store, tmp_path)
    store.close()
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "sdn.csv").write_bytes(versions[FILES[4][0]].read_bytes())
    config = ServiceConfig(db=url, index_cache=tmp_path / "idx", lists_mirror=mirror, update_every=0.5)
    with LiveServer(config) as server:
        yield server, mirror


def _wait(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_the_service_updates_on_a_schedule_and_outlives_failures(
    scheduled: tuple[LiveServer, Path], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    server, _ = scheduled
    updater = server.runtime.updater
    _wait(lambda: updater.runs >= 1)
    lines = [r.getMessage() for r in caplog.records if r.name == "proscribe.updates"]
    first = next(line for line in lines if "us_ofac_sdn version 1" in line)
    assert "re-screen run" in first and "next in 0.5s" in first
    alerts = _alerts(server.runtime.store)
    assert [a.party_id for a in alerts if a.source_id == MBAGA] == ["C-3"]
    _wait(lambda: any("unchanged" in r.getMessage() for r in caplog.records))
    # the folder disappears: the run fails, says so in one line, and the service goes on
    server.runtime.config.lists_mirror = tmp_path / "gone"
    _wait(lambda: updater.failures >= 2)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0].startswith("lists update failed: ") and "the lists in force are unchanged" in errors[0]
    assert "Traceback" not in errors[0]
    assert httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200
    assert len(_alerts(server.runtime.store)) == len(alerts)  # nothing opened twice


def test_with_several_workers_the_schedule_runs_once_beside_the_supervisor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve --workers 2`` with PROSCRIBE_UPDATE_EVERY: one updater, in serve's own process.

    The workers make their apps from the environment (``app_from_env``): they must not find the
    schedule there, or each would run its own.
    """
    from proscribe.cli.serve import schedule_in_supervisor

    url = f"sqlite:///{tmp_path / 'service.db'}"
    Store.open(url).close()
    monkeypatch.setenv("PROSCRIBE_UPDATE_EVERY", "6h")
    config = ServiceConfig.from_env(db=url, workers=2)
    assert config.update_every == 21600
    updater = schedule_in_supervisor(config)
    try:
        assert updater is not None and updater.every == 21600
        assert updater._thread is not None and updater._thread.is_alive()
        assert "PROSCRIBE_UPDATE_EVERY" not in os.environ
        assert ServiceConfig.from_env(db=url, workers=2).update_every is None  # what each worker reads
    finally:
        if updater is not None:
            updater.stop()
    assert updater._thread is not None and not updater._thread.is_alive()
    # without a schedule nothing runs in the supervisor
    assert schedule_in_supervisor(ServiceConfig.from_env(db=url, workers=2)) is None
