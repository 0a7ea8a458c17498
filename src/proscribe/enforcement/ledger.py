"""The blocked-property ledger: double-entry postings in ``Decimal``, and the rules for blocked money.

Every movement is a ``LedgerTransaction`` whose entries sum to zero per currency; the balance kept on
each ``Account`` row is changed only here, together with the entry that explains it. Money comes
into and leaves the institution through internal accounts created on demand: ``SYS-OPENING-<CCY>``
(opening balances), ``SYS-CLEARING-<CCY>`` (deposits, withdrawals, incoming payments),
``SYS-INTEREST-<CCY>`` (interest paid on blocked accounts) and ``SYS-CHARGES-<CCY>`` (service
charges). Internal accounts may go below zero; customer and blocked accounts never do.

The rules for blocked property (``docs/ledger.md``; domain notes section 2.2):

* blocking moves a customer account's whole balance into an interest-bearing blocked account in the
  same name (``BLK-<account>``), and marks the customer account ``blocked``;
* credits for a blocked account holder are accepted, into the blocked account;
* debits from blocked property are refused unless they are normal service charges (31 CFR 562.505)
  or a licence covers them (``proscribe.enforcement.licenses.check``);
* a blocked account transfers only to another blocked account in the same name (31 CFR 562.504);
* interest accrues at a configured rate; a release (delisting, licence, compliance release after an
  error) returns everything, interest included, and closes the blocked account with its history.

Concurrency: every function reads the accounts it moves under ``SELECT ... FOR UPDATE``, all of them
in one statement ordered by id, before it looks at a status or a balance. A debit racing a blocking
therefore either commits first (and the blocking moves what is left) or waits and then sees the
account blocked. On PostgreSQL the row locks do this; SQLite has one writer at a time. Before any
account, each function takes the audit trail's lock (``audit.lock``), so every writer locks in the
same order (trail, then accounts) and a transaction making several ledger calls cannot deadlock.

None of the functions commits: they take a ``Session`` in a transaction and leave the commit (or
rollback) to the caller, so a posting and its audit record are kept together or not at all.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, licenses
from proscribe.enforcement.clock import aware
from proscribe.enforcement.errors import BlockedPropertyError, EnforcementError, NotFoundError
from proscribe.enforcement.policy import POLICY_SETTING, load_policy
from proscribe.store.audit import Setting
from proscribe.store.book import Account, Party
from proscribe.store.casework import Block
from proscribe.store.ledger import LedgerEntry, LedgerTransaction

__all__ = [
    "DEFAULT_INTEREST_RATE",
    "RELEASE_KINDS",
    "SERVICE_CHARGE",
    "Holding",
    "accrue_all",
    "accrue_interest",
    "balance",
    "block_funds",
    "blocked_account_id",
    "blocked_holdings",
    "deposit",
    "effective_rate",
    "history",
    "internal_account_id",
    "minor_unit",
    "open_account",
    "receive_blocked",
    "release",
    "set_default_rate",
    "transfer",
    "withdraw",
]

#: the authority that lets normal service charges be debited from blocked property
SERVICE_CHARGE = "service_charge"
SERVICE_CHARGE_RULE = "31 CFR 562.505: normal service charges may be debited from blocked accounts"
SAME_NAME_RULE = "31 CFR 562.504: transfer between blocked accounts in the same name"
RELEASE_KINDS = ("delisting", "license", "compliance_release")
#: the Setting holding the institution's rate for blocked accounts: ``{"rate": "0.0400"}``
RATE_SETTING = "blocked_interest_rate"
#: used when neither the account, the setting nor a stored policy gives a rate. Blocked funds must earn a
#: commercially reasonable rate; 4% a year is of the order of short US Treasury bill yields in
#: 2025, and an institution sets its own (``set_default_rate``).
DEFAULT_INTEREST_RATE = Decimal("0.0400")
BLOCKED_PREFIX = "BLK-"
INTERNAL_PREFIX = "SYS-"
_INTERNAL_PURPOSES = ("OPENING", "CLEARING", "INTEREST", "CHARGES")
#: the money columns hold 20 digits before the point
_MAX_AMOUNT = Decimal(10) ** 20
_ID_MAX = 100
_CARRY_QUANTUM = Decimal("1e-12")

#: ISO 4217 currencies whose minor unit is not the cent (every other code has two decimals)
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}


def minor_unit(currency: str) -> int:
    """Decimal places of the currency's minor unit (ISO 4217): 2 for USD, 0 for JPY, 3 for KWD."""
    return _MINOR_UNITS.get(currency, 2)


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def internal_account_id(purpose: str, currency: str) -> str:
    """``SYS-CLEARING-USD`` and the like."""
    return f"{INTERNAL_PREFIX}{purpose}-{currency}"


def blocked_account_id(account_id: str) -> str:
    """The blocked account that takes ``account_id``'s funds."""
    return f"{BLOCKED_PREFIX}{account_id}"


# --- validation: everything is checked before anything is written ---------------------------


def _currency(code: str) -> str:
    if not (
        isinstance(code, str) and len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()
    ):
        raise EnforcementError(f"currency must be an ISO 4217 code such as USD, not {code!r}")
    return code


def _amount(amount: Decimal, currency: str, *, what: str = "amount", zero_ok: bool = False) -> Decimal:
    # floats are refused outright: 0.1 + 0.2 is not money
    if not isinstance(amount, Decimal):
        raise EnforcementError(f"{what} must be a Decimal, not {type(amount).__name__} {amount!r}")
    if not amount.is_finite() or abs(amount) >= _MAX_AMOUNT:
        raise EnforcementError(f"{what} {amount} is not a usable sum of money")
    if amount < 0 or (amount == 0 and not zero_ok):
        raise EnforcementError(
            f"{what} must be {'zero or more' if zero_ok else 'more than zero'}, not {amount}"
        )
    q = _quantum(currency)
    if amount != amount.quantize(q):
        raise EnforcementError(
            f"{what} {amount} {currency} is finer than the currency's minor unit "
            f"({minor_unit(currency)} decimals)"
        )
    return amount.quantize(q)


