"""Accounts and the blocked-property ledger, and payment screening, over HTTP.

Sums of money are decimal strings both ways ("8300.50"): a JSON number would go through a binary
float. A debit of blocked property is refused with 409 and the rule in the message, and the refusal
stays in the audit trail, unless it conforms to a specific licence registered here
(``/api/licenses``, recorded under four eyes). A normal service charge from the policy's schedule is
proposed (``POST /api/accounts/{id}/charge``) and taken when a second person approves it.

Funds are never released here directly: a release is a four-eyes decision
(``POST /api/blocks/{id}/release``, then ``POST /api/decisions/{id}/approve``). A payment held for
review is decided the same way: ``POST /api/payments/{id}/review`` proposes release, block or
reject, and nothing happens to the payment until another person approves the decision.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import decisions, ledger, specific_licenses
from proscribe.enforcement.clock import aware, now
from proscribe.enforcement.errors import EnforcementError, NotFoundError
from proscribe.enforcement.payments import screen_payments
from proscribe.payments import read_messages
from proscribe.service.auth import Caller, Role, allow
from proscribe.service.routes_casework import DecisionOut, decision_dict
from proscribe.service.routes_shared import (
    INVALID,
    Key,
    Money,
    Offset,
    RowId,
    Text,
    actor_of,
    iso,
    not_future,
    read,
    screener_as_of,
    strip_folder,
    uploaded,
    write,
    writer,
)
from proscribe.service.routes_yente import runtime_of
from proscribe.store.book import Account
from proscribe.store.casework import Decision, Payment
from proscribe.store.ledger import LedgerEntry, LedgerTransaction

router = APIRouter(responses=INVALID)

CLOSED: dict[int | str, dict[str, Any]] = {409: {"description": "A closed or an internal account"}}
BLOCKED_DEBIT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Refused: blocked property (the message names the rule), or a closed account"}
}


# --- accounts -------------------------------------------------------------------------------------------


class AccountOut(BaseModel):
    id: str = Field(examples=["BLK-A-1002"])
    kind: Literal["customer", "blocked", "internal"]
    owner: str | None = None
    currency: str = Field(examples=["EUR"])
    balance: Money
    status: str = Field(examples=["blocked"])
    source_account: str | None = Field(None, description="For a blocked account: the account it froze")
    opened_at: datetime
    closed_at: datetime | None = None
    interest_rate: Money | None = Field(None, description="Blocked accounts: the annual rate (0.04 is 4%)")
    rate_source: str | None = None
    interest_accrued_to: datetime | None = None


class EntryOut(BaseModel):
    """One posting on the account, with its transaction and the other accounts in it."""

    transaction: int
    entry: int
    at: datetime
    kind: str = Field(examples=["block"])
    amount: Money
    currency: str
    balance_after: Money
    counterparts: list[str]
    actor: str
    reason: str
    authority: str | None = None
    payment: int | None = None
    data: dict[str, Any] | None = None


class AccountDetail(AccountOut):
    history: list[EntryOut]


def account_dict(session: Session, acct: Account) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": acct.id,
        "kind": acct.kind,
        "owner": acct.owner_id,
        "currency": acct.currency,
        "balance": ledger.balance(session, acct.id),
        "status": acct.status,
        "source_account": acct.source_account_id,
        "opened_at": iso(acct.opened_at),
        "closed_at": iso(acct.closed_at),
    }
    if acct.kind == "blocked":
        rate, source = ledger.effective_rate(session, acct)
        out |= {
            "interest_rate": rate,
            "rate_source": source,
            "interest_accrued_to": iso(acct.interest_accrued_to),
        }
    return out


@router.get(
    "/api/accounts",
    dependencies=[allow(Role.viewer)],
    summary="Accounts with their balances (blocked=true: only blocked property)",
    response_model=list[AccountOut],
)
def list_accounts(
    request: Request,
    blocked: bool = False,
    owner: Annotated[Text | None, Query(max_length=100)] = None,
    kind: Annotated[Literal["customer", "blocked", "internal"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Offset = 0,
) -> Any:
    def work(s: Session) -> list[dict[str, Any]]:
        q = select(Account).order_by(Account.id)
        if blocked:
            q = q.where((Account.kind == "blocked") | (Account.status == "blocked"))
        if owner:
            q = q.where(Account.owner_id == owner)
        if kind:
            q = q.where(Account.kind == kind)
        return [account_dict(s, a) for a in s.scalars(q.offset(offset).limit(limit))]

    return read(request, work)


class HoldingOut(BaseModel):
    """A blocked account as it stood at the end of a day (what the annual report lists)."""

    account: str
    owner: str | None = None
    owner_name: str | None = None
    source_account: str | None = None
    currency: str
    balance: Money
    interest_rate: Money
    rate_source: str
    blocked_on: date | None = None
    status: str


@router.get(
    "/api/accounts/holdings",
    dependencies=[allow(Role.viewer)],
    summary="Blocked property held at the end of a day (default today)",
    response_model=list[HoldingOut],
)
def holdings(request: Request, on: date | None = None) -> Any:
    day = on or now().date()
    return read(request, lambda s: [h.to_dict() for h in ledger.blocked_holdings(s, on=day)])


@router.get(
    "/api/accounts/{account_id}",
    dependencies=[allow(Role.viewer)],
    summary="One account: balance, status and every posting, oldest first",
    response_model=AccountDetail,
)
def show_account(request: Request, account_id: Key) -> Any:
    def work(s: Session) -> dict[str, Any]:
        acct = s.get(Account, account_id)
        if acct is None:
            raise NotFoundError(f"no account {account_id!r}")
        return account_dict(s, acct) | {"history": ledger.history(s, account_id)}

    return read(request, work)


class OpenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Text = Field(min_length=1, max_length=100, examples=["A-1007"])
    owner: Text = Field(min_length=1, max_length=100, examples=["C-1006"])
    currency: str = Field("USD", pattern="^[A-Z]{3}$")
    opening_balance: Money = Field(default_factory=lambda: Decimal(0))


class TransactionOut(BaseModel):
    transaction: int
    kind: str = Field(examples=["deposit"])
    at: datetime
    actor: str
    reason: str
    authority: str | None = None
    data: dict[str, Any] | None = None


def tx_dict(tx: LedgerTransaction) -> dict[str, Any]:
    return {
        "transaction": tx.id,
        "kind": tx.kind,
        "at": iso(tx.at),
        "actor": tx.actor,
        "reason": tx.reason,
        "authority": tx.authority,
        "data": tx.data,
    }


@router.post(
    "/api/accounts",
    status_code=201,
    dependencies=[allow(Role.analyst)],
    summary="Open a customer account",
    response_model=AccountOut,
)
def open_account(request: Request, body: OpenBody, who: Caller) -> Any:
    def work(s: Session) -> dict[str, Any]:
        acct = ledger.open_account(
            s,
            account_id=body.id,
            owner_id=body.owner,
            currency=body.currency,
            opening_balance=body.opening_balance,
            actor=actor_of(who),
            source="proscribe API",
        )
        return account_dict(s, acct)

    return write(request, work)


class DepositBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Money
    reason: Text = Field(min_length=1, max_length=2000, examples=["cash deposit at the counter"])


class WithdrawBody(DepositBody):
    license: Text | None = Field(
        None,
        max_length=200,
        description="A specific licence registered here that authorises this debit of blocked property",
    )
    purpose: Text | None = Field(None, max_length=100, examples=["legal_fees"])
    payee: Text | None = Field(None, max_length=500, description="Who is paid (a licence names its payee)")
    payee_account: Text | None = Field(None, max_length=100)


class ChargeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: Text = Field(min_length=1, max_length=100, examples=["account_maintenance"])
    reason: Text = Field(min_length=5, max_length=2000, examples=["maintenance fee, June 2025"])


@router.post(
    "/api/accounts/{account_id}/deposit",
    dependencies=[allow(Role.analyst)],
    summary="Credit an account (a blocked holder's credit goes into the blocked account)",
    response_model=TransactionOut,
    responses=CLOSED,
)
def deposit(request: Request, account_id: Key, body: DepositBody, who: Caller) -> Any:
    return write(
        request,
        lambda s: tx_dict(
            ledger.deposit(
                s, account_id=account_id, amount=body.amount, actor=actor_of(who), reason=body.reason
            )
        ),
    )


@router.post(
    "/api/accounts/{account_id}/withdraw",
    dependencies=[allow(Role.analyst)],
    summary="Debit an account; blocked property only under a registered specific licence",
    response_model=TransactionOut,
    responses=BLOCKED_DEBIT,
)
def withdraw(request: Request, account_id: Key, body: WithdrawBody, who: Caller) -> Any:
    return write(
        request,
        lambda s: tx_dict(
            ledger.withdraw(
                s,
                account_id=account_id,
                amount=body.amount,
                actor=actor_of(who),
                reason=body.reason,
                authority=body.license,
                purpose=body.purpose,
                payee=body.payee,
                payee_account=body.payee_account,
            )
        ),
    )


@router.post(
    "/api/accounts/{account_id}/charge",
    dependencies=[allow(Role.analyst)],
    summary="Propose a normal service charge from the policy's schedule; a second person approves it",
    response_model=DecisionOut,
)
def propose_charge(request: Request, account_id: Key, body: ChargeBody, who: Caller) -> Any:
    return write(
        request,
        lambda s: decision_dict(
            decisions.propose_charge(
                s, account_id=account_id, item=body.item, reason=body.reason, actor=actor_of(who)
            )
        ),
    )


# --- specific licences ----------------------------------------------------------------------------


class LicenseBody(BaseModel):
    """A specific licence OFAC issued, as the institution's copy states it."""

    model_config = ConfigDict(extra="forbid")

    number: Text = Field(min_length=1, max_length=100, examples=["ICC-EO14203-2025-0147-1"])
    licensee: Text = Field(min_length=1, max_length=500, examples=["Temple Chambers LLP"])
    direction: Literal["debit", "release", "incoming"]
    parties: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1, max_length=50)
    accounts: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    amount: Money
    currency: str = Field(pattern="^[A-Z]{3}$", examples=["USD"])
    issued: date
    expires: AwareDatetime | None = None
    issuing_authority: Text = Field("OFAC", min_length=1, max_length=200)
    program: Text | None = Field(None, max_length=50, examples=["ICC-EO14203"])
    payee: Text | None = Field(None, max_length=500, description="debit: who may be paid; incoming: who pays")
    payee_account: Text | None = Field(None, max_length=100)
    purpose: Text | None = Field(None, max_length=40, examples=["legal_fees"])
    unblocking_report: bool = Field(False, description="The licence requires a report when it unblocks")
    reference: Text = Field(min_length=1, max_length=2000, description="Where the institution keeps its copy")
    reason: Text = Field(min_length=5, max_length=2000)


