"""Where a payment's money is, and where its blocked funds go: no money created, none misplaced.

A payment names accounts. When one of them is an account here, the ledger must follow the money:

* the debtor's account here is where the money comes from. If it holds blocked property, the
  payment moves nothing: the funds are blocked already, where they are, and a payment out of a
  blocked account is a debit no one authorised (the refusal is recorded). Crediting a blocked
  account from clearing instead would create money;
* otherwise a blocked payment's funds leave the debtor's account (or arrive from outside, through
  clearing, when the debtor banks elsewhere) for a blocked account;
* the creditor's account here is where the funds were sent: when the blocked person has an
  interest in it (its holder, or a joint holder), its own blocked account takes them, so a joint
  account's money stays the joint account's (31 CFR 501.603; the program's blocking section).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, ledger
from proscribe.payments.messages import PaymentMessage
from proscribe.store.book import Account

__all__ = ["PaymentFunds", "block_payment_funds", "locate", "our_account"]

DEBTOR_ROLES = ("debtor",)
CREDITOR_ROLES = ("creditor",)


def _key(value: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (value or "").upper())


def our_account(session: Session, number: str | None) -> Account | None:
    """The customer account here that a message's account number names (exact id, or the same
    letters and digits: "A-1001" and "A1001" differ, "a-1001 " and "A-1001" do not)."""
    if not number or not number.strip():
        return None
    text = number.strip()
    acct = session.get(Account, text) or session.get(Account, text.upper())
    if acct is not None:
        return acct if acct.kind == "customer" else None
    key = _key(text)
    if not key:
        return None
    for candidate in session.scalars(select(Account).where(Account.kind == "customer")):
        if _key(candidate.id) == key:
            return candidate
    return None


@dataclass(frozen=True)
class PaymentFunds:
    """The accounts here a payment moves money out of and into, and whether the source is blocked."""

    from_account: str | None = None
    into_account: str | None = None
    #: the debtor's account here holds blocked property: nothing leaves it
    source_blocked: bool = False
    #: the debtor's account here holds less than the payment (only for an open account)
    short: bool = False
    #: the blocked account holding the debtor's funds, when ``source_blocked``
    source_blocked_account: str | None = None

    @property
    def debtor_here(self) -> bool:
        return self.from_account is not None


def locate(session: Session, message: PaymentMessage) -> PaymentFunds:
    """The debtor's and the creditor's accounts here (in the payment's currency), if any."""
    debtor = message.party("debtor")
    creditor = message.party("creditor")
    src = our_account(session, debtor.account if debtor else None)
    dst = our_account(session, creditor.account if creditor else None)
    if src is not None and src.currency != message.currency:
        src = None
    if dst is not None and dst.currency != message.currency:
        dst = None
    if src is None:
        return PaymentFunds(into_account=dst.id if dst else None)
    blocked = ledger.is_blocked_property(session, src.id)
    held_in = None
    if blocked:
        blk = session.get(Account, ledger.blocked_account_id(src.id))
        held_in = blk.id if blk is not None else None
    return PaymentFunds(
        from_account=src.id,
        into_account=dst.id if dst else None,
        source_blocked=blocked,
        short=not blocked and Decimal(src.balance) < message.amount,
        source_blocked_account=held_in,
    )


def block_payment_funds(
    session: Session,
    *,
    funds: PaymentFunds,
    owner: str,
    amount: Decimal,
    currency: str,
    actor: str,
    reason: str,
    at: datetime,
    payment_id: int,
    reference: str,
) -> str | None:
    """Put a blocked payment's funds where the law wants them; the blocked account holding them.

    Out of blocked property nothing moves (the refusal is audited) and the debtor's blocked account
    is returned. Otherwise the funds go from the debtor's account here, or from clearing, into the
    blocked account of the creditor's account here when ``owner`` has an interest in it, else
    into ``owner``'s (``ledger.receive_blocked``).
    """
    if funds.source_blocked:
        assert funds.from_account is not None
        audit.append(
            session,
            actor=actor,
            action="ledger.debit_refused",
            subject=f"account:{funds.from_account}",
            data={
                "what": f"payment {reference}",
                "amount": amount,
                "currency": currency,
                "payment": payment_id,
                "reason": (
                    f"{funds.from_account} holds blocked property: the payment moves nothing, its funds are "
                    f"blocked already in {funds.source_blocked_account or 'its blocked account'}"
                ),
            },
            at=at,
        )
        return funds.source_blocked_account
    into = funds.into_account
    if into is not None:
        acct = session.get(Account, into)
        if acct is None or owner not in ledger.interest_holders(session, acct):
            into = None
    blk = ledger.receive_blocked(
        session,
        owner_id=owner,
        currency=currency,
        amount=amount,
        actor=actor,
        reason=reason,
        at=at,
        payment_id=payment_id,
        into_account_id=into,
        from_account_id=funds.from_account,
    )
    return blk.id