def _rate(rate: Decimal, what: str = "interest rate") -> Decimal:
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0 or rate >= 1:
        raise EnforcementError(
            f"{what} must be a Decimal annual fraction from 0 to 1 (0.04 is 4%), not {rate!r}"
        )
    if rate != rate.quantize(Decimal("0.000001")):
        raise EnforcementError(f"{what} {rate} has more than 6 decimals")
    return rate


def _utc(at: datetime | None) -> datetime:
    """``at`` (timezone-aware, or now) in UTC: the store gives times back in UTC, and the audit
    trail's hashes are computed over the time as written, so both must see the same spelling."""
    return aware(at).astimezone(UTC)


def _text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EnforcementError(f"a {what} is needed")
    return value.strip()


def _new_id(account_id: str) -> str:
    _text(account_id, "account id")
    if account_id != account_id.strip() or any(c.isspace() for c in account_id):
        raise EnforcementError(f"account id {account_id!r} must not contain spaces")
    if account_id.upper().startswith((BLOCKED_PREFIX, INTERNAL_PREFIX)):
        raise EnforcementError(
            f"account id {account_id!r}: ids starting {BLOCKED_PREFIX} or {INTERNAL_PREFIX} "
            "are the ledger's own"
        )
    # its blocked account, BLK-<id>, must fit the id column too
    if len(account_id) > _ID_MAX - len(BLOCKED_PREFIX):
        raise EnforcementError(f"account id {account_id[:20]!r}... is longer than {_ID_MAX - 4} characters")
    return account_id


def _json(value: Any) -> Any:
    """JSON-safe data for a transaction row (Decimals and datetimes as text)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


# --- accounts, locks, postings -----------------------------------------------------------------


def _get(session: Session, account_id: str) -> Account:
    acct = session.get(Account, account_id)
    if acct is None:
        raise NotFoundError(f"no account {account_id!r}")
    return acct


def _ensure_account(session: Session, values: dict[str, Any]) -> None:
    """Create an account if it does not exist, without failing when a concurrent call creates it too.

    ``INSERT ... ON CONFLICT DO NOTHING`` waits for a concurrent insert of the same id to commit or
    roll back, then does nothing, so two payments both creating ``SYS-CLEARING-USD`` both go on.
    """
    if session.get(Account, values["id"]) is not None:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(pg_insert(Account).values(**values).on_conflict_do_nothing(index_elements=["id"]))
    elif dialect == "sqlite":
        session.execute(sqlite_insert(Account).values(**values).on_conflict_do_nothing(index_elements=["id"]))
    else:
        session.add(Account(**values))
        session.flush()


def _internal(session: Session, purpose: str, currency: str, at: datetime) -> str:
    assert purpose in _INTERNAL_PURPOSES
    account_id = internal_account_id(purpose, currency)
    _ensure_account(
        session,
        {
            "id": account_id,
            "kind": "internal",
            "owner_id": None,
            "currency": currency,
            "balance": Decimal(0),
            "status": "open",
            "opened_at": at,
            "source": f"ledger: {purpose.lower()} account, created on demand",
        },
    )
    return account_id


def _ensure_blocked(session: Session, src: Account, at: datetime, rate: Decimal | None = None) -> str:
    """``BLK-<src>``, created (in ``src``'s owner's name and currency) if it does not exist yet."""
    blk_id = blocked_account_id(src.id)
    _ensure_account(
        session,
        {
            "id": blk_id,
            "kind": "blocked",
            "owner_id": src.owner_id,
            "currency": src.currency,
            "balance": Decimal(0),
            "status": "blocked",
            "source_account_id": src.id,
            "interest_rate": rate,
            "interest_accrued_to": at,
            "opened_at": at,
            "source": f"ledger: blocked funds of {src.id}",
        },
    )
    return blk_id


def _lock(session: Session, ids: Iterable[str], optional: Iterable[str] = ()) -> dict[str, Account]:
    """Lock the accounts (``SELECT ... FOR UPDATE``) in id order, in one statement, and read them afresh.

    Every caller locks its whole set at once in the same order, so two calls never wait on each
    other in a cycle; ``populate_existing`` replaces anything the session read before the lock.
    """
    required = set(ids)
    wanted = sorted(required | set(optional))
    if session.get_bind().dialect.name == "sqlite":
        # SQLite has no row locks and pysqlite starts a transaction only at the first write: a
        # write first takes the database's single write lock, so the read below cannot go stale
        session.execute(
            update(Account)
            .where(Account.id.in_(wanted))
            .values(balance=Account.balance)
            .execution_options(synchronize_session=False)
        )
    rows = session.execute(
        select(Account)
        .where(Account.id.in_(wanted))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalars()
    found = {a.id: a for a in rows}
    for account_id in sorted(required - found.keys()):
        raise NotFoundError(f"no account {account_id!r}")
    return found


def _post(
    session: Session,
    *,
    kind: str,
    at: datetime,
    actor: str,
    reason: str,
    legs: Sequence[tuple[Account, Decimal]],
    authority: str | None = None,
    payment_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction; the accounts must already be locked by the caller."""
    totals: dict[str, Decimal] = {}
    for acct, amount in legs:
        totals[acct.currency] = totals.get(acct.currency, Decimal(0)) + amount
    unbalanced = {ccy: total for ccy, total in totals.items() if total != 0}
    if unbalanced:  # a bug in this module, never a user's error: money would be created or lost
        raise EnforcementError(f"transaction {kind} does not balance: {unbalanced}")
    if len({acct.id for acct, _ in legs}) != len(legs):
        raise EnforcementError(f"transaction {kind} names an account twice")
    for acct, amount in legs:
        if acct.kind != "internal" and acct.balance + amount < 0:
            raise EnforcementError(
                f"account {acct.id} holds {acct.balance} {acct.currency}, less than the {-amount} asked"
            )
    tx = LedgerTransaction(
        kind=kind,
        at=at,
        actor=actor,
        reason=reason,
        authority=authority,
        payment_id=payment_id,
        data=_json(data or {}),
    )
    session.add(tx)
    session.flush()
    for acct, amount in legs:
        acct.balance = acct.balance + amount
        session.add(
            LedgerEntry(
                transaction_id=tx.id,
                account_id=acct.id,
                amount=amount,
                currency=acct.currency,
                balance_after=acct.balance,
            )
        )
    session.flush()
    return tx