class LicenseOut(BaseModel):
    id: int
    number: str
    issuing_authority: str
    program: str | None = None
    licensee: str
    direction: str
    parties: list[str]
    accounts: list[str]
    counterparty: str | None = None
    counterparty_account: str | None = None
    amount: Money
    currency: str
    used: Money
    remaining: Money
    purpose: str | None = None
    issued: date
    expires: datetime | None = None
    unblocking_report: bool
    reference: str
    status: Literal["pending", "active", "rejected", "revoked"]


class LicenseRegistered(BaseModel):
    license: LicenseOut
    decision: DecisionOut


@router.get(
    "/api/licenses",
    dependencies=[allow(Role.viewer)],
    summary="Specific licences registered here (status=active: those in force)",
    response_model=list[LicenseOut],
)
def list_licenses(
    request: Request, status: Literal["pending", "active", "rejected", "revoked"] | None = None
) -> Any:
    return read(
        request,
        lambda s: [
            specific_licenses.record_of(r).to_dict()
            for r in specific_licenses.list_licenses(s, status=status)
        ],
    )


@router.get(
    "/api/licenses/{number}",
    dependencies=[allow(Role.viewer)],
    summary="One registered specific licence, with how much of it is used",
    response_model=LicenseOut,
)
def show_license(request: Request, number: Key) -> Any:
    def work(s: Session) -> dict[str, Any]:
        row = specific_licenses.get(s, number)
        if row is None:
            raise NotFoundError(f"no specific licence {number!r} is registered")
        return specific_licenses.record_of(row).to_dict()

    return read(request, work)


