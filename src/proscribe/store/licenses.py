"""Specific licences the institution holds a copy of, recorded before anything may rest on them.

OFAC issues a specific licence on application, to a named licensee, for named property and
transactions (31 CFR 501.801). A bank that acts on one must check that the transaction conforms to
it and keep a copy (FFIEC BSA/AML Manual, OFAC procedures). A licence number written in a payment
or typed at a prompt is only a claim: enforcement acts on a specific licence only when its record
is here, complete (licensee, parties, accounts, amount, direction, dates, issuer) and approved by
a second person (``enforcement.specific_licenses``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from proscribe.store.book import MONEY
from proscribe.store.schema import Base, UTCDateTime


class SpecificLicense(Base):
    """One specific licence: who it was issued to, what property and transactions it authorises."""

    __tablename__ = "specific_licenses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: the number as OFAC wrote it, in one spelling (``licenses.normalise_number``)
    number: Mapped[str] = mapped_column(String(100), unique=True)
    issuing_authority: Mapped[str] = mapped_column(String(200))
    #: the program it was issued under (ICC-EO14203...), when stated
    program: Mapped[str | None] = mapped_column(String(50), nullable=True)
    #: to whom it was issued (the institution, a law firm, the blocked person...)
    licensee: Mapped[str] = mapped_column(Text)
    #: debit (pay out of the named blocked accounts), release (unblock them to their holder),
    #: incoming (receive payments for a named blocked party without blocking them)
    direction: Mapped[str] = mapped_column(String(20))
    #: the institution's parties whose property or dealings it concerns
    parties: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: the blocked accounts it may debit or release
    accounts: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: the payee (debit) or remitter (incoming) the licence names, and their account
    counterparty: Mapped[str | None] = mapped_column(Text, nullable=True)
    counterparty_account: Mapped[str | None] = mapped_column(String(100), nullable=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    #: how much of ``amount`` transactions under the licence have used so far
    used: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    #: a purpose code (legal_fees...) when the licence states one
    purpose: Mapped[str | None] = mapped_column(String(40), nullable=True)
    issued: Mapped[date] = mapped_column(Date)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: the licence itself requires a report when property is unblocked under it (31 CFR 501.603(b)(3))
    unblocking_report: Mapped[bool] = mapped_column(default=False)
    #: where the institution keeps its copy (a document id, OFAC's case number...)
    reference: Mapped[str] = mapped_column(Text)
    #: pending (waits for a second person) | active | rejected | revoked
    status: Mapped[str] = mapped_column(String(20), index=True)
    registered_by: Mapped[str] = mapped_column(String(200))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