def _reopen(blk: Account, at: datetime) -> None:
    """A released blocked account takes blocked funds again: same account, history continued."""
    if blk.status == "closed":
        blk.status = "blocked"
        blk.closed_at = None
        blk.interest_accrued_to = at


def _active_blocks(session: Session, owner_id: str | None) -> list[Block]:
    if owner_id is None:
        return []
    q = select(Block).where(Block.party_id == owner_id, Block.released_at.is_(None)).order_by(Block.id)
    return list(session.execute(q).scalars())


def _blocks_at(session: Session, owner_id: str | None, at: datetime) -> list[Block]:
    """The owner's blocks in force at ``at``, including one released at that very moment.

    A release under a licence is checked against the programs and listings that blocked the funds,
    and the caller (``blocking.release_block``) may already have closed the block in this transaction.
    """
    if owner_id is None:
        return []
    q = (
        select(Block)
        .where(
            Block.party_id == owner_id,
            Block.blocked_at <= at,
            or_(Block.released_at.is_(None), Block.released_at >= at),
        )
        .order_by(Block.id)
    )
    return list(session.execute(q).scalars())


def _is_blocked(acct: Account, blocks: Sequence[Block]) -> bool:
    """Blocked property: a blocked account, a customer account marked blocked, or an owner under a block.

    The last case guards against a block recorded without its funds blocked yet: debits are then
    refused too rather than let money out.
    """
    return acct.kind == "blocked" or acct.status == "blocked" or bool(blocks)


def _authorise_debit(
    session: Session,
    *,
    acct: Account,
    blocks: Sequence[Block],
    authority: str | None,
    purpose: str | None,
    at: datetime,
    actor: str,
    amount: Decimal,
    what: str,
    refusal: str,
) -> dict[str, Any]:
    """What allows this debit of blocked property, or ``BlockedPropertyError`` (recorded in the audit trail).

    The refusal is appended to the audit trail before the error is raised: a caller that commits
    after catching it (as the CLI does) keeps the record of the denied debit.
    """
    if authority == SERVICE_CHARGE:
        return {"rule": SERVICE_CHARGE_RULE}
    programs = sorted({str(p) for b in blocks for p in b.programs})
    entity_ids = sorted({b.entity_id for b in blocks if b.entity_id})
    evidence: dict[str, Any] = {
        "blocks": [b.id for b in blocks],
        "programs": programs,
        "entity_ids": entity_ids,
    }
    if authority:
        result = licenses.check(authority, programs=programs, entity_ids=entity_ids, purpose=purpose, at=at)
        evidence["license_check"] = result.to_dict()
        if result.ok:
            return evidence
        message = f"{refusal}: licence {authority} does not authorise it: {result.reason}"
    else:
        message = f"{refusal}: only a licence or normal service charges (31 CFR 562.505) can debit it"
    audit.append(
        session,
        actor=actor,
        action="ledger.debit_refused",
        subject=f"account:{acct.id}",
        data={
            "what": what,
            "amount": amount,
            "currency": acct.currency,
            "purpose": purpose,
            "reason": message,
        }
        | evidence,
        at=at,
    )
    raise BlockedPropertyError(message)


# --- the public functions ------------------------------------------------------------------------


def open_account(
    session: Session,
    *,
    account_id: str,
    owner_id: str,
    currency: str,
    opening_balance: Decimal = Decimal(0),
    actor: str,
    at: datetime | None = None,
    source: str = "",
) -> Account:
    """A new customer account in ``owner_id``'s name; an opening balance comes from ``SYS-OPENING-<CCY>``."""
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    at = _utc(at)
    actor = _text(actor, "actor")
    account_id = _new_id(account_id)
    currency = _currency(currency)
    opening = _amount(opening_balance, currency, what="opening balance", zero_ok=True)
    if session.get(Party, owner_id) is None:
        raise NotFoundError(f"no party {owner_id!r} to hold account {account_id}")
    if session.get(Account, account_id) is not None:
        raise EnforcementError(f"account {account_id} exists already")
    acct = Account(
        id=account_id,
        kind="customer",
        owner_id=owner_id,
        currency=currency,
        balance=Decimal(0),
        status="open",
        opened_at=at,
        source=source,
    )
    session.add(acct)
    session.flush()
    tx = None
    if opening > 0:
        opening_id = _internal(session, "OPENING", currency, at)
        locked = _lock(session, [account_id, opening_id])
        tx = _post(
            session,
            kind="opening",
            at=at,
            actor=actor,
            reason=f"opening balance{f' ({source})' if source else ''}",
            legs=[(locked[opening_id], -opening), (locked[account_id], opening)],
        )
    audit.append(
        session,
        actor=actor,
        action="ledger.open",
        subject=f"account:{account_id}",
        data={
            "owner": owner_id,
            "currency": currency,
            "opening_balance": opening,
            "transaction": tx.id if tx else None,
            "source": source,
        },
        at=at,
    )
    return acct


