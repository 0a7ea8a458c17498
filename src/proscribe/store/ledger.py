"""The ledger's tables: double-entry postings between accounts.

A *transaction* is one movement (an opening balance, a deposit, a blocking, interest, a release...)
and carries who, when, why and under what authority (a licence, a rule). Its *entries* move signed
amounts between accounts and always sum to zero per currency, so money is never created or lost.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from proscribe.store.book import MONEY
from proscribe.store.schema import Base, UTCDateTime


class LedgerTransaction(Base):
    """One movement of money, balanced across its entries."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: opening | deposit | withdrawal | transfer | block | interest | release | charge
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    #: what allowed it: a licence number, a rule (e.g. "31 CFR 528.203"), a decision id
    authority: Mapped[str | None] = mapped_column(Text, nullable=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LedgerEntry(Base):
    """One leg of a transaction: a signed amount on one account (positive is a credit to it)."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    balance_after: Mapped[Decimal] = mapped_column(MONEY)