@router.post(
    "/api/licenses",
    dependencies=[allow(Role.analyst)],
    summary="Register a specific licence; it is in force once a second person approves the decision",
    response_model=LicenseRegistered,
)
def register_license(request: Request, body: LicenseBody, who: Caller) -> Any:
    def work(s: Session) -> dict[str, Any]:
        row, decision = specific_licenses.register(
            s,
            number=body.number,
            licensee=body.licensee,
            direction=body.direction,
            parties=body.parties,
            accounts=body.accounts,
            amount=body.amount,
            currency=body.currency,
            issued=body.issued,
            expires=body.expires,
            issuing_authority=body.issuing_authority,
            program=body.program,
            counterparty=body.payee,
            counterparty_account=body.payee_account,
            purpose=body.purpose,
            unblocking_report=body.unblocking_report,
            reference=body.reference,
            reason=body.reason,
            actor=actor_of(who),
        )
        return {"license": specific_licenses.record_of(row).to_dict(), "decision": decision_dict(decision)}

    return write(request, work)


class AccrueBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: AwareDatetime | date = Field(
        description="Accrue for every day before this date (midnight UTC), or up to this time",
        examples=["2026-07-01"],
    )


class AccrualOut(TransactionOut):
    account: str
    amount: Money


@router.post(
    "/api/accounts/accrue",
    dependencies=[allow(Role.admin)],
    summary="Credit interest to every blocked account",
    response_model=list[AccrualOut],
)
def accrue(request: Request, body: AccrueBody, who: Caller) -> Any:
    until = body.until
    when = until if isinstance(until, datetime) else datetime.combine(until, time(0), UTC)

    def work(s: Session) -> list[dict[str, Any]]:
        out = []
        for tx in ledger.accrue_all(s, until=when, actor=actor_of(who)):
            # the credit leg is the blocked account's; the debit is SYS-INTEREST's
            credit = s.execute(
                select(LedgerEntry).where(LedgerEntry.transaction_id == tx.id, LedgerEntry.amount > 0)
            ).scalar_one()
            out.append(tx_dict(tx) | {"account": credit.account_id, "amount": credit.amount})
        return out

    return write(request, work)


