"""The blocked-property ledger: double-entry postings in ``Decimal``, and the rules for blocked money.

Every movement is a ``LedgerTransaction`` whose entries sum to zero per currency; the balance kept on
each ``Account`` row is changed only here, together with the entry that explains it. Money comes
into and leaves the institution through internal accounts created on demand: ``SYS-OPENING-<CCY>``
(opening balances), ``SYS-CLEARING-<CCY>`` (deposits, withdrawals, incoming payments),
``SYS-INTEREST-<CCY>`` (interest paid on blocked accounts) and ``SYS-CHARGES-<CCY>`` (service
charges). Internal accounts may go below zero; customer and blocked accounts never do.

The rules for blocked property (``docs/ledger.md``), each with its source in ``PROGRAM_RULES`` or
next to the code that applies it:

* blocking moves a customer account's whole balance into an interest-bearing blocked account in the
  same name (``BLK-<account>``), and marks the customer account ``blocked``;
* credits for a blocked account holder are accepted, into the blocked account of the account they
  were sent to (a joint account's own, not another account of one holder);
* a blocked payment's funds come from where they were: from outside (clearing), or from the
  debtor's account here. A payment out of blocked property moves nothing: the funds are blocked
  already, and no money is created;
* debits from blocked property are refused unless they are a normal service charge from the
  policy's schedule, approved by a second person (``charge``), or conform to a specific licence
  registered here (``specific_licenses``). A general licence authorises dealings, never a debit;
* a blocked account transfers only to another blocked account in the same name;
* interest accrues at a configured rate; a release (delisting, a specific licence to unblock, a
  compliance release after an error) returns everything, interest included, and closes the
  blocked account with its history.

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

from proscribe.enforcement import audit, licenses, specific_licenses
from proscribe.enforcement.citations import program_citation, regulation_in_force
from proscribe.enforcement.clock import aware, reporting_date
from proscribe.enforcement.errors import BlockedPropertyError, EnforcementError, FourEyesError, NotFoundError
from proscribe.enforcement.policy import POLICY_SETTING, load_policy
from proscribe.money import minor_unit, quantum
from proscribe.registry import program_code
from proscribe.store.audit import Setting
from proscribe.store.book import Account, AccountParty, Party
from proscribe.store.casework import Block
from proscribe.store.ledger import LedgerEntry, LedgerTransaction

__all__ = [
    "DEFAULT_INTEREST_RATE",
    "PROGRAM_RULES",
    "RELEASE_KINDS",
    "Holding",
    "accrue_all",
    "accrue_interest",
    "balance",
    "block_funds",
    "blocked_account_id",
    "blocked_holdings",
    "charge",
    "deposit",
    "effective_rate",
    "history",
    "interest_holders",
    "internal_account_id",
    "is_blocked_property",
    "minor_unit",
    "open_account",
    "receive_blocked",
    "release",
    "set_default_rate",
    "transfer",
    "withdraw",
]

#: The ledger's rules as each program's own regulations state them. OFAC's blocking regulations
#: share one layout: 5xx.504 "payments and transfers to blocked accounts" (a transfer out of a blocked
#: account only to another blocked account in the same name) and 5xx.505 "entries in certain
#: accounts for normal service charges" (e.g. 31 CFR 562.504, 562.505). Part 528 follows it where
#: its sections were confirmed (528.506 legal services, 528.508 emergency medical services), but the
#: text of 528.504 and 528.505 was not retrieved, nor part 520's (EO 13928, revoked 2021): the
#: citations say so. Another program is cited by the standard provision's wording.
PROGRAM_RULES: dict[str, dict[str, str]] = {
    "ICC-EO14203": {
        "interest": (
            "31 CFR 528.203 (interest-bearing blocked accounts; section numbered by OFAC's standard "
            "layout, its text not retrieved [unverified])"
        ),
        "service_charge": (
            "31 CFR 528.505 (normal service charges; section numbered by OFAC's standard layout, "
            "its text not retrieved [unverified])"
        ),
        "same_name": (
            "31 CFR 528.504 (transfers between blocked accounts in the same name; section numbered "
            "by OFAC's standard layout, its text not retrieved [unverified])"
        ),
    },
    "ICC-EO13928": {
        "interest": "31 CFR 520.203 (interest-bearing blocked accounts)",
        "service_charge": (
            "31 CFR part 520, subpart E (normal service charges; the section was not retrieved [unverified])"
        ),
        "same_name": (
            "31 CFR part 520, subpart E (transfers between blocked accounts in the same name; the "
            "section was not retrieved [unverified])"
        ),
    },
}
_STANDARD_RULES = {
    "interest": (
        "the program's interest-bearing blocked account provision (standard OFAC wording, "
        "e.g. 31 CFR 597.203: a commercially reasonable rate)"
    ),
    "service_charge": (
        "the program's normal-service-charge provision (standard OFAC wording, e.g. 31 CFR 562.505)"
    ),
    "same_name": (
        "the program's blocked-account transfer provision (standard OFAC wording, e.g. 31 CFR 562.504)"
    ),
}
RELEASE_KINDS = ("delisting", "ownership_change", "license", "compliance_release")
#: the Setting holding the institution's rate for blocked accounts: ``{"rate": "0.0400"}``
RATE_SETTING = "blocked_interest_rate"
#: used when neither the account, the setting nor a stored policy gives a rate. Blocked funds must earn a
#: commercially reasonable rate; 4% a year is of the order of short US Treasury bill yields in
#: 2025, and an institution sets its own (``set_default_rate``).
DEFAULT_INTEREST_RATE = Decimal("0.0400")
BLOCKED_PREFIX = "BLK-"
INTERNAL_PREFIX = "SYS-"
_INTERNAL_PURPOSES = ("OPENING", "CLEARING", "INTEREST", "CHARGES")


def program_rule(rule: str, programs: Iterable[str], on: date | None = None) -> str:
    """The citation of ``rule`` (``interest``, ``service_charge``, ``same_name``) for the programs
    blocking the funds; with ``on``, a program whose regulations were not in force that day says so
    and what applied instead (``citations.program_citation``)."""
    codes = sorted({program_code(p) for p in programs})  # OFAC's "ICCP-EO13928" is ICC-EO13928
    cites = []
    for p in codes:
        if p not in PROGRAM_RULES:
            continue
        cite = PROGRAM_RULES[p][rule]
        if on is not None and regulation_in_force(p, on) is None:
            law = program_citation(p, on)
            cite += f"; but on {on.isoformat()}: {law}" if law is not None else ""
        cites.append(cite)
    others = [p for p in codes if p not in PROGRAM_RULES]
    if others or not cites:
        cites.append(_STANDARD_RULES[rule] + (f" ({', '.join(others)})" if others else ""))
    return "; ".join(cites)


#: the money columns hold 20 digits before the point
_MAX_AMOUNT = Decimal(10) ** 20
_ID_MAX = 100
_CARRY_QUANTUM = Decimal("1e-12")


def _quantum(currency: str) -> Decimal:
    return quantum(currency)


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
    direction: str = "debit",
    payee: str | None = None,
    payee_account: str | None = None,
) -> dict[str, Any]:
    """What allows this debit of blocked property, or ``BlockedPropertyError`` (recorded in the audit trail).

    Only a specific licence registered here and approved under four eyes can allow it, and only if
    the debit conforms to it (``specific_licenses.conforms``): its direction, a party it names, the
    account, the amount left, the payee, the dates. A general licence or a licence in the
    regulations is refused with what it does authorise (``licenses.check``). The refusal is
    appended to the audit trail before the error is raised: a caller that commits after catching it
    (as the CLI does) keeps the record of the denied debit.
    """
    programs = sorted({str(p) for b in blocks for p in b.programs})
    entity_ids = sorted({b.entity_id for b in blocks if b.entity_id})
    parties = sorted({b.party_id for b in blocks} | ({acct.owner_id} if acct.owner_id else set()))
    evidence: dict[str, Any] = {
        "blocks": [b.id for b in blocks],
        "programs": programs,
        "entity_ids": entity_ids,
    }
    if authority:
        record = specific_licenses.get(session, authority)
        if record is not None or (
            not licenses.is_general_number(authority) and licenses.find(authority) is None
        ):
            owner = session.get(Party, acct.owner_id) if acct.owner_id else None
            institution = load_policy(session).institution.name
            result = specific_licenses.conforms(
                specific_licenses.record_of(record) if record is not None else None,
                authority,
                direction=direction,
                parties=parties,
                at=at,
                amount=amount,
                currency=acct.currency,
                account=acct.id,
                counterparty=payee,
                counterparty_account=payee_account,
                purposes=[purpose] if purpose else [],
                participants=[n for n in (owner.name if owner else None, payee, institution) if n],
            )
            evidence["license_check"] = result.to_dict()
            if result.ok:
                assert result.record is not None
                return evidence | {"licence": result.record.number, "rule": specific_licenses.RULE}
            message = f"{refusal}: {result.reason}"
        else:
            dealing = "unblock" if direction == "release" else "debit_blocked"
            check = licenses.check(
                authority, programs=programs, entity_ids=entity_ids, purpose=purpose, at=at, dealing=dealing
            )
            evidence["license_check"] = check.to_dict()
            message = f"{refusal}: {check.reason}"
    else:
        message = (
            f"{refusal}: only a specific licence registered here (proscribe licenses register) or a "
            "normal service charge from the policy's schedule, approved by a second person "
            "(proscribe accounts charge), can debit it"
        )
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


def _use_licence(
    session: Session, evidence: dict[str, Any], amount: Decimal, *, actor: str, at: datetime, ref: str
) -> None:
    """Count a licensed debit against its specific licence (after the posting, in the same transaction)."""
    number = evidence.get("licence")
    if number:
        specific_licenses.consume(
            session, str(number), amount, actor=actor, at=at, what="ledger debit", ref=ref
        )


def _record_unblocking(
    session: Session, *, subject_type: str, subject_id: str, at: datetime, actor: str, data: dict[str, Any]
) -> int:
    """Record the unblocking report owed (31 CFR 501.603(b)(3)), due 10 business days after the day
    (in Washington) the property was unblocked or transferred; returns the report's id."""
    from proscribe.enforcement import reports  # the reports module reads the ledger

    report = reports.record_due(
        session,
        kind=reports.UNBLOCKING,
        subject_type=subject_type,
        subject_id=subject_id,
        trigger=reporting_date(at),
        actor=actor,
        at=at,
        data=data,
    )
    return report.id