def deposit(
    session: Session,
    *,
    account_id: str,
    amount: Decimal,
    actor: str,
    reason: str,
    at: datetime | None = None,
    payment_id: int | None = None,
) -> LedgerTransaction:
    """Credit ``account_id`` from clearing; for a blocked customer account, its blocked account takes it."""
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    at = _utc(at)
    actor, reason = _text(actor, "actor"), _text(reason, "reason")
    acct = _get(session, account_id)
    amount = _amount(amount, acct.currency)
    if acct.kind == "internal":
        raise EnforcementError(f"{account_id} is one of the ledger's internal accounts; it takes no deposits")
    clearing = _internal(session, "CLEARING", acct.currency, at)
    optional = [blocked_account_id(account_id)] if acct.kind == "customer" else []
    locked = _lock(session, [account_id, clearing], optional)
    acct = locked[account_id]
    if acct.status == "closed":
        raise EnforcementError(f"account {account_id} is closed")
    target = acct
    if acct.kind == "customer" and acct.status == "blocked":
        blk_id = _ensure_blocked(session, acct, at)
        if blk_id not in locked:  # only if the blocking committed while this call waited for its locks
            locked.update(_lock(session, [blk_id]))
        target = locked[blk_id]
        _reopen(target, at)
    tx = _post(
        session,
        kind="deposit",
        at=at,
        actor=actor,
        reason=reason,
        legs=[(locked[clearing], -amount), (target, amount)],
        payment_id=payment_id,
        data={"requested_account": account_id, "blocked": target.kind == "blocked"},
    )
    audit.append(
        session,
        actor=actor,
        action="ledger.deposit",
        subject=f"account:{target.id}",
        data={
            "transaction": tx.id,
            "amount": amount,
            "currency": acct.currency,
            "requested_account": account_id,
            "reason": reason,
            "payment": payment_id,
        },
        at=at,
    )
    return tx


def withdraw(
    session: Session,
    *,
    account_id: str,
    amount: Decimal,
    actor: str,
    reason: str,
    at: datetime | None = None,
    authority: str | None = None,
    purpose: str | None = None,
    payment_id: int | None = None,
) -> LedgerTransaction:
    """Debit ``account_id`` to clearing (to ``SYS-CHARGES`` for a service charge).

    Blocked property (a blocked account, a customer account marked blocked, an account whose owner
    has an active block) is debited only with ``authority="service_charge"`` or a licence number
    that ``licenses.check`` accepts for the owner's programs, listed ids and ``purpose`` at ``at``;
    anything else raises ``BlockedPropertyError`` after recording the refusal in the audit trail.
    """
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    at = _utc(at)
    actor, reason = _text(actor, "actor"), _text(reason, "reason")
    acct = _get(session, account_id)
    amount = _amount(amount, acct.currency)
    if acct.kind == "internal":
        raise EnforcementError(f"{account_id} is one of the ledger's internal accounts")
    charge = authority == SERVICE_CHARGE
    counter = _internal(session, "CHARGES" if charge else "CLEARING", acct.currency, at)
    locked = _lock(session, [account_id, counter])
    acct = locked[account_id]
    if acct.status == "closed":
        raise EnforcementError(f"account {account_id} is closed")
    blocks = _active_blocks(session, acct.owner_id)
    blocked = _is_blocked(acct, blocks)
    evidence: dict[str, Any] = {}
    if blocked:
        evidence = _authorise_debit(
            session,
            acct=acct,
            blocks=blocks,
            authority=authority,
            purpose=purpose,
            at=at,
            actor=actor,
            amount=amount,
            what="withdrawal",
            refusal=f"account {account_id} holds blocked property",
        )
    tx = _post(
        session,
        kind="charge" if charge else "withdrawal",
        at=at,
        actor=actor,
        reason=reason,
        legs=[(acct, -amount), (locked[counter], amount)],
        authority=authority,
        payment_id=payment_id,
        data={"purpose": purpose, "blocked_property": blocked} | evidence,
    )
    audit.append(
        session,
        actor=actor,
        action="ledger.charge" if charge else "ledger.withdraw",
        subject=f"account:{account_id}",
        data={
            "transaction": tx.id,
            "amount": amount,
            "currency": acct.currency,
            "reason": reason,
            "authority": authority,
            "purpose": purpose,
            "blocked_property": blocked,
            "payment": payment_id,
        }
        | evidence,
        at=at,
    )
    return tx


