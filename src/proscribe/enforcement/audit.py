"""The audit trail: append-only, each record chained to the previous one by its hash.

``append()`` is called inside the same transaction as the change it records, so a change and its
audit record are committed together or not at all. The hash of a record covers its sequence
number, time, actor, action, subject, data and the previous record's hash; ``verify()`` recomputes
every hash and names the first record that does not match, so an edited, removed or re-ordered
record is found. Records are kept for the retention period (10 years by default, 31 CFR 501.601
as amended by 90 FR 13286) and are never updated by proscribe.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from proscribe.enforcement.clock import aware
from proscribe.store.audit import AuditRecord, Setting

#: 31 CFR 501.601: records are kept for 10 years (since 21 March 2025)
RETENTION_YEARS = 10
GENESIS = "0" * 64
_HEAD = "audit_head"


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
    seq: int, at: datetime, actor: str, action: str, subject: str, data: dict[str, Any], prev: str
) -> str:
    body = json.dumps(
        [seq, at.isoformat(), actor, action, subject, _canonical(data), prev],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


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
    the rest of the transaction, so concurrent writers on PostgreSQL append one after another.
    """
    # hashed as the database gives it back: in UTC, whatever zone the caller used
    at = aware(at).astimezone(UTC)
    head = _lock_head(session, at, actor)
    seq = int(head.value["seq"]) + 1
    prev = str(head.value["hash"])
    payload = _canonical(data or {})
    # microseconds are kept: the hash is computed over what the database gives back
    digest = record_hash(seq, at, actor, action, subject, payload, prev)
    rec = AuditRecord(
        seq=seq, at=at, actor=actor, action=action, subject=subject, data=payload, prev_hash=prev, hash=digest
    )
    session.add(rec)
    head.value = {"seq": seq, "hash": digest}
    head.updated_at = at
    head.updated_by = actor
    session.flush()
    return rec


@dataclass
class ChainReport:
    """What ``verify()`` found."""

    records: int = 0
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "ok": self.ok,
            "problems": self.problems,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
        }


def verify(engine: Engine, batch: int = 5000) -> ChainReport:
    """Recompute the whole chain and say whether every record is as it was written."""
    report = ChainReport()
    prev = GENESIS
    expected_seq = 1
    with Session(engine) as session:
        query = select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=batch)
        rows = session.execute(query)
        for rec in rows.scalars():
            report.records += 1
            report.first = report.first or rec.at
            report.last = rec.at
            if rec.seq != expected_seq:
                report.problems.append(f"record {expected_seq} is missing (next is {rec.seq})")
            if rec.prev_hash != prev:
                report.problems.append(f"record {rec.seq}: does not follow the record before it")
            digest = record_hash(rec.seq, rec.at, rec.actor, rec.action, rec.subject, rec.data, rec.prev_hash)
            if digest != rec.hash:
                report.problems.append(
                    f"record {rec.seq} ({rec.action} {rec.subject}): changed since it was written"
                )
            prev = rec.hash
            expected_seq = rec.seq + 1
        head = session.get(Setting, _HEAD)
        if head is not None and (head.value.get("seq") != report.records or head.value.get("hash") != prev):
            report.problems.append(
                f"the chain's head says record {head.value.get('seq')}, "
                f"but {report.records} records were found"
            )
    report.ok = not report.problems
    return report


def trail(engine: Engine, subject: str | None = None, limit: int = 200) -> list[AuditRecord]:
    """The newest records, for one subject (``party:C001``, ``account:A1``...) or all."""
    with Session(engine) as session:
        q = select(AuditRecord).order_by(AuditRecord.seq.desc()).limit(limit)
        if subject:
            q = q.where(AuditRecord.subject == subject)
        return list(session.execute(q).scalars())