def _licensed_transfer_report(
    session: Session, evidence: dict[str, Any], tx: LedgerTransaction, *, actor: str, at: datetime
) -> int | None:
    """A debit of blocked property under a specific licence is a transfer of blocked property: exempt
    from the unblocking report (31 CFR 501.603(b)(3), exception for licensed transfers) unless the
    licence itself requires one, in which case the report is recorded as owed."""
    number = evidence.get("licence")
    if not number:
        return None
    record = specific_licenses.get(session, str(number))
    if record is None:
        return None
    day = reporting_date(at)
    if day < UNBLOCKING_REPORTS_FROM:
        return None
    interim = day < UNBLOCKING_EXCEPTIONS_FROM  # no licence exception before 7 November 2024
    if not (record.unblocking_report or interim):
        return None
    why = (
        "the licence itself requires an unblocking report"
        if record.unblocking_report
        else "transferred under the interim rule (89 FR 40372), before its licence exception took effect"
    )
    return _record_unblocking(
        session,
        subject_type="transaction",
        subject_id=str(tx.id),
        at=at,
        actor=actor,
        data={
            "action": "transferred",
            "transaction": tx.id,
            "licence": str(number),
            "why": why,
        },
    )


def interest_holders(session: Session, acct: Account) -> set[str]:
    """Everyone with an interest in an account's funds: its owner and, for a customer account (or the
    customer account a blocked one took its funds from), every holder and joint holder."""
    holders = {acct.owner_id} if acct.owner_id else set()
    source_id = acct.source_account_id if acct.kind == "blocked" else acct.id
    if source_id:
        source = session.get(Account, source_id)
        if source is not None and source.owner_id:
            holders.add(source.owner_id)
        holders.update(
            session.scalars(
                select(AccountParty.party_id).where(
                    AccountParty.account_id == source_id, AccountParty.role.in_(("holder", "joint_holder"))
                )
            )
        )
    return holders


