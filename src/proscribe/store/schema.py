"""The store's tables.

The store is versioned in time. Every import of a list is a *list version*; every
state a listing has had is a row in ``records`` that is valid from the as-of date of the
version that brought it until the as-of date of the version that changed or removed it
(``valid_to`` is empty while the row is current). ``events`` keeps the listed / changed /
delisted history in the order it happened, so nothing is ever overwritten.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in and comes out timezone-aware, in UTC, on every backend.

    SQLite keeps no time zone, so values are normalised to UTC on the way in and marked
    as UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: money is stored to the ten-thousandth of a unit (every ISO 4217 currency's minor unit fits)
MONEY_SCALE = 4
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
_SQLITE_INT_MAX = 2**63 - 1


class Money(TypeDecorator[Decimal]):
    """An amount of money, exact on every backend.

    PostgreSQL keeps ``NUMERIC(24, 4)``. SQLite has no exact decimal type: its ``NUMERIC`` columns
    turn a decimal into a binary float, which keeps only about 15 significant digits
    (123456789012345.67 comes back as 123456789012345.67 only by luck), so there the amount is stored
    as a whole number of ten-thousandths (a 64-bit integer, exact to 922,337,203,685,477.5807).
    An amount with more than 4 decimals, or too large for the column, is refused, never rounded.
    """

    impl = Numeric(24, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(24, MONEY_SCALE))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        if not amount.is_finite() or amount != amount.quantize(_MONEY_QUANTUM):
            raise ValueError(f"an amount of money with more than {MONEY_SCALE} decimals: {amount}")
        if dialect.name != "sqlite":
            return amount
        units = int(amount.scaleb(MONEY_SCALE))
        if abs(units) > _SQLITE_INT_MAX:
            raise ValueError(f"an amount of money too large for a SQLite store: {amount}")
        return units

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-MONEY_SCALE)
        return value if isinstance(value, Decimal) else Decimal(str(value))


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Dataset(Base):
    """A list as a publisher issues it (OFAC SDN, UN consolidated, the ICC registry...)."""

    __tablename__ = "datasets"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    format: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ListVersion(Base):
    """One import of a list file: what it was, when the publisher dated it, what it changed."""

    __tablename__ = "list_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"), index=True)
    #: the version's number within its list, from 1 (``id`` counts across all lists)
    number: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    #: the publisher's as-of date (or, when the file states none, the import date)
    as_of: Mapped[date] = mapped_column(Date)
    #: False when the file carried no date and ``as_of`` was assumed
    as_of_stated: Mapped[bool] = mapped_column(Boolean)
    #: the publisher's time, when known to the minute (an index of a list's history); else None
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(200))
    record_count: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("uq_list_versions_number", "dataset", "number", unique=True),)


class RecordRow(Base):
    """One state of one listing, valid over ``[valid_from, valid_to)``."""

    __tablename__ = "records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"))
    source_id: Mapped[str] = mapped_column(String(200))
    entity_id: Mapped[str] = mapped_column(String(200), index=True)
    schema: Mapped[str] = mapped_column(String(40))
    caption: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    data: Mapped[list[Any]] = mapped_column(JSON)
    version_id: Mapped[int] = mapped_column(ForeignKey("list_versions.id"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    ended_by_version_id: Mapped[int | None] = mapped_column(ForeignKey("list_versions.id"), nullable=True)

    __table_args__ = (
        Index("ix_records_dataset_source", "dataset", "source_id"),
        # at most one current state per listing, enforced by the database itself
        Index(
            "uq_records_current",
            "dataset",
            "source_id",
            unique=True,
            sqlite_where=text("valid_to IS NULL"),
            postgresql_where=text("valid_to IS NULL"),
        ),
    )


class Event(Base):
    """Something that happened to a listing in a list version: listed, changed or delisted."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.name"))
    source_id: Mapped[str] = mapped_column(String(200))
    entity_id: Mapped[str] = mapped_column(String(200))
    version_id: Mapped[int] = mapped_column(ForeignKey("list_versions.id"))
    date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_events_dataset_source", "dataset", "source_id"),)
