"""The audit trail's table and the institution's settings.

The audit trail is append-only and chained: each record carries the hash of the one before it,
so changing or removing any record breaks every hash after it (``enforcement/audit.py`` verifies).
Each record also carries a MAC under a key kept outside the database, and the digests of the ledger
postings and decisions it covers, so rewriting the chain or the rows it covers is found too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from proscribe.store.schema import Base, UTCDateTime


class AuditRecord(Base):
    """One thing that happened, who did it and when, chained to the record before it."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str] = mapped_column(String(200), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: HMAC-SHA256 of the hash under the key kept outside the store (None: written before the anchor)
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: the digests of the ledger postings and decisions this record covers ({"decisions:3": digest})
    rows: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Setting(Base):
    """A named setting of the institution (its jurisdiction policy, the blocked-account interest rate...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200))