# --- payments -------------------------------------------------------------------------------------------


class PaymentHitOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    entity_id: str
    score: float
    outcome: str


class PaymentScreened(BaseModel):
    """What was decided about one transaction of the uploaded file, and everything it rested on."""

    payment_id: RowId
    message_type: str = Field(examples=["MT103"])
    reference: str
    location: str
    amount: Money
    currency: str
    value_date: date | None = None
    debtor: str | None = None
    creditor: str | None = None
    decision: Literal["pass", "hold", "block", "reject"]
    status: str
    rule: str
    reasons: list[str]
    license: str | None = None
    license_reason: str | None = None
    conflicts: list[str]
    stripping: list[dict[str, Any]]
    hits: list[PaymentHitOut]
    blocked_owner: str | None = None
    blocked_account: str | None = None
    reports: list[int] = Field(description="Reports that fell due (see /api/reports/due)")
    parties: list[dict[str, Any]]


class PaymentOut(BaseModel):
    """A screened payment as stored."""

    id: int
    message_type: str
    reference: str
    received_at: datetime
    value_date: date | None = None
    amount: Money
    currency: str
    debtor: str
    creditor: str
    decision: Literal["pass", "hold", "block", "reject"]
    status: str = Field(examples=["held"])
    rule: str
    reasons: list[Any]
    hits: list[Any]
    license: str | None = None
    stripping: list[Any]
    actor: str


class PaymentDetail(PaymentOut):
    raw: str = Field(description="The message as received")
    decisions: list[DecisionOut] = Field(description="Review decisions on a held payment, oldest first")


def payment_dict(p: Payment, raw: bool = False) -> dict[str, Any]:
    out = {
        "id": p.id,
        "message_type": p.message_type,
        "reference": p.reference,
        "received_at": iso(p.received_at),
        "value_date": p.value_date,
        "amount": p.amount,
        "currency": p.currency,
        "debtor": p.debtor,
        "creditor": p.creditor,
        "decision": p.decision,
        "status": p.status,
        "rule": p.rule,
        "reasons": p.reasons,
        "hits": p.hits,
        "license": p.license,
        "stripping": p.stripping,
        "actor": p.actor,
    }
    if raw:
        out["raw"] = p.raw
    return out


