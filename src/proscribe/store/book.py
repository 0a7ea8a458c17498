"""The institution's book: its customers and the people around their accounts.

A *party* is anyone the institution must screen: customers, and the beneficial owners, directors,
signatories and holders of powers of attorney connected to an account (FFIEC: screening covers
account parties beyond the holder). Parties are the institution's data, keyed by its own ids;
they are never mixed with the list records.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from proscribe.store.schema import Base, Money, UTCDateTime

#: money columns: 20 digits before the point, 4 after (every ISO 4217 currency fits), exact on
#: every backend (on SQLite, whole ten-thousandths: see ``Money``)
MONEY = Money()
#: ownership shares in percent, 0 to 100 with four decimals
SHARE = Numeric(7, 4)


class Party(Base):
    """A person or organisation the institution knows: a customer or someone connected to one."""

    __tablename__ = "parties"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # person | organization
    name: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    birth_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    nationality: Mapped[str | None] = mapped_column(String(100), nullable=True)
    country: Mapped[str | None] = mapped_column(String(100), nullable=True)
    gender: Mapped[str | None] = mapped_column(String(10), nullable=True)
    id_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    id_country: Mapped[str | None] = mapped_column(String(100), nullable=True)
    address: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: a customer of the institution (False for owners, directors... known only through an account)
    is_customer: Mapped[bool] = mapped_column(Boolean, default=True)
    #: hash of the fields screening reads: a change re-screens the party
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Account(Base):
    """An account in the ledger: a customer's, a blocked account, or one of the institution's own.

    The balance is kept on the row and changed only by ledger postings, under a row lock, so the
    database serialises every movement of one account (see ``enforcement/ledger.py``).
    """

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # customer | blocked | internal
    #: the party in whose name the account is held (None for internal accounts)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("parties.id"), nullable=True, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    balance: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str] = mapped_column(String(20))  # open | blocked | closed
    #: for a blocked account: the account whose funds it took, and the annual interest rate
    source_account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    interest_rate: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    interest_accrued_to: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    source: Mapped[str] = mapped_column(Text, default="")

    # customers' and blocked accounts never go below zero, whatever a caller does
    __table_args__ = (CheckConstraint("kind = 'internal' OR balance >= 0", name="ck_accounts_no_overdraft"),)


class AccountParty(Base):
    """Someone's role on an account: holder, joint holder, beneficial owner (with a share), director..."""

    __tablename__ = "account_parties"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(30), primary_key=True)
    share: Mapped[Decimal | None] = mapped_column(SHARE, nullable=True)

    __table_args__ = (Index("ix_account_parties_party", "party_id"),)


class Ownership(Base):
    """One party owning a share (percent) of an organisation: the edges the 50 percent rule walks."""

    __tablename__ = "ownerships"

    owner_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    owned_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), primary_key=True, index=True)
    share: Mapped[Decimal] = mapped_column(SHARE)
    source: Mapped[str] = mapped_column(Text, default="")
    #: the owner controls the organisation whatever its share (the EU's and the UK's test count it)
    control: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class FamilyMember(Base):
    """A known immediate family member of a listed person (lists do not carry them; agencies do)."""

    __tablename__ = "family_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: the listed person's entity id, e.g. ``icc-khan-karim`` or ``ofac-36``
    relative_of: Mapped[str] = mapped_column(String(200), index=True)
    relationship: Mapped[str] = mapped_column(String(40))  # spouse | child | parent | sibling
    name: Mapped[str] = mapped_column(Text)
    birth_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    nationality: Mapped[str | None] = mapped_column(String(100), nullable=True)
    gender: Mapped[str | None] = mapped_column(String(10), nullable=True)
    document_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    source: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_by: Mapped[str] = mapped_column(String(200))


class PartyKey(Base):
    """One retrieval key of a party's names (``screening.party_keys``): a delta re-screen looks up
    the parties whose keys reach the changed listings, instead of screening every party."""

    __tablename__ = "party_keys"

    key: Mapped[str] = mapped_column(String(210), primary_key=True)
    party_id: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class PartyKeyState(Base):
    """For which data (the party's checksum) and which key code (``key_version``) a party's keys
    were made: keys of changed parties, or made by other code, are made again before use."""

    __tablename__ = "party_key_state"

    party_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64))
    key_version: Mapped[str] = mapped_column(String(32))


class PartyKeyLookup(Base):
    """What the matcher's lookup computes from a party key's word (``party_keys.lookups``), made
    once per distinct key, so that a delta's reach test does not normalise the book's words again."""

    __tablename__ = "party_key_lookups"

    key: Mapped[str] = mapped_column(String(210), primary_key=True)
    lookups: Mapped[str] = mapped_column(Text)
    key_version: Mapped[str] = mapped_column(String(32))