def is_blocked_property(session: Session, account_id: str) -> bool:
    """Whether an account holds blocked property: a blocked account, a customer account marked blocked,
    or one in which a party under an active block has an interest (its owner, a holder, a joint holder)."""
    acct = _get(session, account_id)
    if acct.kind == "internal":
        return False
    if acct.kind == "blocked" or acct.status == "blocked":
        return True
    return any(_active_blocks(session, holder) for holder in interest_holders(session, acct))


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
    payee: str | None = None,
    payee_account: str | None = None,
) -> LedgerTransaction:
    """Debit ``account_id`` to clearing.

    Blocked property (``is_blocked_property``) is debited only under a specific licence registered
    here (``authority``, its number) that the debit conforms to: the payee (``payee``,
    ``payee_account``), the amount left, the account, the dates; the debit is then counted against
    the licence. Anything else raises ``BlockedPropertyError`` after recording the refusal in the
    audit trail. Normal service charges go through ``charge``.
    """
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    at = _utc(at)
    actor, reason = _text(actor, "actor"), _text(reason, "reason")
    acct = _get(session, account_id)
    amount = _amount(amount, acct.currency)
    if acct.kind == "internal":
        raise EnforcementError(f"{account_id} is one of the ledger's internal accounts")
    counter = _internal(session, "CLEARING", acct.currency, at)
    locked = _lock(session, [account_id, counter])
    acct = locked[account_id]
    if acct.status == "closed":
        raise EnforcementError(f"account {account_id} is closed")
    blocked = is_blocked_property(session, account_id)
    evidence: dict[str, Any] = {}
    if blocked:
        holders = interest_holders(session, acct)
        blocks = [b for h in sorted(holders) for b in _active_blocks(session, h)]
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
            payee=payee,
            payee_account=payee_account,
        )
    tx = _post(
        session,
        kind="withdrawal",
        at=at,
        actor=actor,
        reason=reason,
        legs=[(acct, -amount), (locked[counter], amount)],
        authority=authority,
        payment_id=payment_id,
        data={"purpose": purpose, "blocked_property": blocked, "payee": payee, "payee_account": payee_account}
        | evidence,
    )
    _use_licence(session, evidence, amount, actor=actor, at=at, ref=f"transaction {tx.id}")
    report_id = _licensed_transfer_report(session, evidence, tx, actor=actor, at=at)
    if report_id is not None:
        evidence = evidence | {"unblocking_report_id": report_id}
    audit.append(
        session,
        actor=actor,
        action="ledger.withdraw",
        subject=f"account:{account_id}",
        data={
            "transaction": tx.id,
            "amount": amount,
            "currency": acct.currency,
            "reason": reason,
            "authority": authority,
            "purpose": purpose,
            "payee": payee,
            "blocked_property": blocked,
            "payment": payment_id,
        }
        | evidence,
        at=at,
    )
    return tx