def transfer(
    session: Session,
    *,
    from_id: str,
    to_id: str,
    amount: Decimal,
    actor: str,
    reason: str,
    at: datetime | None = None,
    authority: str | None = None,
) -> LedgerTransaction:
    """Move money between two accounts in one currency.

    Out of blocked property only into another blocked account in the same owner's name (a licence
    in ``authority`` may allow otherwise); into a customer account marked blocked, the money goes to
    its blocked account, as a deposit would.
    """
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    at = _utc(at)
    actor, reason = _text(actor, "actor"), _text(reason, "reason")
    if from_id == to_id:
        raise EnforcementError(f"a transfer from {from_id} to itself moves nothing")
    src, dst = _get(session, from_id), _get(session, to_id)
    amount = _amount(amount, src.currency)
    if src.currency != dst.currency:
        raise EnforcementError(
            f"{from_id} is in {src.currency} and {to_id} in {dst.currency}: no exchange here"
        )
    for acct in (src, dst):
        if acct.kind == "internal":
            raise EnforcementError(f"{acct.id} is one of the ledger's internal accounts")
    optional = [blocked_account_id(to_id)] if dst.kind == "customer" else []
    locked = _lock(session, [from_id, to_id], optional)
    src, dst = locked[from_id], locked[to_id]
    for acct in (src, dst):
        if acct.status == "closed":
            raise EnforcementError(f"account {acct.id} is closed")
    target = dst
    if dst.kind == "customer" and dst.status == "blocked":
        blk_id = _ensure_blocked(session, dst, at)
        if blk_id not in locked:
            locked.update(_lock(session, [blk_id]))
        target = locked[blk_id]
        if target.id == from_id:
            raise EnforcementError(f"{to_id}'s funds are held in {from_id} already")
    blocks = _active_blocks(session, src.owner_id)
    blocked = _is_blocked(src, blocks)
    evidence: dict[str, Any] = {}
    if blocked:
        if target.kind == "blocked" and target.owner_id == src.owner_id:
            evidence = {"rule": SAME_NAME_RULE}
        else:
            where = (
                f"{target.id}, a blocked account of {target.owner_id}"
                if target.kind == "blocked"
                else f"{target.id}, which is not a blocked account"
            )
            evidence = _authorise_debit(
                session,
                acct=src,
                blocks=blocks,
                authority=authority if authority != SERVICE_CHARGE else None,
                purpose=None,
                at=at,
                actor=actor,
                amount=amount,
                what=f"transfer to {target.id}",
                refusal=(
                    f"account {from_id} holds blocked property of {src.owner_id}: it may go only to another "
                    f"blocked account in the same name, not to {where}"
                ),
            )
    _reopen(target, at)
    tx = _post(
        session,
        kind="transfer",
        at=at,
        actor=actor,
        reason=reason,
        legs=[(src, -amount), (target, amount)],
        authority=authority or evidence.get("rule"),
        data={"requested_account": to_id, "blocked_property": blocked} | evidence,
    )
    audit.append(
        session,
        actor=actor,
        action="ledger.transfer",
        subject=f"account:{from_id}",
        data={
            "transaction": tx.id,
            "to": target.id,
            "requested_account": to_id,
            "amount": amount,
            "currency": src.currency,
            "reason": reason,
            "authority": authority,
        }
        | evidence,
        at=at,
    )
    return tx


def block_funds(
    session: Session,
    *,
    account_id: str,
    actor: str,
    reason: str,
    at: datetime | None = None,
    block_id: int | None = None,
    interest_rate: Decimal | None = None,
) -> Account:
    """Move a customer account's whole balance into ``BLK-<account_id>`` and mark the account blocked.

    The blocked account is created in the same owner's name and currency (or reused, and reopened
    if it was released before). Returns it. Blocking an account already blocked moves whatever
    came in since (normally nothing) and records the decision again.
    """
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    at = _utc(at)
    actor, reason = _text(actor, "actor"), _text(reason, "reason")
    rate = _rate(interest_rate) if interest_rate is not None else None
    src = _get(session, account_id)
    if src.kind != "customer":
        raise EnforcementError(
            f"{account_id} is a {src.kind} account: only a customer account's funds are blocked"
        )
    blk_id = _ensure_blocked(session, src, at, rate)
    ids = [account_id, blk_id]
    interest_id = _internal(session, "INTEREST", src.currency, at) if rate is not None else None
    if interest_id:
        ids.append(interest_id)
    locked = _lock(session, ids)
    src, blk = locked[account_id], locked[blk_id]
    if src.status == "closed":
        raise EnforcementError(f"account {account_id} is closed")
    if blk.status == "closed":
        _reopen(blk, at)
    elif rate is not None and blk.interest_rate != rate and interest_id:
        # interest earned so far is owed at the old rate, before the new one applies
        _accrue(session, blk, locked[interest_id], at, actor)
    if rate is not None:
        blk.interest_rate = rate
    moved = src.balance
    tx = None
    if moved > 0:
        tx = _post(
            session,
            kind="block",
            at=at,
            actor=actor,
            reason=reason,
            legs=[(src, -moved), (blk, moved)],
            authority=f"block {block_id}" if block_id is not None else None,
            data={"block": block_id, "source_account": account_id},
        )
    src.status = "blocked"
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="ledger.block",
        subject=f"account:{account_id}",
        data={
            "blocked_account": blk_id,
            "amount": moved,
            "currency": src.currency,
            "transaction": tx.id if tx else None,
            "block": block_id,
            "interest_rate": blk.interest_rate,
            "reason": reason,
        },
        at=at,
    )
    return blk


