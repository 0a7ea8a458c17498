"""Shared fixtures: where the real list snapshots live, and the stores to test against."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from proscribe.screening import Screener
    from proscribe.store import Store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def audit_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The audit key and checkpoints live in a temporary folder: tests never write to the home directory."""
    path = tmp_path_factory.mktemp("audit")
    before = os.environ.get("PROSCRIBE_AUDIT_DIR")
    os.environ["PROSCRIBE_AUDIT_DIR"] = str(path)
    yield path
    if before is None:
        os.environ.pop("PROSCRIBE_AUDIT_DIR", None)
    else:
        os.environ["PROSCRIBE_AUDIT_DIR"] = before


@pytest.fixture(scope="session", autouse=True)
def session_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The service's session key lives in a temporary folder: tests never write to the home directory."""
    path = tmp_path_factory.mktemp("keys") / "session.key"
    before = os.environ.get("PROSCRIBE_SECRET_FILE")
    os.environ["PROSCRIBE_SECRET_FILE"] = str(path)
    yield path
    if before is None:
        os.environ.pop("PROSCRIBE_SECRET_FILE", None)
    else:
        os.environ["PROSCRIBE_SECRET_FILE"] = before


def _shared_data() -> Path:
    return Path(os.environ.get("PROSCRIBE_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real OFAC and UN snapshots (``../shared/data``); the suite needs them."""
    path = _shared_data()
    if not (path / "ofac-sdn-2021-07" / "sdn.csv").exists():
        pytest.fail(f"real list snapshots not found at {path} (set PROSCRIBE_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def ofac_dir(shared_data: Path) -> Path:
    return shared_data / "ofac-sdn-2021-07"


@pytest.fixture(scope="session")
def un_xml(shared_data: Path) -> Path:
    return shared_data / "un-2026-02" / "consolidated.xml"


@pytest.fixture()
def fixtures() -> Path:
    return FIXTURES


# --- stores: every store test runs on SQLite and on PostgreSQL ---------------------------------

PG_ADMIN_URL = os.environ.get("PROSCRIBE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[Callable[[], str]]:
    """Makes throwaway PostgreSQL databases for this test session; drops them all at the end."""
    from sqlalchemy import text

    from proscribe.store.db import make_engine

    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    made: list[str] = []
    base = PG_ADMIN_URL.rsplit("/", 1)[0]

    def new_database() -> str:
        name = f"proscribe_test_{uuid.uuid4().hex[:10]}"
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # the suite promises PostgreSQL coverage: say clearly why it is missing
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is needed for the store tests: {exc}")
        made.append(name)
        return f"{base}/{name}"

    yield new_database
    with admin.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_scratch(pg_databases: Callable[[], str]) -> str:
    """One database that store tests wipe and reuse, one test at a time."""
    return pg_databases()


def _reset_pg(url: str) -> None:
    from sqlalchemy import text

    from proscribe.store.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("pg_scratch")
    _reset_pg(url)
    return url


# An empty store with the ICC registry, as ``Store.open(db_url)`` leaves one, is made once a session
# (on each backend) and copied for each test: loading the registry takes a second or more, and some
# 130 tests start from such a store. Only lists are in it, no audit record: each copy anchors its
# own audit trail when it first writes one.


@pytest.fixture(scope="session")
def _registry_template_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from proscribe.store import Store

    path = tmp_path_factory.mktemp("template") / "store.db"
    Store.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture(scope="session")
def _registry_template_pg(pg_databases: Callable[[], str]) -> str:
    """The name of a PostgreSQL database to copy (``CREATE DATABASE ... TEMPLATE``)."""
    from proscribe.store import Store

    url = pg_databases()
    Store.open(url).close()  # no connection may stay open to a template
    return url.rsplit("/", 1)[1]


def _copy_pg(template: str, url: str) -> None:
    from sqlalchemy import text

    from proscribe.store.db import make_engine

    name = url.rsplit("/", 1)[1]
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            for attempt in range(50):
                try:
                    conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
                    break
                except Exception as exc:  # autovacuum may hold the template for a moment
                    if "being accessed by other users" not in str(exc) or attempt == 49:
                        raise
                    time.sleep(0.1)
    finally:
        admin.dispose()


@pytest.fixture()
def registry_db_url(request: pytest.FixtureRequest, db_url: str) -> str:
    """``db_url`` (the same database, on each backend) holding what ``Store.open`` puts in an empty
    store: the schema and the ICC program registry, copied from a store made once a session."""
    if db_url.startswith("sqlite:///"):
        shutil.copyfile(
            request.getfixturevalue("_registry_template_sqlite"), db_url.removeprefix("sqlite:///")
        )
    else:
        _copy_pg(request.getfixturevalue("_registry_template_pg"), db_url)
    return db_url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def loaded_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[Store]:
    """A store with the real OFAC and UN snapshots and the ICC registry loaded (read-only in tests)."""
    from proscribe.store import Store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('loaded') / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_databases")()
    store = Store.open(url)
    store.import_path(shared_data / "ofac-sdn-2021-07", as_of=date(2021, 7, 1))
    store.import_path(shared_data / "un-2026-02" / "consolidated.xml")
    yield store
    store.close()


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this run that all its processes share: under xdist each process has its own
    temporary folder (``popen-gw0``...) in the run's one."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _one_at_a_time(lock: Path) -> Iterator[None]:
    """Held by one process of the run at a time (the others wait): what one builds, the others use."""
    with open(lock, "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def real_store_url(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> str:
    """A SQLite store with the real OFAC and UN snapshots and the registry, built once a run (by the
    first of the test processes to need it; tests read it, or copy it to write)."""
    from proscribe.store import Store

    folder = _run_folder(tmp_path_factory) / "real"
    folder.mkdir(exist_ok=True)
    url = f"sqlite:///{folder / 'store.db'}"
    with _one_at_a_time(folder.with_suffix(".lock")):
        if not (folder / "complete").exists():
            store = Store.open(url)
            store.import_path(shared_data / "ofac-sdn-2021-07", as_of=date(2021, 7, 1))
            store.import_path(shared_data / "un-2026-02" / "consolidated.xml")
            store.close()
            (folder / "complete").touch()
    return url


@pytest.fixture(scope="session")
def real_store(real_store_url: str) -> Iterator[Store]:
    """The screening tests' lists (see ``real_store_url``)."""
    from proscribe.store import Store

    store = Store.open(real_store_url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def xdg_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache home for the run: the CLI caches its screening index under it, not in the user's (one
    for all the test processes, so an index of ``real_store_url`` is built once a run)."""
    folder = _run_folder(tmp_path_factory) / "xdg"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def screener(real_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Screener:
    """The screening index over the real lists, built once a run (the index cache of
    ``Screener.from_store``, shared by the test processes) and loaded by each."""
    from proscribe.screening import Screener

    folder = _run_folder(tmp_path_factory) / "index"
    with _one_at_a_time(folder.with_suffix(".lock")):
        return Screener.from_store(real_store, cache_dir=folder)


# --- how the two test processes share the work: whole files, longest first --------------------------

#: the files that take longest, longest first (from ``--durations`` and the per-file times of a whole
#: run, docs/benchmarks.md). ``make test`` runs each file whole in one of two processes and hands out
#: the units of work in collection order (``--no-loadscope-reorder``: xdist's own order is by number of
#: tests, which left the few-test, long files, replay, Spark, the example, to the end, one process
#: working while the other waited). Longest first keeps both busy to the end. Only the order changes:
#: every file still runs, whole.
LONGEST_FIRST = (
    "tests/test_docs_commands.py::README.md",  # every command of the README, on a fresh store (issue 14)
    "tests/test_service_enforcement.py",
    "tests/test_replay_real.py",
    "tests/test_spark.py",
    "tests/test_docs_commands.py",  # the other documents, each a unit of its own (see below)
    "tests/test_screen_cli.py",
    "tests/test_enforcement.py",
    "tests/test_screening_v2.py",
    "tests/legal/test_legal_5_ledger_properties.py",
    "tests/test_service_api.py",
    "tests/test_service_contract.py",
    "tests/test_batch.py",
    "tests/test_example.py",
    "tests/test_ledger.py",
    "tests/test_store_real.py",
    "tests/test_web.py",
    "tests/test_screening.py",
    "tests/test_cli.py",
    "tests/test_four_eyes.py",
    "tests/test_service_scale.py",
    "tests/test_updates.py",
    "tests/test_hardening_small.py",
    "tests/test_travel.py",
    "tests/test_book.py",
    "tests/test_speedups.py",
    "tests/test_ofac_csv.py",
)

#: the test of every document's commands (tests/test_docs_commands.py): one test a document
DOCS_TEST = "tests/test_docs_commands.py::test_doc_commands["


def unit_of(nodeid: str) -> str:
    """The unit of work ``nodeid`` belongs to: its file, or for the docs test its document.

    A unit runs whole in one process: the tests of a file share module-scoped fixtures (a server, a
    store) and some build on what an earlier test of the file left (test_service_enforcement.py,
    test_web.py), so a file is never split. The documents of the docs test are independent (each runs
    on a fresh store of its own), so the two processes share them: the README alone is about a
    quarter of the suite's longest process.
    """
    path = nodeid.split("::", 1)[0]
    if nodeid.startswith(DOCS_TEST):
        return f"{path}::{nodeid.removeprefix(DOCS_TEST).split(']', 1)[0]}"
    return path


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` hands out the units of ``unit_of``: whole files, the docs test by document.

    (Not ``--dist loadgroup`` with an ``xdist_group`` a file: pytest-xdist 3.8 names a group by
    changing an item's ``_nodeid``, which pytest 9 no longer reads, so every test went out alone.)
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ByUnit(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    return ByUnit(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}

    def key(item: pytest.Item) -> int:
        unit = unit_of(item.nodeid)
        return rank.get(unit, rank.get(unit.split("::", 1)[0], len(rank)))

    items.sort(key=key)  # stable: within a file, and among the other files, the order is kept
