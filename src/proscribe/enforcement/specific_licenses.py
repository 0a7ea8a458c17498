"""Specific licences: recorded under four eyes, then checked against every transaction that rests on one.

OFAC issues a specific licence to a named licensee for named property and transactions
(31 CFR 501.801). An institution acting on one checks that the transaction conforms to it and
keeps a copy (FFIEC BSA/AML Examination Manual, OFAC procedures and Appendix H). Here a specific licence
exists only once it is *registered*: its number, issuing authority, licensee, the parties and
blocked accounts it concerns, its direction, the amount and currency, its purpose, the payee or
remitter it names, its issue and expiry dates and where the copy is kept. One person records it
(``register``), a second approves it (``decisions.approve``); until then it authorises nothing.
A number nobody registered, whatever a payment or a person says, is refused.

Directions:

* ``debit``: pay out of the named blocked accounts, to the payee the licence names, up to the
  amount (legal fees from blocked funds, for instance);
* ``release``: unblock the named accounts and return them to their holder. Never for a person
  still listed: the holder could then withdraw the money at once. A listed person's licensed
  payments are debits to the payees the licence names;
* ``incoming``: receive payments for a named blocked party without blocking them, from the
  remitter it names (if it names one), up to the amount.

``conforms`` checks a transaction against a licence: active, issued and not expired at the
moment, the direction, a party it names, the account, the currency, the amount still unused, the
payee or remitter, the purpose, and that the licensee is a party to the transaction (or the
institution). Every use is counted against the amount (``consume``), under a row lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import audit
from proscribe.enforcement.clock import aware
from proscribe.enforcement.errors import EnforcementError, NotFoundError
from proscribe.enforcement.licenses import find as find_in_registry
from proscribe.enforcement.licenses import is_general_number, normalise_number
from proscribe.enforcement.proposals import propose
from proscribe.registry import LICENSE_PURPOSES
from proscribe.store.book import Account, Party
from proscribe.store.casework import Decision
from proscribe.store.licenses import SpecificLicense

__all__ = [
    "DIRECTIONS",
    "Conformity",
    "LicenseRecord",
    "activate",
    "conforms",
    "consume",
    "get",
    "list_licenses",
    "record_of",
    "records",
    "register",
    "same_name",
]

DIRECTIONS = ("debit", "release", "incoming")
#: the rule cited when a specific licence authorises a transaction
RULE = "31 CFR 501.801 (specific licence); the institution keeps a copy and checks conformity (FFIEC)"
#: words that say what kind of company a name is, not which one
_LEGAL_FORMS = frozenset("ltd limited llp llc inc corp co plc bv nv gmbh ag sa sarl srl the and of".split())


@dataclass(frozen=True)
class LicenseRecord:
    """A registered licence as a plain value: what payment screening reads without a database."""

    id: int
    number: str
    issuing_authority: str
    program: str | None
    licensee: str
    direction: str
    parties: tuple[str, ...]
    accounts: tuple[str, ...]
    counterparty: str | None
    counterparty_account: str | None
    amount: Decimal
    currency: str
    used: Decimal
    purpose: str | None
    issued: date
    expires: datetime | None
    unblocking_report: bool
    reference: str
    status: str

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.used

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "issuing_authority": self.issuing_authority,
            "program": self.program,
            "licensee": self.licensee,
            "direction": self.direction,
            "parties": list(self.parties),
            "accounts": list(self.accounts),
            "counterparty": self.counterparty,
            "counterparty_account": self.counterparty_account,
            "amount": str(self.amount),
            "currency": self.currency,
            "used": str(self.used),
            "remaining": str(self.remaining),
            "purpose": self.purpose,
            "issued": self.issued.isoformat(),
            "expires": self.expires.isoformat() if self.expires else None,
            "unblocking_report": self.unblocking_report,
            "reference": self.reference,
            "status": self.status,
        }


def record_of(row: SpecificLicense) -> LicenseRecord:
    from proscribe.enforcement.ledger import minor_unit  # the ledger imports this module

    unit = Decimal(1).scaleb(-minor_unit(row.currency))
    return LicenseRecord(
        id=row.id,
        number=row.number,
        issuing_authority=row.issuing_authority,
        program=row.program,
        licensee=row.licensee,
        direction=row.direction,
        parties=tuple(str(p) for p in row.parties or ()),
        accounts=tuple(str(a) for a in row.accounts or ()),
        counterparty=row.counterparty,
        counterparty_account=row.counterparty_account,
        amount=Decimal(row.amount).quantize(unit),
        currency=row.currency,
        used=Decimal(row.used).quantize(unit),
        purpose=row.purpose,
        issued=row.issued,
        expires=row.expires,
        unblocking_report=bool(row.unblocking_report),
        reference=row.reference,
        status=row.status,
    )


# --- names ----------------------------------------------------------------------------------------


def _tokens(name: str | None) -> frozenset[str]:
    words = re.findall(r"[a-z0-9]+", (name or "").casefold())
    return frozenset(w for w in words if w not in _LEGAL_FORMS)


def same_name(a: str | None, b: str | None) -> bool:
    """Whether two names are the same party's as far as words go: one's words all in the other's.

    "TEMPLE CHAMBERS LLP" and "Temple Chambers" are; "Temple Chambers" and "Temple Bar" are not.
    Deliberately strict: a near miss is not a conforming transaction, a person looks at it.
    """
    ta, tb = _tokens(a), _tokens(b)
    return bool(ta) and bool(tb) and (ta <= tb or tb <= ta)


def _account_key(value: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (value or "").upper())


# --- recording ------------------------------------------------------------------------------------


def _text(value: str | None, what: str, limit: int = 2000) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise EnforcementError(f"a specific licence needs its {what}")
    if len(text) > limit:
        raise EnforcementError(f"{what} is longer than {limit} characters")
    return text


def register(
    session: Session,
    *,
    number: str,
    licensee: str,
    direction: str,
    parties: Sequence[str],
    accounts: Sequence[str],
    amount: Decimal,
    currency: str,
    issued: date,
    reference: str,
    actor: str,
    reason: str,
    expires: datetime | None = None,
    issuing_authority: str = "OFAC",
    program: str | None = None,
    counterparty: str | None = None,
    counterparty_account: str | None = None,
    purpose: str | None = None,
    unblocking_report: bool = False,
    at: datetime | None = None,
) -> tuple[SpecificLicense, Decision]:
    """Record a specific licence (``pending``) and the decision a second person must approve.

    Everything is checked before anything is written: a general licence's number, a number already
    recorded, an unknown party or account, an account that is not blocked property of a party the
    licence names, a currency or amount that does not fit, an expiry before the issue date.
    """
    from proscribe.enforcement.ledger import minor_unit  # the ledger imports this module

    at = aware(at)
    actor = _text(actor, "actor", 200)
    number = normalise_number(_text(number, "number", 100))
    if is_general_number(number) or find_in_registry(number) is not None:
        raise EnforcementError(
            f"{number} is a general licence or a regulation (the program registry holds those); only "
            "specific licences issued by OFAC to a named licensee are registered here"
        )
    if session.scalars(select(SpecificLicense).where(SpecificLicense.number == number)).first():
        raise EnforcementError(f"licence {number} is registered already")
    if direction not in DIRECTIONS:
        raise EnforcementError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    licensee = _text(licensee, "licensee")
    reference = _text(reference, "reference (where the institution keeps its copy)")
    reason = _text(reason, "reason")
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha() and currency.isupper()):
        raise EnforcementError(f"currency must be an ISO 4217 code such as USD, not {currency!r}")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise EnforcementError(f"the licensed amount must be a positive decimal, not {amount!r}")
    if amount != amount.quantize(Decimal(1).scaleb(-minor_unit(currency))):
        raise EnforcementError(f"amount {amount} {currency} is finer than the currency's minor unit")
    if purpose is not None and purpose not in LICENSE_PURPOSES:
        raise EnforcementError(f"purpose {purpose!r} is not one of {', '.join(sorted(LICENSE_PURPOSES))}")
    if expires is not None:
        expires = aware(expires)
        if expires.date() < issued:
            raise EnforcementError(
                f"the licence expires ({expires.isoformat()}) before it was issued ({issued})"
            )
    party_ids = sorted({_text(p, "party") for p in parties})
    if not party_ids:
        raise EnforcementError("a specific licence names the parties whose property or dealings it concerns")
    for pid in party_ids:
        if session.get(Party, pid) is None:
            raise NotFoundError(f"no party {pid!r}")
    account_ids = sorted({_text(a, "account") for a in accounts})
    if direction in ("debit", "release") and not account_ids:
        raise EnforcementError(f"a {direction} licence names the blocked accounts it concerns (--account)")
    for aid in account_ids:
        acct = session.get(Account, aid)
        if acct is None:
            raise NotFoundError(f"no account {aid!r}")
        if acct.kind != "blocked":
            raise EnforcementError(f"{aid} is not a blocked account: name the BLK- account holding the funds")
        if acct.owner_id not in party_ids:
            raise EnforcementError(f"{aid} is held for {acct.owner_id}, a party the licence does not name")
        if acct.currency != currency:
            raise EnforcementError(f"{aid} is in {acct.currency}, the licence in {currency}")
    if direction == "debit" and not (counterparty or counterparty_account):
        raise EnforcementError("a debit licence names who is paid (--payee, --payee-account)")
    row = SpecificLicense(
        number=number,
        issuing_authority=_text(issuing_authority, "issuing authority", 200),
        program=program or None,
        licensee=licensee,
        direction=direction,
        parties=party_ids,
        accounts=account_ids,
        counterparty=" ".join(counterparty.split()) if counterparty else None,
        counterparty_account=counterparty_account or None,
        amount=amount,
        currency=currency,
        used=Decimal(0),
        purpose=purpose,
        issued=issued,
        expires=expires,
        unblocking_report=unblocking_report,
        reference=reference,
        status="pending",
        registered_by=actor,
        registered_at=at,
        note="",
    )
    session.add(row)
    session.flush()
    record = record_of(row).to_dict()
    decision = propose(
        session,
        action="register_license",
        subject_type="license",
        subject_id=str(row.id),
        reason=reason,
        evidence=record,
        params={},
        actor=actor,
        at=at,
        audit_data={"reason": reason, **record},
        audit_action="license.register",
        audit_subject=f"license:{row.number}",
        link=lambda d: setattr(row, "decision_id", d.id),
    )
    return row, decision


def activate(session: Session, decision: Decision, *, actor: str, at: datetime) -> dict[str, Any]:
    """A second person approved the record: the licence is in force from now (``decisions.approve``)."""
    row = session.get(SpecificLicense, int(decision.subject_id), with_for_update=True)
    if row is None:
        raise NotFoundError(f"no licence record {decision.subject_id}")
    if row.status != "pending":
        raise EnforcementError(f"licence {row.number} is {row.status}, not waiting for approval")
    row.status = "active"
    row.approved_by, row.approved_at = actor, at
    session.flush()
    return {"license": row.number, "status": row.status}


def withdraw_pending(session: Session, decision: Decision, *, actor: str, note: str, at: datetime) -> None:
    """The second person refused the record: it stays, marked rejected, and authorises nothing."""
    row = session.get(SpecificLicense, int(decision.subject_id), with_for_update=True)
    if row is not None and row.status == "pending":
        row.status = "rejected"
        row.note = note
        session.flush()


def get(session: Session, number: str) -> SpecificLicense | None:
    """The registered licence with this number (in any status), or None."""
    wanted = normalise_number(number)
    return session.scalars(select(SpecificLicense).where(SpecificLicense.number == wanted)).first()


def list_licenses(session: Session, *, status: str | None = None) -> list[SpecificLicense]:
    q = select(SpecificLicense).order_by(SpecificLicense.id)
    if status:
        q = q.where(SpecificLicense.status == status)
    return list(session.scalars(q))


def records(session: Session) -> list[LicenseRecord]:
    """Every registered licence (in any status), as values payment screening can carry."""
    return [record_of(r) for r in list_licenses(session)]


# --- checking and using -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Conformity:
    """Whether a transaction conforms to a registered licence, and every reason it does not."""

    ok: bool
    number: str
    reasons: tuple[str, ...]
    record: LicenseRecord | None = None

    @property
    def reason(self) -> str:
        if self.ok:
            assert self.record is not None
            return (
                f"conforms to specific licence {self.number} ({self.record.issuing_authority}, issued to "
                f"{self.record.licensee}; {self.record.remaining} {self.record.currency} unused before "
                f"this): {RULE}"
            )
        return f"specific licence {self.number}: " + "; ".join(self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "authorised" if self.ok else "refused",
            "ok": self.ok,
            "license": self.number,
            "reason": self.reason,
            "record": self.record.to_dict() if self.record else None,
        }


def conforms(
    record: LicenseRecord | None,
    number: str,
    *,
    direction: str,
    parties: Iterable[str],
    at: datetime,
    amount: Decimal,
    currency: str,
    account: str | None = None,
    counterparty: str | None = None,
    counterparty_account: str | None = None,
    purposes: Iterable[str] = (),
    participants: Iterable[str] = (),
) -> Conformity:
    """Check a transaction against the licence ``record`` (None: the number was never registered).

    ``parties`` are the institution's parties with an interest (the blocked holder); ``account`` the
    blocked account debited or released; ``counterparty`` and ``counterparty_account`` the payee of
    a debit or the remitter of an incoming payment; ``participants`` the names of everyone in the
    transaction, and the institution's, one of which must be the licensee.
    """
    at = aware(at)
    if record is None:
        return Conformity(
            False,
            normalise_number(number),
            ("is not registered: a specific licence is used only once recorded and approved here",),
        )
    why: list[str] = []
    if record.status == "pending":
        why.append("waits for a second person's approval")
    elif record.status != "active":
        why.append(f"is {record.status}")
    if record.direction != direction:
        why.append(f"authorises {record.direction} transactions, not {direction}")
    if at.date() < record.issued:
        why.append(f"was not issued until {record.issued}")
    if record.expires is not None and at >= record.expires:
        why.append(f"expired at {record.expires.isoformat()}")
    if not set(record.parties).intersection(parties):
        why.append(
            f"concerns {', '.join(record.parties)}, not {', '.join(sorted(set(parties))) or 'this party'}"
        )
    if direction in ("debit", "release") and account not in record.accounts:
        why.append(f"names the accounts {', '.join(record.accounts)}, not {account}")
    if currency != record.currency:
        why.append(f"is in {record.currency}, the transaction in {currency}")
    elif amount > record.remaining:
        why.append(f"has {record.remaining} {record.currency} left of {record.amount}, less than {amount}")
    if record.counterparty or record.counterparty_account:
        by_account = bool(record.counterparty_account) and _account_key(
            record.counterparty_account
        ) == _account_key(counterparty_account)
        by_name = bool(record.counterparty) and same_name(record.counterparty, counterparty)
        if not (by_account or by_name):
            who = "payee" if direction == "debit" else "remitter"
            named = record.counterparty or record.counterparty_account
            given = counterparty or counterparty_account or "nobody"
            why.append(f"names the {who} {named}, not {given}")
    stated = set(purposes)
    if record.purpose and stated and record.purpose not in stated:
        why.append(f"is for {record.purpose}, the transaction states {', '.join(sorted(stated))}")
    names = [n for n in participants if n]
    if names and not any(same_name(record.licensee, n) for n in names):
        why.append(f"was issued to {record.licensee}, who is not a party to the transaction")
    return Conformity(not why, record.number, tuple(why), record)


def consume(
    session: Session, number: str, amount: Decimal, *, actor: str, at: datetime, what: str, ref: str
) -> SpecificLicense:
    """Count ``amount`` against the licence, under a row lock; refused if the amount is not left."""
    row = session.scalars(
        select(SpecificLicense)
        .where(SpecificLicense.number == normalise_number(number))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if row is None or row.status != "active":
        raise EnforcementError(f"licence {number} is not an active registered licence")
    left = record_of(row).remaining
    if amount > left:
        raise EnforcementError(f"licence {row.number} has {left} {row.currency} left, less than {amount}")
    row.used = Decimal(row.used) + amount
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="license.use",
        subject=f"license:{row.number}",
        data={"amount": amount, "currency": row.currency, "used": row.used, "what": what, "ref": ref},
        at=at,
    )
    return row
