"""Secrets and customer data in files only the server's own user can read (issue 13 item 6)."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from proscribe.private_files import KeyFileError, read_or_create_secret
from proscribe.service import ServiceConfig
from proscribe.service.jobs import Job, JobManager
from proscribe.service.runtime import Runtime
from proscribe.store import Store
from proscribe.store.audit import Setting


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture()
def open_umask() -> Iterator[None]:
    """A permissive umask (0022, files 0644 by default): what the controls must not rely on."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_the_session_key_file_is_made_0600_and_kept(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "config" / "proscribe" / "session.key"
    key = read_or_create_secret(path)
    assert len(key) >= 48
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert read_or_create_secret(path) == key  # the same key at the next start
    assert [p.name for p in path.parent.iterdir()] == ["session.key"]  # no temporary file left


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "session.key"
    read_or_create_secret(path)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match=r"can be read by other users \(mode 644\).*chmod 600"):
        read_or_create_secret(path)
    path.write_text("short\n")
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match="no key of at least 32 characters"):
        read_or_create_secret(path)


def test_a_new_sqlite_store_is_0600(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "data" / "store.db"
    store = Store.open(f"sqlite:///{db}", load_registry=False)
    try:
        with store.engine.begin() as conn:  # a write: the WAL file appears
            conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
            conn.execute(text("INSERT INTO scratch VALUES (1)"))
        assert mode(db) == 0o600 and mode(db.parent) == 0o700
        for suffix in ("-wal", "-shm"):
            side = Path(str(db) + suffix)
            if side.exists():
                assert mode(side) == 0o600, suffix
    finally:
        store.close()


def test_the_service_keeps_its_key_out_of_the_store(tmp_path: Path, open_umask: None) -> None:
    """Whoever reads the store must not be able to forge a session cookie."""
    db = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store.open(db, load_registry=False)
    with Session(store.engine) as session, session.begin():  # where an earlier version kept it
        session.add(
            Setting(
                key="service.session_secret",
                value={"key": "x" * 64},
                updated_at=datetime.now(UTC),
                updated_by="system",
            )
        )
    key_file = tmp_path / "keys" / "session.key"
    config = ServiceConfig(
        db=db, secret_file=key_file, jobs_dir=tmp_path / "jobs", index_cache=tmp_path / "ix"
    )
    runtime = Runtime(config, store)
    try:
        assert runtime.secret_key == key_file.read_text().strip() != "x" * 64
        assert mode(key_file) == 0o600
        with Session(store.engine) as session:
            assert session.get(Setting, "service.session_secret") is None
            assert runtime.secret_key not in str([s.value for s in session.query(Setting)])
        assert Runtime(config, store).secret_key == runtime.secret_key  # kept across restarts
    finally:
        runtime.stop()
        store.close()


def test_job_files_are_private_and_deleted_after_the_retention(tmp_path: Path, open_umask: None) -> None:
    jobs = JobManager(tmp_path / "jobs", retention=60)
    job = Job(id=jobs.new_id(), kind="test", owner="alice", created_at=datetime.now(UTC))
    folder = jobs.new_folder(job.id)
    assert mode(folder) == 0o700 and mode(jobs.folder) == 0o700

    def work(job: Job) -> dict[str, object]:
        (folder / "hits.csv").write_text("query_id\nq1\n")  # written with the umask's 0644
        job.result_path = folder / "hits.csv"
        return {"rows": 1}

    jobs.submit(job, work)
    for _ in range(200):
        if job.status == "done":
            break
        time.sleep(0.01)
    time.sleep(0.05)
    assert job.status == "done" and mode(folder / "hits.csv") == 0o600
    assert jobs.purge() == []  # within the retention: kept
    assert jobs.purge(clock=time.time() + 61) == [job.id]
    assert not folder.exists() and job.result_path is None and job.result["deleted"] is True
    # a folder left from before a restart goes once its last write is older than the retention
    old = jobs.folder / "from-before"
    old.mkdir()
    (old / "input.csv").write_text("id,name\n")
    past = time.time() - 120
    os.utime(old / "input.csv", (past, past))
    assert JobManager(jobs.folder, retention=60).folder.exists() and not old.exists()
    jobs.shutdown()
