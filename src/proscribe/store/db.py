"""Connecting to the store and bringing its schema up to date."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event

from proscribe.private_files import create_private

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url() -> str:
    """``PROSCRIBE_DB`` if set, else a SQLite file in the user's data directory."""
    env = os.environ.get("PROSCRIBE_DB")
    if env:
        return env
    path = Path(user_data_dir("proscribe")) / "proscribe.db"
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers go on while an import writes; foreign keys are off by default in SQLite.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder created and WAL mode."""
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we install; plain postgresql:// would ask for psycopg2
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        # a new store file is 0600 in a 0700 folder (SQLite gives its -wal and -shm files the
        # store's mode): whoever reads it reads the book of customers and the users' hashes
        create_private(Path(url[len("sqlite:///") :].split("?", 1)[0]).expanduser())
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration the store has not seen yet."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
