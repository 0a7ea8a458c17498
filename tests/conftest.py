"""Shared fixtures: where the real list snapshots live, and the stores to test against."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

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


@pytest.fixture(scope="session")
def real_store_url(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> str:
    """A SQLite store with the real OFAC and UN snapshots and the registry, built once a session."""
    from proscribe.store import Store

    url = f"sqlite:///{tmp_path_factory.mktemp('real') / 'store.db'}"
    store = Store.open(url)
    store.import_path(shared_data / "ofac-sdn-2021-07", as_of=date(2021, 7, 1))
    store.import_path(shared_data / "un-2026-02" / "consolidated.xml")
    store.close()
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
    """A cache home for the session: the CLI caches its screening index under it, not in the user's."""
    return tmp_path_factory.mktemp("xdg")


@pytest.fixture(scope="session")
def screener(real_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Screener:
    """The screening index over the real lists, built once for the session."""
    from proscribe.screening import Screener

    return Screener.from_store(real_store, cache_dir=tmp_path_factory.mktemp("index"))