def charge(
    session: Session,
    *,
    account_id: str,
    item: str,
    actor: str,
    proposed_by: str,
    reason: str,
    at: datetime | None = None,
) -> LedgerTransaction:
    """Debit a normal service charge from the policy's schedule, to ``SYS-CHARGES-<CCY>``.

    Normal service charges owed by the owner of a blocked account may be debited from it without a
    licence (``PROGRAM_RULES``: each program's normal-service-charge provision). "Normal" is the
    institution's schedule (``Policy.service_charges``): the item's amount in the account's
    currency, at most once per calendar month or year (UTC) per account. Proposed by one person
    and taken by another (``decisions.propose_charge``, then ``decisions.approve``), never by one.
    """
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    at = _utc(at)
    actor, reason, proposed_by = (
        _text(actor, "actor"),
        _text(reason, "reason"),
        _text(proposed_by, "proposer"),
    )
    if actor == proposed_by:
        raise FourEyesError(f"a service charge proposed by {actor} is taken by a second person (four eyes)")
    acct = _get(session, account_id)
    if acct.kind == "internal":
        raise EnforcementError(f"{account_id} is one of the ledger's internal accounts")
    policy = load_policy(session)
    schedule = policy.service_charge(item)
    if schedule is None:
        known = ", ".join(c.code for c in policy.service_charges) or "none"
        raise EnforcementError(
            f"{item!r} is not a normal service charge in the policy's schedule (schedule: {known})"
        )
    if acct.currency not in schedule.amounts:
        raise EnforcementError(f"the schedule has no {item} charge in {acct.currency}")
    amount = _amount(schedule.amounts[acct.currency], acct.currency)
    counter = _internal(session, "CHARGES", acct.currency, at)
    locked = _lock(session, [account_id, counter])
    acct = locked[account_id]
    if acct.status == "closed":
        raise EnforcementError(f"account {account_id} is closed")
    period = at.strftime("%Y-%m") if schedule.per == "month" else at.strftime("%Y")
    earlier = session.execute(
        select(LedgerTransaction.data)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerEntry.account_id == account_id, LedgerTransaction.kind == "charge")
    ).scalars()
    if any(d.get("item") == item and d.get("period") == period for d in earlier):
        raise EnforcementError(
            f"{item} was charged to {account_id} for {period} already (once a {schedule.per})"
        )
    holders = interest_holders(session, acct)
    programs = sorted({str(p) for h in holders for b in _active_blocks(session, h) for p in b.programs})
    blocked = is_blocked_property(session, account_id)
    rule = (
        program_rule("service_charge", programs, at.date())
        if blocked
        else "the institution's schedule of charges"
    )
    tx = _post(
        session,
        kind="charge",
        at=at,
        actor=actor,
        reason=reason,
        legs=[(acct, -amount), (locked[counter], amount)],
        authority=rule,
        data={
            "item": item,
            "description": schedule.description,
            "period": period,
            "per": schedule.per,
            "proposed_by": proposed_by,
            "approved_by": actor,
            "blocked_property": blocked,
            "programs": programs,
            "rule": rule,
        },
    )
    audit.append(
        session,
        actor=actor,
        action="ledger.charge",
        subject=f"account:{account_id}",
        data={
            "transaction": tx.id,
            "item": item,
            "amount": amount,
            "currency": acct.currency,
            "period": period,
            "proposed_by": proposed_by,
            "rule": rule,
            "reason": reason,
        },
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

    Out of blocked property only into another blocked account in the same owner's name (the
    program's blocked-account transfer rule, ``PROGRAM_RULES``), or as a registered specific licence
    (``authority``) allows; into a customer account marked blocked, the money goes to its blocked
    account, as a deposit would.
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
    holders = interest_holders(session, src)
    blocks = [b for h in sorted(holders) for b in _active_blocks(session, h)]
    blocked = is_blocked_property(session, from_id)
    evidence: dict[str, Any] = {}
    if blocked:
        if target.kind == "blocked" and target.owner_id == src.owner_id:
            programs = sorted({str(p) for b in blocks for p in b.programs})
            evidence = {"rule": program_rule("same_name", programs, at.date())}
        else:
            where = (
                f"{target.id}, a blocked account of {target.owner_id}"
                if target.kind == "blocked"
                else f"{target.id}, which is not a blocked account"
            )
            payee = session.get(Party, target.owner_id) if target.owner_id else None
            evidence = _authorise_debit(
                session,
                acct=src,
                blocks=blocks,
                authority=authority,
                purpose=None,
                at=at,
                actor=actor,
                amount=amount,
                what=f"transfer to {target.id}",
                refusal=(
                    f"account {from_id} holds blocked property of {src.owner_id}: it may go only to another "
                    f"blocked account in the same name, not to {where}"
                ),
                payee=payee.name if payee else None,
                payee_account=to_id,
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
    _use_licence(session, evidence, amount, actor=actor, at=at, ref=f"transaction {tx.id}")
    report_id = _licensed_transfer_report(session, evidence, tx, actor=actor, at=at)
    if report_id is not None:
        evidence = evidence | {"unblocking_report_id": report_id}
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
    into_account_id: str | None = None,
    from_account_id: str | None = None,
) -> Account:
    """Block a payment's funds: into a blocked account, out of wherever the money is.

    Into: the blocked account of ``into_account_id``, the account here the payment was sent to,
    when ``owner_id`` has an interest in it (a joint account's funds go to the joint account's
    blocked account, not to another account of one holder); else ``BLK-<account>`` of the owner's
    account in that currency (one already blocked first, else the first by id), or
    ``BLK-<owner_id>-<CCY>`` when the owner has none here.

    Out of: ``from_account_id``, the debtor's account here (a payment our customer sent), else
    clearing (money arriving from outside). Blocked property is never the source: its funds are
    blocked already, and crediting a blocked account again would create money
    (``BlockedPropertyError``; the caller leaves such a payment where it is).
    """
    audit.lock(session)  # the trail's lock before any account's: one order for every writer
    at = _utc(at)
    actor, reason = _text(actor, "actor"), _text(reason, "reason")
    currency = _currency(currency)
    amount = _amount(amount, currency)
    if session.get(Party, owner_id) is None:
        raise NotFoundError(f"no party {owner_id!r} to hold blocked funds")
    into: Account | None = None
    if into_account_id is not None:
        into = _get(session, into_account_id)
        if (
            into.kind != "customer"
            or into.currency != currency
            or owner_id not in interest_holders(session, into)
        ):
            raise EnforcementError(
                f"{into_account_id} is not a {currency} customer account in which {owner_id} has an interest"
            )
    if from_account_id is not None:
        src = _get(session, from_account_id)
        if src.kind != "customer" or src.currency != currency:
            raise EnforcementError(f"{from_account_id} is not a {currency} customer account")
        if is_blocked_property(session, from_account_id):
            raise BlockedPropertyError(
                f"{from_account_id} holds blocked property: its funds are blocked already and stay "
                "where they are"
            )
    if into is not None:
        blk_id = _ensure_blocked(session, into, at)
    else:
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
    source_id = from_account_id or _internal(session, "CLEARING", currency, at)
    locked = _lock(session, [blk_id, source_id])
    blk = locked[blk_id]
    if from_account_id is not None and locked[source_id].status != "open":
        raise BlockedPropertyError(
            f"{from_account_id} is {locked[source_id].status}: nothing moves out of it"
        )
    _reopen(blk, at)
    tx = _post(
        session,
        kind="block",
        at=at,
        actor=actor,
        reason=reason,
        legs=[(locked[source_id], -amount), (blk, amount)],
        authority=f"block {block_id}" if block_id is not None else None,
        payment_id=payment_id,
        data={
            "block": block_id,
            "owner": owner_id,
            "payment": payment_id,
            "from": source_id,
            "into": into_account_id,
        },
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
            "from": source_id,
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


def _interest_rule(session: Session, acct: Account, until: datetime) -> str:
    """The law that makes a blocked account earn interest: the blocking programs' own provision."""
    owner = acct.owner_id
    q = select(Block).where(Block.party_id == owner).order_by(Block.id) if owner else None
    blocks = list(session.execute(q).scalars()) if q is not None else []
    programs = sorted({str(p) for b in blocks for p in b.programs})
    return program_rule("interest", programs, until.date())


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
        authority=_interest_rule(session, acct, until),
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


def accrued_interest(session: Session, account_id: str, *, on: date) -> Decimal:
    """Interest a blocked account had earned by the end of ``on`` (UTC) and that was not yet credited.

    Counted as ``_accrue`` would count it, without posting anything: from the period the last
    interest credited before the end of ``on`` left open (its ``accrued_to``, with its rounding
    remainder) through the day ``on`` itself, on each day's closing balance, at the account's
    current rate. For the annual report of blocked property, whose value on 30 June includes the
    interest accrued by then (31 CFR 501.603(b)(2)).
    """
    acct = _get(session, account_id)
    if acct.kind != "blocked":
        return Decimal(0)
    end = on + timedelta(days=1)
    last = session.execute(
        select(LedgerTransaction)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(
            LedgerEntry.account_id == account_id,
            LedgerTransaction.kind == "interest",
            LedgerTransaction.at < _midnight(end),
        )
        .order_by(LedgerTransaction.at.desc(), LedgerTransaction.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    carry = Decimal(0)
    start = acct.opened_at
    if last is not None:
        data = last.data or {}
        start = datetime.fromisoformat(data["accrued_to"]) if data.get("accrued_to") else last.at
        carry = Decimal(str(data.get("carry_out", "0")))
    first = start.astimezone(UTC).date()
    if end <= first:
        return Decimal(0)
    rate, _ = effective_rate(session, acct)
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        exact = _balance_days(session, account_id, first, end) * rate / 365 + carry
        accrued = exact.quantize(_quantum(acct.currency), rounding=ROUND_HALF_EVEN)
    return max(accrued, Decimal(0))


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


#: 31 CFR 501.603(b)(3) took effect with the interim final rule 89 FR 40372 (10 May 2024)
UNBLOCKING_REPORTS_FROM = date(2024, 8, 8)
#: its exceptions (licences, SDN removals, blocked-to-blocked transfers, service charges): 89 FR 81358
UNBLOCKING_EXCEPTIONS_FROM = date(2024, 11, 7)


def unblocking_report(
    kind: str, licence_requires: bool = False, ownership_lapsed: bool = False, on: date | None = None
) -> dict[str, Any]:
    """Whether unblocking property this way owes OFAC a report within 10 business days, and why.

    31 CFR 501.603(b)(3) (in force since the 2024 amendments, final rule 89 FR 81358, effective
    7 November 2024) asks for a report whenever blocked property is unblocked or transferred,
    except (i) transfers between blocked accounts and debits for normal service charges, (ii)
    property unblocked under a general or specific licence, unless the licence itself requires a
    report, and (iii) property unblocked because OFAC removed the person from the SDN list. A
    release of a 50%-rule company because its blocked owner was delisted is not plainly within
    (iii) (the company was never listed): the report is treated as owed, the safer reading. So is a
    licensed release of a company whose 50%-rule basis lapsed (OFAC FAQ 402), although (ii) would
    exempt it: OFAC is told the property it was told of is no longer blocked.

    ``on`` is the day of the release in Washington: nothing is owed before the interim final rule
    took effect (8 August 2024, 89 FR 40372); between then and 7 November 2024, when the exceptions
    took effect, every unblocking is owed.
    """
    rule = "31 CFR 501.603(b)(3)"
    if on is not None and on < UNBLOCKING_REPORTS_FROM:
        return {
            "owed": False,
            "rule": rule,
            "why": f"unblocked on {on.isoformat()}, before 31 CFR 501.603(b)(3) took effect (8 August 2024)",
        }
    if on is not None and on < UNBLOCKING_EXCEPTIONS_FROM:
        return {
            "owed": True,
            "rule": rule,
            "why": (
                f"unblocked on {on.isoformat()}, under the interim rule (89 FR 40372), before its exceptions "
                "took effect on 7 November 2024 (89 FR 81358): every unblocking was reported"
            ),
        }
    if kind == "license" and ownership_lapsed and not licence_requires:
        return {
            "owed": True,
            "rule": rule,
            "why": (
                "unblocked under a licence after a change of ownership (OFAC FAQ 402): exempt unless the "
                "licence requires a report, but reported all the same (the safer side)"
            ),
        }
    if kind == "delisting":
        return {"owed": False, "rule": rule, "why": "unblocked because the person was removed from the list"}
    if kind == "license":
        if licence_requires:
            return {"owed": True, "rule": rule, "why": "the licence itself requires an unblocking report"}
        return {
            "owed": False,
            "rule": rule,
            "why": "unblocked under a licence that does not require a report",
        }
    if kind == "ownership_change":
        return {
            "owed": True,
            "rule": rule,
            "why": (
                "a 50%-rule company unblocked after its owner's delisting: not plainly exempt "
                "(the safer reading)"
            ),
        }
    return {
        "owed": True,
        "rule": rule,
        "why": "unblocked without a licence or a delisting (e.g. a compliance release)",
    }


def release(
    session: Session,
    *,
    blocked_account_id: str,
    kind: str,
    actor: str,
    reason: str,
    at: datetime | None = None,
    authority: str | None = None,
    ownership_lapsed: bool = False,
) -> LedgerTransaction:
    """Unblock: accrue interest to ``at``, move everything back, close the blocked account.

    ``kind`` is ``delisting`` (the listing ended), ``ownership_change`` (a 50%-rule company whose
    blocked owner was delisted), ``license`` (``authority`` is a specific licence registered here,
    of direction ``release``, naming this account, for at least its balance with interest; it is
    counted against the licence) or ``compliance_release`` (funds blocked in error,
    31 CFR 501.806; ``authority`` is OFAC's answer). The funds go to the source account, whose
    status returns to ``open``; with no source account (funds of a blocked payment) or a closed one,
    to clearing. Entries are never removed. The transaction records whether an unblocking report is
    owed (``unblocking_report``), for the report to be built from.
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
    interest_tx = _accrue(session, blk, locked[interest_id], at, actor)
    amount = blk.balance
    evidence: dict[str, Any] = {}
    if kind == "license":
        # the licence must name this account and cover its balance with interest, in force now
        blocks = _blocks_at(session, blk.owner_id, at)
        evidence = _authorise_debit(
            session,
            acct=blk,
            blocks=blocks,
            authority=authority,
            purpose=None,
            at=at,
            actor=actor,
            amount=amount,
            what="release",
            refusal=f"{blocked_account_id} cannot be released under a licence",
            direction="release",
        )
    record = specific_licenses.get(session, authority) if kind == "license" and authority else None
    report = unblocking_report(
        kind, bool(record and record.unblocking_report), ownership_lapsed, on=reporting_date(at)
    )
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
            "unblocking_report": report,
        }
        | evidence,
    )
    _use_licence(session, evidence, amount, actor=actor, at=at, ref=f"transaction {tx.id}")
    blk.status = "closed"
    blk.closed_at = at
    if dest.kind == "customer" and dest.status == "blocked":
        dest.status = "open"
    session.flush()
    if report["owed"]:
        # the duty to report is recorded with the release, in the same transaction
        report_id = _record_unblocking(
            session,
            subject_type="account",
            subject_id=blocked_account_id,
            at=at,
            actor=actor,
            data={"action": "unblocked", "transaction": tx.id, "release_kind": kind, "why": report["why"]},
        )
        report = {**report, "report": report_id}
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
            "unblocking_report": report,
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