def receive_blocked(
    session: Session,
    *,
    owner_id: str,
    currency: str,
    amount: Decimal,
    actor: str,
    reason: str,
    at: datetime | None = None,
    payment_id: int | None = None,
    block_id: int | None = None,
) -> Account:
    """Take a blocked payment's funds from clearing into a blocked account in ``owner_id``'s name.

    The blocked account is ``BLK-<account>`` of the owner's account in that currency (one already
    blocked first, else the first by id), or ``BLK-<owner_id>-<CCY>`` when the owner has none here.
    """
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    at = _utc(at)
    actor, reason = _text(actor, "actor"), _text(reason, "reason")
    currency = _currency(currency)
    amount = _amount(amount, currency)
    if session.get(Party, owner_id) is None:
        raise NotFoundError(f"no party {owner_id!r} to hold blocked funds")
    accounts = session.execute(
        select(Account).where(
            Account.owner_id == owner_id,
            Account.currency == currency,
            Account.kind == "customer",
            Account.status != "closed",
        )
    ).scalars()
    own = sorted(accounts, key=lambda a: (a.status != "blocked", a.id))
    if own:
        blk_id = _ensure_blocked(session, own[0], at)
    else:
        blk_id = f"{BLOCKED_PREFIX}{owner_id}-{currency}"
        _ensure_account(
            session,
            {
                "id": blk_id,
                "kind": "blocked",
                "owner_id": owner_id,
                "currency": currency,
                "balance": Decimal(0),
                "status": "blocked",
                "source_account_id": None,
                "interest_rate": None,
                "interest_accrued_to": at,
                "opened_at": at,
                "source": f"ledger: blocked funds received for {owner_id}",
            },
        )
    clearing = _internal(session, "CLEARING", currency, at)
    locked = _lock(session, [blk_id, clearing])
    blk = locked[blk_id]
    _reopen(blk, at)
    tx = _post(
        session,
        kind="block",
        at=at,
        actor=actor,
        reason=reason,
        legs=[(locked[clearing], -amount), (blk, amount)],
        authority=f"block {block_id}" if block_id is not None else None,
        payment_id=payment_id,
        data={"block": block_id, "owner": owner_id, "payment": payment_id},
    )
    audit.append(
        session,
        actor=actor,
        action="ledger.receive_blocked",
        subject=f"account:{blk_id}",
        data={
            "transaction": tx.id,
            "owner": owner_id,
            "amount": amount,
            "currency": currency,
            "payment": payment_id,
            "block": block_id,
            "reason": reason,
        },
        at=at,
    )
    return blk


# --- interest ----------------------------------------------------------------------------------


def effective_rate(session: Session, acct: Account) -> tuple[Decimal, str]:
    """The account's annual rate and where it comes from: ``account``, ``setting``, ``policy`` or ``default``.

    The jurisdiction policy in force states the institution's rate; every blocked account without a
    rate of its own follows it, however it was blocked (a confirmed match, the 50 percent rule, a
    blocked payment).
    """
    if acct.interest_rate is not None:
        return Decimal(acct.interest_rate), "account"
    setting = session.get(Setting, RATE_SETTING)
    if setting is None:
        if session.get(Setting, POLICY_SETTING) is not None:
            return load_policy(session).interest_rate, "policy"
        return DEFAULT_INTEREST_RATE, "default"
    raw = setting.value.get("rate") if isinstance(setting.value, dict) else None
    try:
        rate = Decimal(str(raw))
    except InvalidOperation:
        rate = Decimal("NaN")
    if raw is None or not rate.is_finite():
        raise EnforcementError(
            f'setting {RATE_SETTING}: "rate" must be a decimal such as "0.04", not {raw!r}'
        )
    return _rate(rate, f"setting {RATE_SETTING}"), "setting"


def set_default_rate(session: Session, *, rate: Decimal, actor: str, at: datetime | None = None) -> None:
    """Set the rate for blocked accounts with none of their own (the ``blocked_interest_rate`` setting)."""
    at = _utc(at)
    actor = _text(actor, "actor")
    rate = _rate(rate)
    setting = session.get(Setting, RATE_SETTING)
    old = setting.value.get("rate") if setting is not None else None
    if setting is None:
        session.add(Setting(key=RATE_SETTING, value={"rate": str(rate)}, updated_at=at, updated_by=actor))
    else:
        setting.value = {"rate": str(rate)}
        setting.updated_at, setting.updated_by = at, actor
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="ledger.rate",
        subject=f"setting:{RATE_SETTING}",
        data={"rate": rate, "was": old},
        at=at,
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def _balance_days(session: Session, account_id: str, first: date, end: date) -> Decimal:
    """Sum over the days ``first`` .. ``end - 1`` of each day's closing balance (UTC days)."""
    rows = session.execute(
        select(LedgerTransaction.at, LedgerEntry.amount)
        .join(LedgerTransaction, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerEntry.account_id == account_id, LedgerTransaction.at < _midnight(end))
        .order_by(LedgerTransaction.at, LedgerEntry.id)
    ).all()
    # the closing balance changes on the (UTC) day of each entry; add up balance x days per segment
    changes: dict[date, Decimal] = {}
    running = Decimal(0)
    for at, amount in rows:
        day = max(at.astimezone(UTC).date(), first)
        changes[day] = changes.get(day, Decimal(0)) + Decimal(amount)
    total = Decimal(0)
    days = sorted(changes)
    for i, day in enumerate(days):
        running += changes[day]
        upto = days[i + 1] if i + 1 < len(days) else end
        total += running * (upto - day).days
    return total