@router.post(
    "/api/payments/screen",
    dependencies=[allow(Role.analyst)],
    summary="Screen an MT103 or pacs.008 file: pass, hold, block or reject each transaction",
    response_model=list[PaymentScreened],
)
def screen_payment_file(
    request: Request,
    who: Caller,
    file: Annotated[UploadFile, File(description="SWIFT MT103 (FIN text) or ISO 20022 pacs.008 (XML)")],
    at: Annotated[
        AwareDatetime | None,
        Form(description="When the payment is handled (default now): the lists of that day"),
    ] = None,
) -> Any:
    """The whole file is read first: a malformed message refuses the file (422) with nothing
    stored. A blocked payment's funds go to a blocked account and its report falls due."""
    not_future(at, "at")
    when = aware(at)
    with uploaded({"file": file}) as (folder, paths):
        path = paths["file"]
        assert path is not None
        try:
            read_messages(path)  # a malformed file is refused before the lists are loaded
            screener = screener_as_of(request, when.date())
            with writer(request):
                found = screen_payments(
                    runtime_of(request).store, path, actor=actor_of(who), at=when, screener=screener
                )
        except EnforcementError as exc:
            raise strip_folder(exc, folder) from None
    return [d.to_dict() for d in found]


PaymentStatus = Literal["final", "held", "released", "blocked", "rejected"]


def _payments(
    s: Session, status: str | None, decision: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    q = select(Payment).order_by(Payment.id.desc())
    if status:
        q = q.where(Payment.status == status)
    if decision:
        q = q.where(Payment.decision == decision)
    return [payment_dict(p) for p in s.scalars(q.offset(offset).limit(limit))]


@router.get(
    "/api/payments",
    dependencies=[allow(Role.viewer)],
    summary="Screened payments, newest first",
    response_model=list[PaymentOut],
)
def list_payments(
    request: Request,
    status: Annotated[PaymentStatus | None, Query()] = None,
    decision: Annotated[Literal["pass", "hold", "block", "reject"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> Any:
    return read(request, lambda s: _payments(s, status, decision, limit, offset))


@router.get(
    "/api/payments/held",
    dependencies=[allow(Role.viewer)],
    summary="Payments on hold, waiting for a person to review them",
    response_model=list[PaymentOut],
)
def held_payments(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> Any:
    return read(request, lambda s: _payments(s, "held", None, limit, offset))


@router.get(
    "/api/payments/{payment_id}",
    dependencies=[allow(Role.viewer)],
    summary="One payment with the message as received",
    response_model=PaymentDetail,
)
def show_payment(request: Request, payment_id: RowId) -> Any:
    def work(s: Session) -> dict[str, Any]:
        p = s.get(Payment, payment_id)
        if p is None:
            raise NotFoundError(f"no payment {payment_id}")
        reviews = s.scalars(
            select(Decision)
            .where(Decision.subject_type == "payment", Decision.subject_id == str(payment_id))
            .order_by(Decision.id)
        )
        return payment_dict(p, raw=True) | {"decisions": [decision_dict(d) for d in reviews]}

    return read(request, work)


class ReviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["release", "block", "reject"] = Field(
        description="release: a false hit, the payment goes on; block: a blocked person has an interest, "
        "the funds go to a blocked account; reject: prohibited without a blocked interest, returned"
    )
    reason: Text = Field(
        min_length=5, max_length=5000, examples=["A different Karim Khan: born 1985, a Paris plumber"]
    )
    owner: Text | None = Field(
        None,
        max_length=100,
        description="For block: the party (id) whose interest is blocked; default the party of the "
        "strongest hit on a party with an interest",
        examples=["C-1001"],
    )
    at: AwareDatetime | None = Field(
        None, description="When the decision is made (ISO 8601 with offset); default now"
    )


@router.post(
    "/api/payments/{payment_id}/review",
    dependencies=[allow(Role.analyst)],
    summary="Propose release, block or reject for a held payment; a second person approves it",
    response_model=DecisionOut,
    responses={409: {"description": "The payment is not held, or already has a decision waiting"}},
)
def review_payment(request: Request, payment_id: RowId, body: ReviewBody, who: Caller) -> Any:
    """The decision waits in ``GET /api/decisions/pending``; ``POST /api/decisions/{id}/approve``
    by an approver other than the proposer carries it out (a block moves the funds to a blocked
    account and makes a blocked-property report due; a reject makes a rejected-transaction report
    due), and ``POST /api/decisions/{id}/reject`` sends it back, the payment still held."""
    not_future(body.at, "at")
    return write(
        request,
        lambda s: decision_dict(
            decisions.decide_payment(
                s,
                payment_id=payment_id,
                outcome=body.outcome,
                reason=body.reason,
                actor=actor_of(who),
                owner=body.owner,
                at=body.at,
            )
        ),
    )
