"""The audit trail anchored outside the store: truncation, re-chaining and an unreadable store fail."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from proscribe.cli.app import app
from proscribe.enforcement import audit
from proscribe.enforcement.audit import AuditKeyError
from proscribe.store import Store
from proscribe.store.audit import AuditRecord, Setting

T = datetime(2025, 8, 1, 12, 0, tzinfo=UTC)


def _write(store: Store, n: int, action: str = "test.write") -> None:
    for i in range(n):
        with Session(store.engine) as s, s.begin():
            audit.append(s, actor="ops", action=action, subject=f"t:{i}", data={"i": i}, at=T)


@pytest.fixture()
def store(db_url: str) -> Store:
    s = Store.open(db_url, load_registry=False)
    _write(s, 6)
    assert audit.verify(s.engine).ok
    return s


def _store_id(store: Store) -> str:
    with Session(store.engine) as s:
        anchor = s.get(Setting, "audit_anchor")
        assert anchor is not None
        return str(anchor.value["store_id"])


def test_key_and_checkpoint_live_outside_the_store(store: Store, audit_dir: Path) -> None:
    """The key is 32 random bytes in a 0600 file of PROSCRIBE_AUDIT_DIR (here the tests' temporary
    folder, never the home directory); every commit writes the head to a checkpoint there."""
    assert audit.audit_dir() == audit_dir
    key = audit_dir / "audit.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    report = audit.verify(store.engine)
    assert report.sealed == 6 and report.checkpoint == 6 and report.notes == []
    assert audit.checkpoint_path(_store_id(store)).parent == audit_dir / "checkpoints"


def test_truncating_the_trail_and_rewinding_the_head_is_found(store: Store) -> None:
    """Deleting the last records and setting the head row back to the record before them leaves a
    chain that agrees with itself; the checkpoint outside the store still names record 6."""
    with Session(store.engine) as s, s.begin():
        s.execute(text("DELETE FROM audit_log WHERE seq > 4"))
        four = s.scalars(select(AuditRecord).where(AuditRecord.seq == 4)).one()
        head = s.get(Setting, "audit_head")
        assert head is not None
        head.value = {"seq": 4, "hash": four.hash}
    report = audit.verify(store.engine)
    assert not report.ok
    assert any("records after 4 were removed" in p and "record 6 was written" in p for p in report.problems)


def test_rewriting_a_record_and_rechaining_after_it_is_found(store: Store) -> None:
    """Rewriting record 3 and recomputing every hash after it (and the head) gives a consistent chain,
    but the rewritten records' MACs were made with a key the rewriter does not have."""
    with Session(store.engine) as s, s.begin():
        prev = None
        for rec in s.scalars(select(AuditRecord).where(AuditRecord.seq >= 3).order_by(AuditRecord.seq)):
            if rec.seq == 3:
                rec.actor = "mallory"
            rec.prev_hash = prev or rec.prev_hash
            rec.hash = audit.record_hash(
                rec.seq, rec.at, rec.actor, rec.action, rec.subject, rec.data, rec.prev_hash, rec.rows
            )
            prev = rec.hash
        head = s.get(Setting, "audit_head")
        assert head is not None
        head.value = {"seq": 6, "hash": prev}
    report = audit.verify(store.engine)
    assert not report.ok
    assert any(p.startswith("record 3 (test.write t:2): its MAC does not match") for p in report.problems)
    # the chain itself is consistent: only the anchor finds it
    assert not any("changed since it was written" in p for p in report.problems)


def test_a_forged_checkpoint_or_a_missing_key_fails(store: Store, audit_dir: Path) -> None:
    """The checkpoint carries its own MAC; without the key nothing can be checked, which is a failure
    (the safer side), and no record is written with another key."""
    path = audit.checkpoint_path(_store_id(store))
    body = path.read_text().replace('"seq": 6', '"seq": 2')
    path.write_text(body)
    assert any("was changed (its MAC" in p for p in audit.verify(store.engine).problems)
    key = audit_dir / "audit.key"
    saved = key.read_bytes()
    key.unlink()
    try:
        assert any("audit key" in p and "is missing" in p for p in audit.verify(store.engine).problems)
        with pytest.raises(AuditKeyError, match="is missing"), Session(store.engine) as s, s.begin():
            audit.append(s, actor="ops", action="test.write", subject="t:x", data={}, at=T)
    finally:
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(saved)