def _last_carry(session: Session, acct: Account) -> Decimal:
    """The rounding remainder left by the last interest posting, if it ended where this period starts."""
    row = session.execute(
        select(LedgerTransaction.data)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerEntry.account_id == acct.id, LedgerTransaction.kind == "interest")
        .order_by(LedgerTransaction.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if not row or acct.interest_accrued_to is None:
        return Decimal(0)
    if row.get("accrued_to") != acct.interest_accrued_to.astimezone(UTC).isoformat():
        return Decimal(0)
    return Decimal(str(row.get("carry_out", "0")))


def _accrue(
    session: Session, acct: Account, interest_acct: Account, until: datetime, actor: str
) -> LedgerTransaction | None:
    """Post the interest earned from ``interest_accrued_to`` to ``until`` (both accounts locked)."""
    if acct.kind != "blocked" or acct.status == "closed":
        return None
    start = acct.interest_accrued_to or acct.opened_at
    first, end = start.astimezone(UTC).date(), until.astimezone(UTC).date()
    if end <= first:
        return None
    rate, rate_source = effective_rate(session, acct)
    carry_in = _last_carry(session, acct)
    with decimal.localcontext() as ctx:
        ctx.prec = 60  # balance x days x rate needs more than the default 28 digits
        balance_days = _balance_days(session, acct.id, first, end)
        earned = balance_days * rate / 365
        exact = earned + carry_in
        posted = exact.quantize(_quantum(acct.currency), rounding=ROUND_HALF_EVEN)
        # 12 decimals keep the remainder exact to far below any minor unit, and readable
        earned = earned.quantize(_CARRY_QUANTUM, rounding=ROUND_HALF_EVEN)
        carry_out = (exact - posted).quantize(_CARRY_QUANTUM, rounding=ROUND_HALF_EVEN)
    days = (end - first).days
    if posted <= 0:
        # nothing to post yet: the period is left open, so the next accrual counts it whole
        return None
    tx = _post(
        session,
        kind="interest",
        at=until,
        actor=actor,
        reason=f"interest at {rate.normalize():f} a year, actual/365: {days} days, {first} to {end}",
        legs=[(interest_acct, -posted), (acct, posted)],
        authority="blocked funds earn a commercially reasonable rate (domain notes 2.2)",
        data={
            "from": start.astimezone(UTC),
            "accrued_to": until.astimezone(UTC),
            "days": days,
            "rate": rate,
            "rate_source": rate_source,
            "balance_days": balance_days,
            "earned": earned,
            "carry_in": carry_in,
            "carry_out": carry_out,
        },
    )
    acct.interest_accrued_to = until
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="ledger.interest",
        subject=f"account:{acct.id}",
        data={
            "transaction": tx.id,
            "amount": posted,
            "currency": acct.currency,
            "rate": rate,
            "until": until,
        },
        at=until,
    )
    return tx


def accrue_interest(
    session: Session, *, account_id: str, until: datetime, actor: str
) -> LedgerTransaction | None:
    """Credit a blocked account with simple interest (actual/365) on its daily closing balances.

    The days counted are the UTC days from the one of ``interest_accrued_to`` up to, not including,
    the day of ``until``. The interest is rounded to the currency's minor unit (half-even) and the
    remainder carried to the next accrual. Returns None when there is nothing to post (a closed
    account, no day elapsed, or less than half a minor unit earned, which then stays owed).
    """
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    until = _utc(until)
    actor = _text(actor, "actor")
    acct = _get(session, account_id)
    if acct.kind != "blocked":
        raise EnforcementError(
            f"{account_id} is a {acct.kind} account: interest accrues here only on blocked ones"
        )
    interest_id = _internal(session, "INTEREST", acct.currency, until)
    locked = _lock(session, [account_id, interest_id])
    return _accrue(session, locked[account_id], locked[interest_id], until, actor)


def accrue_all(session: Session, *, until: datetime, actor: str) -> list[LedgerTransaction]:
    """Accrue interest on every blocked account still holding funds; all are locked first, in id order."""
    until = _utc(until)
    actor = _text(actor, "actor")
    accounts = list(
        session.execute(
            select(Account).where(Account.kind == "blocked", Account.status != "closed").order_by(Account.id)
        ).scalars()
    )
    interest_ids = {a.currency: _internal(session, "INTEREST", a.currency, until) for a in accounts}
    locked = _lock(session, [a.id for a in accounts] + list(interest_ids.values()))
    posted = []
    for acct in accounts:
        tx = _accrue(session, locked[acct.id], locked[interest_ids[acct.currency]], until, actor)
        if tx is not None:
            posted.append(tx)
    return posted


# --- release -----------------------------------------------------------------------------------


def release(
    session: Session,
    *,
    blocked_account_id: str,
    kind: str,
    actor: str,
    reason: str,
    at: datetime | None = None,
    authority: str | None = None,
) -> LedgerTransaction:
    """Unblock: accrue interest to ``at``, move everything back, close the blocked account.

    ``kind`` is ``delisting``, ``license`` (``authority`` must be a licence that covers the
    release: ``licenses.check`` with purpose None, i.e. a wind-down licence, or ``unblocking``
    licences written for it) or ``compliance_release`` (funds blocked in error, 31 CFR 501.806).
    The funds go to the source account, whose status returns to ``open``; with no source account
    (funds of a blocked payment) or a closed one, to clearing. Entries are never removed.
    """
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    at = _utc(at)
    actor, reason = _text(actor, "actor"), _text(reason, "reason")
    if kind not in RELEASE_KINDS:
        raise EnforcementError(f"release kind must be one of {', '.join(RELEASE_KINDS)}, not {kind!r}")
    blk = _get(session, blocked_account_id)
    if blk.kind != "blocked":
        raise EnforcementError(f"{blocked_account_id} is a {blk.kind} account, not a blocked one")
    if kind == "license" and not authority:
        raise EnforcementError("a release under a licence needs the licence number as authority")
    dest_id: str | None = blk.source_account_id
    if dest_id is not None and _get(session, dest_id).status == "closed":
        dest_id = None
    dest_id = dest_id or _internal(session, "CLEARING", blk.currency, at)
    interest_id = _internal(session, "INTEREST", blk.currency, at)
    locked = _lock(session, [blocked_account_id, dest_id, interest_id])
    blk, dest = locked[blocked_account_id], locked[dest_id]
    if blk.status == "closed":
        raise EnforcementError(f"{blocked_account_id} was released already")
    evidence: dict[str, Any] = {}
    if kind == "license" and licenses.find(authority or "") is None:
        # a specific licence OFAC issued to the institution for these funds: not in any registry,
        # so it is recorded as given (the decision that approved the release checked it, and the
        # institution keeps its copy)
        evidence = {"licence": authority, "licence_check": "specific licence held by the institution"}
    elif kind == "license":
        blocks = _blocks_at(session, blk.owner_id, at)
        evidence = _authorise_debit(
            session,
            acct=blk,
            blocks=blocks,
            authority=authority,
            purpose=None,
            at=at,
            actor=actor,
            amount=blk.balance,
            what="release",
            refusal=f"{blocked_account_id} cannot be released under a licence",
        )
    interest_tx = _accrue(session, blk, locked[interest_id], at, actor)
    amount = blk.balance
    tx = _post(
        session,
        kind="release",
        at=at,
        actor=actor,
        reason=reason,
        legs=[(blk, -amount), (dest, amount)],
        authority=authority,
        data={
            "release_kind": kind,
            "destination": dest.id,
            "interest_transaction": interest_tx.id if interest_tx else None,
        }
        | evidence,
    )
    blk.status = "closed"
    blk.closed_at = at
    if dest.kind == "customer" and dest.status == "blocked":
        dest.status = "open"
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="ledger.release",
        subject=f"account:{blocked_account_id}",
        data={
            "transaction": tx.id,
            "kind": kind,
            "amount": amount,
            "currency": blk.currency,
            "to": dest.id,
            "interest": interest_tx.id if interest_tx else None,
            "authority": authority,
            "reason": reason,
        }
        | evidence,
        at=at,
    )
    return tx


