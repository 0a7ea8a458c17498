"""Casework tables: screening runs, alerts, four-eyes decisions, blocks, payments, traveller checks, reports.

Every row that records a decision keeps who, when, why and the evidence it rested on; rows are
closed (a ``released_at``, a ``status``), never deleted, so the history stays whole.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from proscribe.store.book import MONEY
from proscribe.store.schema import Base, UTCDateTime


class ScreeningRun(Base):
    """One screening of the book: full, delta (only listings changed since the last run) or one party."""

    __tablename__ = "screening_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(10))  # full | delta | party
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    actor: Mapped[str] = mapped_column(String(200))
    #: the date whose designations were screened against
    as_of: Mapped[date] = mapped_column(Date)
    #: the list versions screened against (``Store.version_key()``)
    version_key: Mapped[str] = mapped_column(Text)
    #: the list versions in force at the previous run, for a delta
    since_version_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    parties_screened: Mapped[int] = mapped_column(Integer, default=0)
    listings_screened: Mapped[int] = mapped_column(Integer, default=0)
    alerts_opened: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")


class Alert(Base):
    """A possible match between a party and a listed entity, waiting for (or carrying) a decision."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"))
    entity_id: Mapped[str] = mapped_column(String(200))
    dataset: Mapped[str] = mapped_column(String(100))
    source_id: Mapped[str] = mapped_column(String(200))
    #: match (a party may be this listing) | delisted (a blocked party's listing is no longer in force)
    kind: Mapped[str] = mapped_column(String(20), default="match")
    #: the listed record's checksum when the alert opened: a decided pair re-alerts only if it changes
    record_checksum: Mapped[str] = mapped_column(String(64))
    #: the party's checksum when the alert opened
    party_checksum: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    matched_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    explanation: Mapped[str] = mapped_column(Text)
    #: the hit as the screener gave it, the programs, the list version
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: open | pending (a decision awaits approval) | true_match | false_positive | closed
    status: Mapped[str] = mapped_column(String(20), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("screening_runs.id"), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_alerts_pair", "party_id", "entity_id"),)


class Decision(Base):
    """A decision one person makes and a second person must approve (four eyes).

    ``action`` says what it does: ``true_match`` / ``false_positive`` on an alert, ``release`` of a
    block, ``release_payment`` of a held payment... It takes effect only when approved, and the
    approver can never be the person who decided.
    """

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(30))
    subject_type: Mapped[str] = mapped_column(String(20))  # alert | block | payment
    subject_id: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending | approved | rejected
    reviewed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_decisions_subject", "subject_type", "subject_id"),)


class Block(Base):
    """A party's property is blocked: it is listed (a confirmed match) or owned 50%+ by blocked persons."""

    __tablename__ = "blocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    basis: Mapped[str] = mapped_column(String(20))  # listing | ownership
    entity_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    dataset: Mapped[str | None] = mapped_column(String(100), nullable=True)
    programs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: for the 50 percent rule: the ownership chains that reach 50%
    chain: Mapped[list[Any]] = mapped_column(JSON, default=list)
    explanation: Mapped[str] = mapped_column(Text)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    blocked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_by: Mapped[str] = mapped_column(String(200))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: delisting | license | compliance_release | ownership_change
    release_kind: Mapped[str | None] = mapped_column(String(30), nullable=True)
    release_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: when the basis stopped holding while the property stays blocked (a 50%-rule company whose
    #: blocked owners sold down: OFAC FAQ 402), and why; new property is then not blocked by it
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lapsed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Payment(Base):
    """A payment message screened, and what was decided about it."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_type: Mapped[str] = mapped_column(String(20))  # pacs.008 | MT103
    reference: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    value_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    debtor: Mapped[str] = mapped_column(Text, default="")
    creditor: Mapped[str] = mapped_column(Text, default="")
    #: pass | hold | block | reject
    decision: Mapped[str] = mapped_column(String(10), index=True)
    #: final | held | released | blocked | rejected
    status: Mapped[str] = mapped_column(String(20), index=True)
    rule: Mapped[str] = mapped_column(Text, default="")
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    hits: Mapped[list[Any]] = mapped_column(JSON, default=list)
    license: Mapped[str | None] = mapped_column(String(100), nullable=True)
    stripping: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: the original message: a rejected-transaction report must carry a copy of the instructions
    raw: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))


class TravelCheck(Base):
    """One traveller checked at a border or a consulate, and the answer: admit, refer or deny."""

    __tablename__ = "travel_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    traveller: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(10), index=True)  # admit | refer | deny
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    hits: Mapped[list[Any]] = mapped_column(JSON)


class Report(Base):
    """A report owed to a regulator: what triggered it, when it is due, whether it was filed."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: blocked_property | rejected_transaction | annual_blocked_property | blocking_statute_notice
    kind: Mapped[str] = mapped_column(String(40), index=True)
    subject_type: Mapped[str] = mapped_column(String(20))  # block | payment | year
    subject_id: Mapped[str] = mapped_column(String(100))
    trigger_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    rule: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # due | filed
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    filed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