def _verify_cli(url: str) -> tuple[int, str, str]:
    result = CliRunner(env={"PROSCRIBE_DB": url}).invoke(app, ["audit", "verify"])
    return result.exit_code, result.stdout, result.stderr


def test_cli_verify_intact_says_so(store: Store, db_url: str) -> None:
    code, out, _ = _verify_cli(db_url)
    assert code == 0 and "audit trail intact" in out and "6 sealed with the audit key" in out


def test_cli_verify_fails_in_one_line_on_a_store_it_cannot_read(store: Store, db_url: str) -> None:
    """A store that cannot be read is not intact: exit 1, one line, no traceback."""
    store.close()
    if db_url.startswith("sqlite"):
        path = Path(db_url[len("sqlite:///") :])
        for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            extra.unlink(missing_ok=True)
        path.write_bytes(b"this is not a database, it was overwritten " * 200)
    else:
        with Store.open(db_url, load_registry=False).engine.begin() as conn:
            conn.execute(text("DROP TABLE audit_log"))
    code, out, err = _verify_cli(db_url)
    assert code == 1, (out, err)
    assert "audit trail intact" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("audit trail unverifiable"), err
    assert "Traceback" not in err and "sqlalche.me" not in err


def test_a_damaged_sqlite_page_fails(tmp_path: Path) -> None:
    """Bytes changed inside the file (not the whole file) are found by SQLite's own check."""
    url = f"sqlite:///{tmp_path / 'damaged.db'}"
    store = Store.open(url, load_registry=False)
    _write(store, 30)
    with store.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    store.close()
    path = tmp_path / "damaged.db"
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(len(data) - 2 * page, len(data) - page, 7):
        data[offset] = 0xFF
    path.write_bytes(bytes(data))
    report = audit.verify(Store.open(url, load_registry=False).engine)
    assert not report.ok


def test_a_record_dated_before_the_last_one_carries_the_real_time(store: Store) -> None:
    """The trail only moves forward in time: a record dated before the chain's last record (an
    approval backdated to before what was recorded since) carries the time it was written, and the
    time it claimed separately; so does one dated in the future. In order, a past time is kept."""
    earlier = T.replace(month=7)
    before = datetime.now(UTC)
    with Session(store.engine) as s, s.begin():
        seq = audit.append(s, actor="bob", action="decision.approve", subject="d:1", at=earlier).seq
    with Session(store.engine) as s:
        rec = s.get_one(AuditRecord, seq)
        assert rec.at.astimezone(UTC) >= before
        assert rec.data["claimed_at"] == "2025-07-01T12:00:00+00:00"
        last_at = rec.at.astimezone(UTC)
    future = datetime(2100, 1, 1, tzinfo=UTC)
    with Session(store.engine) as s, s.begin():
        seq = audit.append(s, actor="bob", action="decision.approve", subject="d:2", at=future).seq
    with Session(store.engine) as s:
        rec = s.get_one(AuditRecord, seq)
        assert last_at <= rec.at.astimezone(UTC) < future and rec.data["claimed_at"].startswith("2100-01-01")
        times = [r.astimezone(UTC) for r in s.scalars(select(AuditRecord.at).order_by(AuditRecord.seq))]
    assert times == sorted(times)
    assert audit.verify(store.engine).ok


def test_a_past_time_in_order_is_kept(db_url: str) -> None:
    store = Store.open(db_url, load_registry=False)
    _write(store, 2)
    with Session(store.engine) as s:
        assert [r.at.astimezone(UTC) for r in s.scalars(select(AuditRecord))] == [T, T]
        assert all("claimed_at" not in r.data for r in s.scalars(select(AuditRecord)))
