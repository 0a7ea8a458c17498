"""The audit trail: append-only, each record chained to the previous one by its hash, and anchored
outside the database.

``append()`` is called inside the same transaction as the change it records, so a change and its
audit record are committed together or not at all. The hash of a record covers its sequence
number, time, actor, action, subject, data, the rows it covers and the previous record's hash;
``verify()`` recomputes every hash and names the first record that does not match, so an edited,
removed or re-ordered record is found. Records are kept for the retention period (10 years by
default, 31 CFR 501.601 as amended by 90 FR 13286) and are never updated by proscribe.

A hash chain alone proves only that the records agree with each other: someone who can write to
the database can rewrite a record and recompute every hash after it, or delete the last records
and rewind the head. So the chain is anchored outside the store:

* **a keyed MAC** on every record (HMAC-SHA256 of its hash, under a 32-byte key in
  ``$PROSCRIBE_AUDIT_DIR/audit.key``, mode 0600, by default in the user's data folder): a record
  rewritten without the key fails its MAC;
* **a checkpoint** written to ``$PROSCRIBE_AUDIT_DIR/checkpoints/<store id>.json`` after every commit
  that appended records (the last sequence number and hash, with its own MAC): records removed from
  the end of the trail are missed by the checkpoint.

**Coverage.** Every ledger posting (``ledger_transactions``, ``ledger_entries``) and every decision
(``decisions``) written or changed in a transaction is covered by a record of that transaction: the
record holds the digest of the row as the database holds it (``rows``). ``verify()`` recomputes the
digest of every row and reports one that differs from the last digest recorded for it, one that no
record covers, and one that is gone. Rows that existed when a store first got its anchor are sealed
by that first anchored record. Every account's balance must equal the sum of its entries.

Stores written before the anchor (migration 0005) verify with a note: their older records carry no
MAC and are checked for internal consistency only.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import Engine, Numeric, Table, event, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from proscribe.enforcement.clock import aware
from proscribe.enforcement.errors import EnforcementError
from proscribe.store.audit import AuditRecord, Setting
from proscribe.store.book import Account
from proscribe.store.casework import Decision
from proscribe.store.ledger import LedgerEntry, LedgerTransaction

log = logging.getLogger(__name__)

#: 31 CFR 501.601: records are kept for 10 years (since 21 March 2025)
RETENTION_YEARS = 10
GENESIS = "0" * 64
_HEAD = "audit_head"
_ANCHOR = "audit_anchor"

#: where the key and the checkpoints live, outside the database
AUDIT_DIR_ENV = "PROSCRIBE_AUDIT_DIR"
KEY_FILE = "audit.key"
CHECKPOINTS = "checkpoints"

#: the tables whose every row an audit record must cover
COVERED: dict[str, type[Any]] = {
    "ledger_transactions": LedgerTransaction,
    "ledger_entries": LedgerEntry,
    "decisions": Decision,
}
_COVERED_TYPES = tuple(COVERED.values())
_PENDING = "audit_rows_pending"
_CHECKPOINT = "audit_checkpoint"


class AuditKeyError(EnforcementError):
    """The key that seals this store's trail is not where it should be (or is another key)."""


# --- canonical forms and hashes ------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    """JSON-safe form of ``value`` with a single spelling for each value (Decimals as strings)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def record_hash(
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str,
    data: dict[str, Any],
    prev: str,
    rows: dict[str, Any] | None = None,
) -> str:
    """The record's SHA-256; a record that covers no rows hashes as it did before coverage existed."""
    fields: list[Any] = [seq, at.isoformat(), actor, action, subject, _canonical(data), prev]
    if rows is not None:
        fields.append(_canonical(rows))
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _row_value(value: Any, column: Any) -> Any:
    """One column's value with a single spelling, whatever the backend gave back."""
    if value is None:
        return None
    if isinstance(value, Decimal) or isinstance(column.type, Numeric):
        number = Decimal(str(value))
        scale = getattr(column.type, "scale", None)
        if scale is not None:
            number = number.quantize(Decimal(1).scaleb(-scale))
        return format(number.normalize(), "f") if number else "0"
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _canonical(value)