# --- reading -----------------------------------------------------------------------------------


def balance(session: Session, account_id: str) -> Decimal:
    """The balance kept on the account's row."""
    acct = _get(session, account_id)
    return Decimal(acct.balance).quantize(_quantum(acct.currency))


def history(session: Session, account_id: str) -> list[dict[str, Any]]:
    """Every entry on the account, oldest first, with its transaction and the other accounts in it."""
    _get(session, account_id)
    rows = session.execute(
        select(LedgerEntry, LedgerTransaction)
        .join(LedgerTransaction, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerEntry.account_id == account_id)
        .order_by(LedgerTransaction.at, LedgerEntry.id)
    ).all()
    tx_ids = [tx.id for _, tx in rows]
    others: dict[int, list[str]] = {}
    if tx_ids:
        for tx_id, other in session.execute(
            select(LedgerEntry.transaction_id, LedgerEntry.account_id).where(
                LedgerEntry.transaction_id.in_(tx_ids), LedgerEntry.account_id != account_id
            )
        ):
            others.setdefault(tx_id, []).append(other)
    return [
        {
            "transaction": tx.id,
            "entry": entry.id,
            "at": tx.at,
            "kind": tx.kind,
            "amount": Decimal(entry.amount).quantize(_quantum(entry.currency)),
            "currency": entry.currency,
            "balance_after": Decimal(entry.balance_after).quantize(_quantum(entry.currency)),
            "counterparts": sorted(others.get(tx.id, [])),
            "actor": tx.actor,
            "reason": tx.reason,
            "authority": tx.authority,
            "payment": tx.payment_id,
            "data": tx.data,
        }
        for entry, tx in rows
    ]


@dataclass(frozen=True)
class Holding:
    """A blocked account as it stood at the end of a day: what the annual report of blocked property lists."""

    account_id: str
    owner_id: str | None
    owner_name: str | None
    source_account_id: str | None
    currency: str
    balance: Decimal
    interest_rate: Decimal
    rate_source: str
    blocked_on: date | None
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.account_id,
            "owner": self.owner_id,
            "owner_name": self.owner_name,
            "source_account": self.source_account_id,
            "currency": self.currency,
            "balance": str(self.balance),
            "interest_rate": str(self.interest_rate),
            "rate_source": self.rate_source,
            "blocked_on": self.blocked_on.isoformat() if self.blocked_on else None,
            "status": self.status,
        }


def blocked_holdings(session: Session, *, on: date) -> list[Holding]:
    """Every blocked account holding money at the end of ``on`` (UTC), its balance then read from the entries.

    ``blocked_on`` is the day the account last went from empty to holding funds, so an account
    released and blocked again reports its current holding's date.
    """
    end = _midnight(on + timedelta(days=1))
    accounts = list(
        session.execute(
            select(Account).where(Account.kind == "blocked", Account.opened_at < end).order_by(Account.id)
        ).scalars()
    )
    if not accounts:
        return []
    rows = session.execute(
        select(LedgerEntry.account_id, LedgerTransaction.at, LedgerEntry.amount)
        .join(LedgerTransaction, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerEntry.account_id.in_([a.id for a in accounts]), LedgerTransaction.at < end)
        .order_by(LedgerTransaction.at, LedgerEntry.id)
    ).all()
    balances: dict[str, Decimal] = {}
    since: dict[str, date | None] = {}
    for account_id, at, amount in rows:
        before = balances.get(account_id, Decimal(0))
        after = before + Decimal(amount)
        if before <= 0 < after:
            since[account_id] = at.astimezone(UTC).date()
        balances[account_id] = after
    owners = {
        p.id: p.name
        for p in session.execute(
            select(Party).where(Party.id.in_({a.owner_id for a in accounts if a.owner_id}))
        )
        .scalars()
        .all()
    }
    holdings = []
    for acct in accounts:
        held = balances.get(acct.id, Decimal(0))
        if held <= 0:
            continue
        rate, rate_source = effective_rate(session, acct)
        holdings.append(
            Holding(
                account_id=acct.id,
                owner_id=acct.owner_id,
                owner_name=owners.get(acct.owner_id) if acct.owner_id else None,
                source_account_id=acct.source_account_id,
                currency=acct.currency,
                balance=held.quantize(_quantum(acct.currency)),
                interest_rate=rate,
                rate_source=rate_source,
                blocked_on=since.get(acct.id),
                status=acct.status,
            )
        )
    return holdings