def row_digest(table: Table, row: Any) -> str:
    """The SHA-256 of a row as the database holds it (``row`` is a result mapping of ``table``)."""
    values = {c.name: _row_value(row[c.name], c) for c in table.columns}
    body = json.dumps([table.name, values], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _table(name: str) -> Table:
    table = COVERED[name].__table__
    assert isinstance(table, Table)
    return table


# --- the key and the checkpoints, outside the store ----------------------------------------------


def audit_dir() -> Path:
    """``$PROSCRIBE_AUDIT_DIR``, else ``audit`` in the user's data folder."""
    env = os.environ.get(AUDIT_DIR_ENV)
    return Path(env).expanduser() if env else Path(user_data_dir("proscribe")) / "audit"


def key_path() -> Path:
    return audit_dir() / KEY_FILE


def _read_key(path: Path) -> bytes:
    raw = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        raise AuditKeyError(f"the audit key {path} is not a hex key: restore the original") from None
    if len(key) < 32:
        raise AuditKeyError(f"the audit key {path} is too short ({len(key)} bytes, 32 needed)")
    return key


def load_key(create: bool = False) -> bytes | None:
    """The audit key; made (32 random bytes, file mode 0600, folder 0700) when ``create`` and absent."""
    path = key_path()
    if path.exists():
        return _read_key(path)
    if not create:
        return None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another writer made it first
        return _read_key(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return _read_key(path)


def key_id(key: bytes) -> str:
    """A name for the key that gives nothing of it away."""
    return hashlib.sha256(b"proscribe audit key id:" + key).hexdigest()[:16]


def _mac(key: bytes, *parts: object) -> str:
    message = "\x1f".join(str(p) for p in parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def record_mac(key: bytes, store_id: str, seq: int, digest: str) -> str:
    return _mac(key, "record", store_id, seq, digest)


def _anchor_mac(key: bytes, value: dict[str, Any]) -> str:
    return _mac(key, "anchor", value.get("store_id"), value.get("since_seq"), value.get("key_id"))


def checkpoint_path(store_id: str) -> Path:
    return audit_dir() / CHECKPOINTS / f"{store_id}.json"


def _checkpoint_mac(key: bytes, cp: dict[str, Any]) -> str:
    return _mac(key, "checkpoint", cp.get("store_id"), cp.get("seq"), cp.get("hash"))


def store_fingerprint(engine_url: Any) -> str:
    """A name for the database the store lives in (its URL without the password)."""
    text_ = (
        engine_url.render_as_string(hide_password=True)
        if hasattr(engine_url, "render_as_string")
        else str(engine_url)
    )
    return hashlib.sha256(text_.encode()).hexdigest()[:32]


def _known_store_path(fingerprint: str) -> Path:
    return audit_dir() / CHECKPOINTS / f"database-{fingerprint}.json"


def write_checkpoint(store_id: str, seq: int, digest: str, fingerprint: str | None = None) -> None:
    """Record outside the store that the trail reached ``seq`` with ``digest``; never moves back.

    With ``fingerprint``, also that this database's trail is anchored (with ``store_id``), so that a
    store whose anchor was removed to make it look as if it predated the anchor is found.
    """
    key = load_key()
    if key is None:
        return
    path = checkpoint_path(store_id)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if fingerprint is not None:
        known = _known_store_path(fingerprint)
        if not known.exists():
            fd = os.open(known, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"store_id": store_id}, fh)
    lock_path = path.with_suffix(".lock")
    with open(lock_path, "a") as lock_file:
        with contextlib.suppress(ImportError, OSError):
            import fcntl

            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        current = _read_checkpoint(path)
        if current is not None and int(current.get("seq", 0)) >= seq:
            return
        cp: dict[str, Any] = {
            "store_id": store_id,
            "seq": seq,
            "hash": digest,
            "written_at": datetime.now(UTC).isoformat(),
        }
        cp["mac"] = _checkpoint_mac(key, cp)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(cp, fh)
        os.replace(tmp, path)


def _read_checkpoint(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"unreadable": True}
    return value if isinstance(value, dict) else {"unreadable": True}


# --- writing ------------------------------------------------------------------------------------


def _lock_head(session: Session, at: datetime, actor: str) -> Setting:
    """The chain's head row, locked for the rest of the transaction (created on first use)."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE: a no-op write takes the database's write lock before the head is
        # read, so two writers cannot both read the same head (the unique hash and sequence number
        # would refuse the second anyway, but as an error rather than a wait)
        session.execute(update(Setting).where(Setting.key == _HEAD).values(key=Setting.key))
    head = session.execute(select(Setting).where(Setting.key == _HEAD).with_for_update()).scalar_one_or_none()
    if head is None:
        # the first record ever: create the head once, even when several writers start together
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        values = {"key": _HEAD, "value": {"seq": 0, "hash": GENESIS}, "updated_at": at, "updated_by": actor}
        session.execute(insert(Setting).values(**values).on_conflict_do_nothing(index_elements=["key"]))
        head = session.execute(select(Setting).where(Setting.key == _HEAD).with_for_update()).scalar_one()
    return head


def lock(session: Session, actor: str = "proscribe") -> None:
    """Take the audit trail's lock now, at the start of a transaction that will write.

    Writers that also lock other rows (the ledger's accounts) take this lock first, so that every
    transaction takes its locks in the same order (trail, then accounts) and none can deadlock
    waiting for the trail while holding an account another one needs.
    """
    _lock_head(session, aware(None), actor)


def _anchor(session: Session, seq: int, at: datetime, actor: str) -> tuple[bytes, str, bool]:
    """The key and the store's id; on the first record since the anchor existed, the anchor is made.

    Returns ``(key, store_id, new)``; refuses to write when the store is anchored to a key that is
    not here, since a record sealed with another key would never verify.
    """
    row = session.get(Setting, _ANCHOR)
    if row is None:
        key = load_key(create=True)
        assert key is not None
        value: dict[str, Any] = {"store_id": uuid.uuid4().hex, "since_seq": seq, "key_id": key_id(key)}
        value["mac"] = _anchor_mac(key, value)
        session.add(Setting(key=_ANCHOR, value=value, updated_at=at, updated_by=actor))
        return key, str(value["store_id"]), True
    key = load_key()
    if key is None:
        raise AuditKeyError(
            f"the audit key {key_path()} is missing: this store's trail is sealed with it; restore it, "
            f"or set {AUDIT_DIR_ENV} to the folder that holds it"
        )
    if key_id(key) != row.value.get("key_id"):
        raise AuditKeyError(
            f"the audit key {key_path()} is not the one this store's trail is sealed with "
            f"(key id {row.value.get('key_id')}); set {AUDIT_DIR_ENV} to the folder that holds it"
        )
    return key, str(row.value["store_id"]), False


def _take_pending(session: Session) -> dict[str, tuple[type[Any], set[Any]]]:
    pending: dict[str, tuple[type[Any], set[Any]]] = session.info.pop(_PENDING, {})
    return pending


def _digests(session: Session, pending: dict[str, tuple[type[Any], set[Any]]]) -> dict[str, str | None]:
    """The digest of each pending row, read back from the database (None: the row is gone)."""
    out: dict[str, str | None] = {}
    for name, (_, ids) in sorted(pending.items()):
        table = _table(name)
        pk = table.primary_key.columns.values()[0]
        found: dict[str, str] = {}
        id_list = sorted(ids)
        for start in range(0, len(id_list), 500):
            chunk = id_list[start : start + 500]
            for row in session.execute(select(table).where(pk.in_(chunk))).mappings():
                found[str(row[pk.name])] = row_digest(table, row)
        for ident in id_list:
            out[f"{name}:{ident}"] = found.get(str(ident))
    return out


def _seal_existing(session: Session) -> dict[str, str | None]:
    """At the first anchored record: a digest of every covered row already in the store."""
    rows: dict[str, str | None] = {}
    for name in COVERED:
        table = _table(name)
        pk = table.primary_key.columns.values()[0]
        for row in session.execute(select(table).order_by(pk)).mappings():
            rows[f"{name}:{row[pk.name]}"] = row_digest(table, row)
    return rows


#: how far ahead of this server's clock a record's time may be (another server's clock may be ahead)
CLOCK_SKEW = timedelta(minutes=5)


def _recorded_time(session: Session, last_seq: int, at: datetime) -> tuple[datetime, datetime | None]:
    """The time a record carries, and the time it claimed when that is not the one it carries.

    The trail only moves forward in time. A record may carry a time in the past (a batch of the
    day's work entered in order, a worked example's timeline), but not one before the chain's last
    record, nor one in the future: such a record carries the time it was written (the clock, or the
    last record's time if that is later) and keeps the time it claimed in ``claimed_at``, so a
    backdated approval can never read as if it had been taken before the records written since.
    """
    clock = aware(None)
    last_at = None
    if last_seq > 0:
        last_at = session.execute(
            select(AuditRecord.at).where(AuditRecord.seq == last_seq)
        ).scalar_one_or_none()
        if last_at is not None and last_at.tzinfo is None:
            last_at = last_at.replace(tzinfo=UTC)
    if (last_at is None or at >= last_at) and at <= clock + CLOCK_SKEW:
        return at, None
    return (max(clock, last_at) if last_at is not None else clock), at


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditRecord:
    """Add a record to the chain, in the caller's transaction.

    The chain's head (last sequence number and hash) lives in one settings row that is locked for
    the rest of the transaction, so concurrent writers on PostgreSQL append one after another. The
    record covers every ledger posting and decision written or changed in this transaction since
    the last record, and carries the MAC of its hash under the key kept outside the store.
    """
    # hashed as the database gives it back: in UTC, whatever zone the caller used
    at = aware(at).astimezone(UTC)
    session.flush()  # rows the caller changed are tracked (``_track``) before the head is taken
    head = _lock_head(session, at, actor)
    seq = int(head.value["seq"]) + 1
    prev = str(head.value["hash"])
    at, claimed = _recorded_time(session, seq - 1, at)
    key, store_id, new_anchor = _anchor(session, seq, at, actor)
    covered = _seal_existing(session) if new_anchor else _digests(session, _take_pending(session))
    if new_anchor:
        session.info.pop(_PENDING, None)
    rows = dict(sorted(covered.items())) if covered else None
    payload = _canonical(data or {})
    if claimed is not None:
        payload["claimed_at"] = claimed.isoformat()
    # microseconds are kept: the hash is computed over what the database gives back
    digest = record_hash(seq, at, actor, action, subject, payload, prev, rows)
    rec = AuditRecord(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        data=payload,
        prev_hash=prev,
        hash=digest,
        mac=record_mac(key, store_id, seq, digest),
        rows=rows,
    )
    session.add(rec)
    head.value = {"seq": seq, "hash": digest}
    head.updated_at = at
    head.updated_by = actor
    session.flush()
    session.info.pop(_PENDING, None)  # the flush above tracked nothing covered, but be exact
    session.info[_CHECKPOINT] = (store_id, seq, digest, store_fingerprint(session.get_bind().engine.url))
    session.info["audit_last_actor"] = actor
    # decisions, releases, sign-ins, requests that change something: each also a structured log line
    # (written when appended; the record itself is kept only if the caller's transaction commits)
    log.info(
        action, extra={"event": "audit", "action": action, "actor": actor, "subject": subject, "seq": seq}
    )
    return rec


# --- session hooks: every covered row is covered, every commit checkpointed ----------------------


@event.listens_for(Session, "after_flush")
def _track(session: Session, _ctx: Any) -> None:
    """Note every covered row this flush wrote, changed or deleted, for the next record to cover."""
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, _COVERED_TYPES):
            ident = getattr(obj, "id", None)
            if ident is None:
                continue
            pending: dict[str, tuple[type[Any], set[Any]]] = session.info.setdefault(_PENDING, {})
            pending.setdefault(obj.__tablename__, (type(obj), set()))[1].add(ident)


@event.listens_for(Session, "before_commit")
def _cover_rest(session: Session) -> None:
    """Rows changed after the transaction's last record (or in one with none) get a record of their own."""
    session.flush()
    if session.info.get(_PENDING):
        append(
            session,
            actor=str(session.info.get("audit_last_actor") or "proscribe"),
            action="audit.cover",
            subject="audit:rows",
            data={"why": "rows written after the transaction's last record"},
        )


@event.listens_for(Session, "after_commit")
def _checkpoint(session: Session) -> None:
    cp = session.info.pop(_CHECKPOINT, None)
    session.info.pop("audit_last_actor", None)
    if cp is None:
        return
    try:
        write_checkpoint(*cp)
    except OSError as exc:  # the commit stands; the next commit's checkpoint catches up
        log.warning("audit checkpoint not written to %s: %s", audit_dir(), exc)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_CHECKPOINT, None)
    session.info.pop("audit_last_actor", None)


# --- verifying ----------------------------------------------------------------------------------


@dataclass
class ChainReport:
    """What ``verify()`` found."""

    records: int = 0
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None
    #: facts a reader should know that are not failures (records from before the anchor)
    notes: list[str] = field(default_factory=list)
    #: records checked against the key kept outside the store
    sealed: int = 0
    #: covered rows checked against the trail
    rows_checked: int = 0
    #: the last record the checkpoint outside the store knows of
    checkpoint: int | None = None
    readable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "ok": self.ok,
            "problems": self.problems,
            "notes": self.notes,
            "sealed": self.sealed,
            "rows_checked": self.rows_checked,
            "checkpoint": self.checkpoint,
            "readable": self.readable,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
        }


def _one_line(exc: BaseException) -> str:
    """A database error as one line, without SQL or links."""
    orig = getattr(exc, "orig", None)
    text_ = str(orig if orig is not None else exc).strip().splitlines()
    return text_[0] if text_ else type(exc).__name__


def verify(engine: Engine, batch: int = 5000) -> ChainReport:
    """Recompute the whole chain, its MACs, its checkpoint and the rows it covers."""
    report = ChainReport()
    try:
        _verify(engine, batch, report)
    except SQLAlchemyError as exc:
        report.readable = False
        report.problems.append(f"the store cannot be read: {_one_line(exc)}")
    report.ok = not report.problems
    return report


def _integrity(session: Session, report: ChainReport) -> None:
    if session.get_bind().dialect.name != "sqlite":
        return
    result = [r[0] for r in session.execute(text("PRAGMA quick_check")).all()]
    if result != ["ok"]:
        report.problems.append(f"the database file is damaged (SQLite quick_check: {result[0]})")


def _verify(engine: Engine, batch: int, report: ChainReport) -> None:
    prev = GENESIS
    expected_seq = 1
    with Session(engine) as session:
        _integrity(session, report)
        anchor = session.get(Setting, _ANCHOR)
        key = load_key()
        store_id: str | None = None
        since: int | None = None
        if anchor is not None:
            store_id = str(anchor.value.get("store_id"))
            since = int(anchor.value.get("since_seq") or 0)
            if key is None:
                report.problems.append(
                    f"the audit key {key_path()} is missing: the records' MACs cannot be checked "
                    f"(set {AUDIT_DIR_ENV} to the folder that holds it)"
                )
            elif key_id(key) != anchor.value.get("key_id"):
                report.problems.append(
                    f"the audit key {key_path()} is not the one this store is sealed with "
                    f"(key id {anchor.value.get('key_id')})"
                )
                key = None
            elif not hmac.compare_digest(str(anchor.value.get("mac")), _anchor_mac(key, anchor.value)):
                report.problems.append("the trail's anchor (settings row audit_anchor) was changed")
                key = None
        covers: dict[str, tuple[str | None, int]] = {}
        hashes: dict[int, str] = {}
        unsealed_after: list[int] = []
        query = select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=batch)
        for rec in session.execute(query).scalars():
            report.records += 1
            report.first = report.first or rec.at
            report.last = rec.at
            if rec.seq != expected_seq:
                report.problems.append(f"record {expected_seq} is missing (next is {rec.seq})")
            if rec.prev_hash != prev:
                report.problems.append(f"record {rec.seq}: does not follow the record before it")
            digest = record_hash(
                rec.seq, rec.at, rec.actor, rec.action, rec.subject, rec.data, rec.prev_hash, rec.rows
            )
            if digest != rec.hash:
                report.problems.append(
                    f"record {rec.seq} ({rec.action} {rec.subject}): changed since it was written"
                )
            if since is not None and rec.seq >= since:
                if rec.mac is None:
                    unsealed_after.append(rec.seq)
                elif key is not None and store_id is not None:
                    if hmac.compare_digest(rec.mac, record_mac(key, store_id, rec.seq, rec.hash)):
                        report.sealed += 1
                    else:
                        report.problems.append(
                            f"record {rec.seq} ({rec.action} {rec.subject}): its MAC does not match "
                            "(written or rewritten without the audit key)"
                        )
            elif rec.mac is not None and since is None:
                unsealed_after.append(rec.seq)
            for name, row_digest_ in (rec.rows or {}).items():
                covers[name] = (row_digest_, rec.seq)
            hashes[rec.seq] = rec.hash
            prev = rec.hash
            expected_seq = rec.seq + 1
        if unsealed_after:
            report.problems.append(
                f"record {unsealed_after[0]}: has no valid MAC where the anchor says every record has one"
                if since is not None
                else f"record {unsealed_after[0]} carries a MAC but the store's anchor is gone"
            )
        head = session.get(Setting, _HEAD)
        if head is not None and (head.value.get("seq") != report.records or head.value.get("hash") != prev):
            report.problems.append(
                f"the chain's head says record {head.value.get('seq')}, "
                f"but {report.records} records were found"
            )
        if anchor is None:
            known = _read_checkpoint(_known_store_path(store_fingerprint(engine.url)))
            if known is not None:
                report.problems.append(
                    f"this database's trail was anchored (store {known.get('store_id')}), but its anchor "
                    "is gone from the store: records and rows cannot be trusted"
                )
            if report.records:
                report.notes.append(
                    f"records 1 to {report.records} predate the external anchor: they carry no MAC and are "
                    "checked for internal consistency only; the trail is sealed from its next record on"
                )
        else:
            if since and since > 1:
                report.notes.append(
                    f"records 1 to {since - 1} predate the external anchor (added at record {since}): "
                    "they carry no MAC and are checked for internal consistency only"
                )
            _check_checkpoint(report, key, str(store_id), hashes)
        _check_rows(session, report, covers, anchored=anchor is not None)
        _check_balances(session, report)


def _check_checkpoint(report: ChainReport, key: bytes | None, store_id: str, hashes: dict[int, str]) -> None:
    path = checkpoint_path(store_id)
    cp = _read_checkpoint(path)
    if cp is None:
        report.problems.append(
            f"no checkpoint of this trail at {path}: records removed from its end could not be found"
        )
        return
    if cp.get("unreadable"):
        report.problems.append(f"the checkpoint {path} cannot be read")
        return
    seq = int(cp.get("seq") or 0)
    report.checkpoint = seq
    if key is not None and not hmac.compare_digest(str(cp.get("mac")), _checkpoint_mac(key, cp)):
        report.problems.append(f"the checkpoint {path} was changed (its MAC does not match)")
        return
    if seq not in hashes:
        report.problems.append(
            f"records after {max(hashes) if hashes else 0} were removed: the checkpoint outside the store "
            f"({path}) says record {seq} was written"
        )
    elif hashes[seq] != cp.get("hash"):
        report.problems.append(
            f"record {seq} is not the record written then: the checkpoint outside the store ({path}) "
            "holds another hash"
        )


def _check_rows(
    session: Session, report: ChainReport, covers: dict[str, tuple[str | None, int]], *, anchored: bool
) -> None:
    """Every covered row as the trail last recorded it; none missing, none unrecorded."""
    uncovered: dict[str, list[str]] = {}
    seen: set[str] = set()
    for name in COVERED:
        table = _table(name)
        pk = table.primary_key.columns.values()[0]
        query = select(table).order_by(pk).execution_options(yield_per=5000)
        for row in session.execute(query).mappings():
            key = f"{name}:{row[pk.name]}"
            seen.add(key)
            report.rows_checked += 1
            recorded = covers.get(key)
            if recorded is None:
                uncovered.setdefault(name, []).append(str(row[pk.name]))
            elif recorded[0] != row_digest(table, row):
                report.problems.append(
                    f"{name} {row[pk.name]}: changed since record {recorded[1]} covered it"
                )
    for key, (digest, seq) in covers.items():
        if digest is not None and key not in seen:
            name, ident = key.split(":", 1)
            report.problems.append(f"{name} {ident}: removed (record {seq} covered it)")
    if not uncovered:
        return
    if not anchored:
        counts = ", ".join(f"{len(ids)} {name}" for name, ids in sorted(uncovered.items()))
        report.notes.append(
            f"rows not covered yet ({counts}): written before the trail covered ledger postings and "
            "decisions; the next record seals them"
        )
        return
    for name, ids in sorted(uncovered.items()):
        more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
        report.problems.append(
            f"{name} {', '.join(ids[:5])}{more}: no audit record covers them (written outside proscribe)"
        )


def _check_balances(session: Session, report: ChainReport) -> None:
    sums = dict(
        session.execute(
            select(LedgerEntry.account_id, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.account_id)
        ).all()
    )
    for account_id, balance in session.execute(select(Account.id, Account.balance).order_by(Account.id)):
        total = Decimal(str(sums.get(account_id) or 0))
        if Decimal(str(balance)) != total:
            report.problems.append(
                f"account {account_id}: balance {balance} is not the sum of its entries ({total})"
            )


def trail(
    engine: Engine,
    subject: str | None = None,
    limit: int = 200,
    *,
    actor: str | None = None,
    action: str | None = None,
) -> list[AuditRecord]:
    """The newest records, for one subject (``party:C001``, ``account:A1``...) or all; of one person
    (``alice``, also through her API keys: ``alice (key prs_1a2b)``); of one action (``decision.approve``)
    or family of actions (``decision``)."""
    with Session(engine) as session:
        q = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
        if subject:
            q = q.where(AuditRecord.subject == subject)
        if actor:
            q = q.where(or_(AuditRecord.actor == actor, AuditRecord.actor.startswith(f"{actor} (key ")))
        if action:
            q = q.where(or_(AuditRecord.action == action, AuditRecord.action.startswith(f"{action}.")))
        return list(session.execute(q).scalars())


def covered_tables() -> Iterable[str]:
    return tuple(COVERED)
