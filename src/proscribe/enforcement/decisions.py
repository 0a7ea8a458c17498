"""Decisions under four eyes: one person decides, a second person approves, then it takes effect.

What can be decided:

- on a ``match`` alert: ``true_match`` (the party is the listed person: the policy's action follows,
  normally blocking) or ``false_positive`` (recorded with its reason; the pair is not raised again
  unless the listing or the party changes);
- on a ``delisted`` alert: ``release`` (the listing ended: the block is lifted and the funds returned)
  or ``keep`` (the block stays, e.g. the person is listed elsewhere);
- on a block: ``release`` under a specific licence registered here, or as a compliance release
  after an error (31 CFR 501.806);
- on a specific licence: ``register_license`` (the record is in force once approved);
- on an account: ``service_charge`` (a normal service charge from the policy's schedule);
- on the jurisdiction policy: ``set_policy`` (the proposed policy is in force once approved);
- on a payment held for review: ``release`` (a false hit: it goes on), ``block`` (a blocked person has
  an interest: the funds go to a blocked account and a blocked-property report falls due) or
  ``reject`` (prohibited, no blocked interest: returned, and a rejected-transaction report falls due).

The person who decides can never approve or reject their own decision (``FourEyesError``), nor
can a second person who is not independent of them: one who set the other's credentials (made
their account, reset their password, made them a key) within ``CREDENTIAL_DAYS`` days, in either
direction (an admin who reset an approver's password could sign in as the approver). A review
cannot be dated before the decision it reviews. Every
decision keeps who, when, why and its evidence (the scores, the explanation, the list versions),
and both steps go into the audit trail.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import (
    audit,
    blocking,
    ledger,
    licenses,
    payment_funds,
    reports,
    specific_licenses,
)
from proscribe.enforcement.clock import aware, reporting_date
from proscribe.enforcement.errors import EnforcementError, FourEyesError, NotFoundError
from proscribe.enforcement.policy import load_policy, put_in_force
from proscribe.enforcement.proposals import propose
from proscribe.payments import parse_text
from proscribe.store import users
from proscribe.store.book import Account, Party
from proscribe.store.casework import Alert, Block, Decision, Payment

__all__ = [
    "ALERT_OUTCOMES",
    "PAYMENT_OUTCOMES",
    "approve",
    "decide",
    "decide_payment",
    "pending",
    "propose_charge",
    "reject",
    "request_release",
]

#: days after one person set another's credentials during which they cannot be each other's
#: second pair of eyes (an internal control of this tool, not a rule of law: see docs/security.md)
CREDENTIAL_DAYS = 30

ALERT_OUTCOMES = {"match": ("true_match", "false_positive"), "delisted": ("release", "keep")}
BLOCK_RELEASE_KINDS = ("license", "compliance_release", "delisting")
PAYMENT_OUTCOMES = ("release", "block", "reject")


def _need_reason(reason: str) -> str:
    text = (reason or "").strip()
    if len(text) < 5:
        raise EnforcementError("a decision needs a reason (at least a few words) for the record")
    return text


def decide(
    session: Session, *, alert_id: int, outcome: str, reason: str, actor: str, at: datetime | None = None
) -> Decision:
    """Propose a decision on an open alert; it waits for a second person's approval."""
    at = aware(at)
    alert = session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        raise NotFoundError(f"no alert {alert_id}")
    allowed = ALERT_OUTCOMES.get(alert.kind, ())
    if outcome not in allowed:
        raise EnforcementError(
            f"alert {alert_id} ({alert.kind}) can be decided {' or '.join(allowed)}, not {outcome!r}"
        )
    if alert.status != "open":
        raise EnforcementError(f"alert {alert_id} is {alert.status}, not open: it cannot be decided again")
    evidence: dict[str, Any] = {
        "alert": alert.id,
        "kind": alert.kind,
        "party": alert.party_id,
        "entity": alert.entity_id,
        "dataset": alert.dataset,
        "score": alert.score,
        "matched_name": alert.matched_name,
        "explanation": alert.explanation,
        "record_checksum": alert.record_checksum,
        **{
            k: alert.evidence.get(k)
            for k in ("version_key", "as_of", "programs", "block")
            if k in alert.evidence
        },
    }
    text = _need_reason(reason)
    alert.status = "pending"
    alert.updated_at = at
    return propose(
        session,
        action=outcome,
        subject_type="alert",
        subject_id=str(alert.id),
        reason=text,
        evidence=evidence,
        params={},
        actor=actor,
        at=at,
        audit_data={"outcome": outcome, "reason": text, "evidence": evidence},
    )


def request_release(
    session: Session,
    *,
    block_id: int,
    kind: str,
    reason: str,
    actor: str,
    authority: str | None = None,
    at: datetime | None = None,
) -> Decision:
    """Propose releasing a block (a licence, a compliance release, a delisting); needs approval."""
    at = aware(at)
    if kind not in BLOCK_RELEASE_KINDS:
        raise EnforcementError(f"release kind {kind!r} is not one of {', '.join(BLOCK_RELEASE_KINDS)}")
    block = session.get(Block, block_id)
    if block is None:
        raise NotFoundError(f"no block {block_id}")
    if block.released_at is not None:
        raise EnforcementError(f"block {block_id} is already released")
    evidence_licence: dict[str, Any] = {}
    if kind == "license":
        if not authority:
            raise EnforcementError("a release under a licence must name the licence (--license)")
        evidence_licence = _check_license(session, block, authority, at)
    if kind == "compliance_release" and not authority:
        raise EnforcementError(
            "a compliance release names OFAC's answer to the 31 CFR 501.806 request (e.g. its case number)"
        )
    return propose(
        session,
        action="release",
        subject_type="block",
        subject_id=str(block.id),
        reason=_need_reason(reason),
        evidence={
            "block": block.id,
            "party": block.party_id,
            "basis": block.basis,
            "entity": block.entity_id,
            "lapsed": block.lapsed_reason,
            **evidence_licence,
        },
        params={"kind": kind, "authority": authority},
        actor=actor,
        at=at,
        audit_data={"outcome": "release", "kind": kind, "authority": authority},
    )


def decide_payment(
    session: Session,
    *,
    payment_id: int,
    outcome: str,
    reason: str,
    actor: str,
    owner: str | None = None,
    at: datetime | None = None,
) -> Decision:
    """Propose what to do with a payment held for review; a second person approves it.

    For ``block``, ``owner`` names the party whose interest is blocked (a party id); without it, the
    party of the strongest hit on a party with an interest is taken.
    """
    at = aware(at)
    if outcome not in PAYMENT_OUTCOMES:
        raise EnforcementError(f"a held payment is decided {', '.join(PAYMENT_OUTCOMES)}, not {outcome!r}")
    payment = session.get(Payment, payment_id, with_for_update=True)
    if payment is None:
        raise NotFoundError(f"no payment {payment_id}")
    if payment.status != "held":
        raise EnforcementError(f"payment {payment_id} is {payment.status}, not held for review")
    if any(
        d.status == "pending"
        for d in session.scalars(
            select(Decision).where(Decision.subject_type == "payment", Decision.subject_id == str(payment_id))
        )
    ):
        raise EnforcementError(f"payment {payment_id} already has a decision waiting for approval")
    if owner is not None and session.get(Party, owner) is None:
        raise NotFoundError(f"no party {owner!r} to hold the blocked funds")
    text = _need_reason(reason)
    return propose(
        session,
        action=outcome,
        subject_type="payment",
        subject_id=str(payment.id),
        reason=text,
        evidence={
            "payment": payment.id,
            "reference": payment.reference,
            "screened": payment.decision,
            "rule": payment.rule,
            "reasons": payment.reasons,
            "hits": payment.hits,
        },
        params={"owner": owner},
        actor=actor,
        at=at,
        audit_data={"outcome": outcome, "reason": text, "owner": owner},
    )


def _payment_owner(session: Session, payment: Payment, at: datetime) -> str:
    """The party whose interest a reviewed payment blocks: ours if the hit names one, else a new one."""
    hits = [h for h in payment.hits if isinstance(h, dict) and h.get("source") != "free_text"]
    if not hits:
        raise EnforcementError(
            f"payment {payment.id}: no party with an interest was hit; name the owner of the blocked funds"
        )
    top = max(hits, key=lambda h: float(h.get("score") or 0))
    if top.get("party_id") and session.get(Party, str(top["party_id"])) is not None:
        return str(top["party_id"])
    party_id = f"PAY-{payment.id}-{top.get('role') or 'party'}"
    if session.get(Party, party_id) is None:
        session.add(
            Party(
                id=party_id,
                kind="person" if top.get("kind") == "person" else "organization",
                name=str(top.get("query") or top.get("caption") or party_id),
                aliases=[],
                is_customer=False,
                checksum="",
                source=f"payment {payment.id} ({payment.message_type} {payment.reference}) after review",
                created_at=at,
                updated_at=at,
            )
        )
        session.flush()
    return party_id


def _funds_of(session: Session, payment: Payment) -> payment_funds.PaymentFunds:
    """The accounts here the held payment names (read again from its stored message)."""
    try:
        messages = parse_text(payment.raw, f"payment {payment.id}")
    except EnforcementError:
        return payment_funds.PaymentFunds()
    message = next((m for m in messages if m.reference[:200] == payment.reference), None)
    return payment_funds.locate(session, message) if message is not None else payment_funds.PaymentFunds()


def _apply_payment(session: Session, decision: Decision, actor: str, at: datetime) -> dict[str, Any]:
    payment = session.get(Payment, int(decision.subject_id), with_for_update=True)
    assert payment is not None
    if payment.status != "held":
        raise EnforcementError(f"payment {payment.id} is {payment.status}, not held any more")
    if decision.action == "release":
        payment.status = "released"
        return {"outcome": "released"}
    if decision.action == "reject":
        payment.status = "rejected"
        report = reports.record_due(
            session,
            kind="rejected_transaction",
            subject_type="payment",
            subject_id=str(payment.id),
            trigger=reporting_date(at),
            actor=actor,
            at=at,
        )
        return {"outcome": "rejected", "report": report.id}
    owner = decision.params.get("owner") or _payment_owner(session, payment, at)
    funds = _funds_of(session, payment)
    if funds.short:
        raise EnforcementError(
            f"payment {payment.id}: the debtor's account {funds.from_account} holds less than "
            f"{payment.amount} {payment.currency}; nothing can be blocked from it"
        )
    blocked_at = payment_funds.block_payment_funds(
        session,
        funds=funds,
        owner=str(owner),
        amount=payment.amount,
        currency=payment.currency,
        actor=actor,
        reason=f"payment {payment.reference} blocked after review: {decision.reason}",
        at=at,
        payment_id=payment.id,
        reference=payment.reference,
    )
    if funds.source_blocked:
        # a payment out of blocked property: its funds are blocked (and were reported) already
        payment.status = "blocked"
        return {"outcome": "blocked", "owner": owner, "blocked_account": blocked_at, "moved": False}
    payment.status = "blocked"
    party = session.get(Party, str(owner))
    hits = [
        h for h in payment.hits if isinstance(h, dict) and h.get("source") not in ("free_text", "institution")
    ]
    if party is not None and not party.is_customer and hits and not blocking.active_blocks(session, party.id):
        # known only from this payment: a block of its own, so it is released like any other
        top = max(hits, key=lambda h: float(h.get("score") or 0))
        blocking.block_party(
            session,
            party_id=party.id,
            basis="listing",
            explanation=f"{top.get('caption')} ({top.get('entity_id')}), in payment {payment.reference}",
            actor=actor,
            at=at,
            entity_id=str(top.get("entity_id")),
            dataset=str(top.get("dataset") or ""),
            programs=list(top.get("programs") or []),
            decision_id=decision.id,
        )
    report = reports.record_due(
        session,
        kind="blocked_property",
        subject_type="payment",
        subject_id=str(payment.id),
        trigger=reporting_date(at),
        actor=actor,
        at=at,
    )
    return {"outcome": "blocked", "owner": owner, "blocked_account": blocked_at, "report": report.id}


def _check_license(session: Session, block: Block, number: str, at: datetime) -> dict[str, Any]:
    """Whether specific licence ``number`` can release this block's property at ``at``; its record.

    A general licence (or one written into the regulations) authorises dealings; it does not unblock
    property. A release rests on a specific licence registered here and approved by a second person,
    of direction ``release``, naming this party and every blocked account holding its funds, for at
    least their balance, in force (``specific_licenses.conforms``); never on a listed person's
    block, nor on a company the 50 percent rule still reaches (``blocking.refuse_licence_release``).
    Checked when the release is proposed and again when it is approved; the ledger checks each
    account again, with its interest, when the funds move.
    """
    record = specific_licenses.get(session, number)
    if record is None:
        found = licenses.find(number)
        if found is not None:
            program, lic = found
            raise EnforcementError(
                f"{lic.number} ({program.code}) is a {lic.kind} licence: it authorises "
                f"{licenses.describe(lic.authorizes)}; it does not unblock property: a release needs a "
                "specific licence from OFAC, registered here (proscribe licenses register)"
            )
        raise EnforcementError(
            f"licence {number!r} is not registered: a specific licence is used only once it is recorded "
            "(proscribe licenses register) and approved by a second person"
        )
    blocking.refuse_licence_release(session, block)
    accounts = blocking.blocked_accounts_of(session, block.party_id)
    if not accounts:
        raise EnforcementError(f"block {block.id}: no blocked account holds {block.party_id}'s funds")
    party = session.get(Party, block.party_id)
    total = sum((Decimal(a.balance) for a in accounts), Decimal(0))
    institution = load_policy(session).institution.name
    refusals: list[str] = []
    for acct in accounts:
        result = specific_licenses.conforms(
            specific_licenses.record_of(record),
            number,
            direction="release",
            parties=[block.party_id],
            at=at,
            amount=total,
            currency=acct.currency,
            account=acct.id,
            participants=[party.name if party else block.party_id, institution],
        )
        refusals.extend(r for r in result.reasons if r not in refusals)
    if refusals:
        raise EnforcementError(f"specific licence {record.number}: " + "; ".join(refusals))
    return {"licence": specific_licenses.record_of(record).to_dict()}


def propose_charge(
    session: Session,
    *,
    account_id: str,
    item: str,
    reason: str,
    actor: str,
    at: datetime | None = None,
) -> Decision:
    """Propose debiting a normal service charge from the policy's schedule; a second person approves it.

    Checked now (the item, its amount in the account's currency) and again when approved, when
    ``ledger.charge`` takes it (once per period, from an account that holds enough).
    """
    at = aware(at)
    acct = session.get(Account, account_id)
    if acct is None:
        raise NotFoundError(f"no account {account_id!r}")
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
    amount = schedule.amounts[acct.currency]
    return propose(
        session,
        action="service_charge",
        subject_type="account",
        subject_id=account_id,
        reason=_need_reason(reason),
        evidence={
            "account": account_id,
            "item": item,
            "description": schedule.description,
            "amount": str(amount),
            "currency": acct.currency,
            "per": schedule.per,
            "blocked_property": ledger.is_blocked_property(session, account_id),
        },
        params={"item": item},
        actor=actor,
        at=at,
        audit_data={"outcome": "service_charge", "item": item, "amount": amount},
    )


def _review(session: Session, decision_id: int, actor: str, at: datetime) -> Decision:
    decision = session.get(Decision, decision_id, with_for_update=True)
    if decision is None:
        raise NotFoundError(f"no decision {decision_id}")
    if decision.status != "pending":
        raise FourEyesError(f"decision {decision_id} is {decision.status}, not pending")
    if users.person_of(decision.decided_by) == users.person_of(actor):
        raise FourEyesError(
            f"decision {decision_id} was made by {actor}: "
            "a second person must approve or reject it (four eyes)"
        )
    if at < aware(decision.decided_at):
        raise FourEyesError(
            f"decision {decision_id} was made at {aware(decision.decided_at).isoformat()}: "
            f"a review cannot be dated before it ({at.isoformat()})"
        )
    links = users.credential_links(
        session, decision.decided_by, actor, since=at - timedelta(days=CREDENTIAL_DAYS)
    )
    if links:
        last = links[-1]
        raise FourEyesError(
            f"decision {decision_id}: {users.person_of(actor)} and {users.person_of(decision.decided_by)} "
            f"are not independent: one set the other's credentials on {aware(last.at).date().isoformat()} "
            f"({last.action}, audit record {last.seq}); for {CREDENTIAL_DAYS} days after that, "
            "another person must review it"
        )
    return decision


def approve(
    session: Session, *, decision_id: int, actor: str, note: str | None = None, at: datetime | None = None
) -> Decision:
    """Approve a pending decision (by someone other than its author) and carry it out."""
    at = aware(at)
    decision = _review(session, decision_id, actor, at)
    decision.status = "approved"
    decision.reviewed_by = actor
    decision.reviewed_at = at
    decision.review_note = note
    effect: dict[str, Any] = {}
    if decision.subject_type == "alert":
        effect = _apply_alert(session, decision, actor, at)
    elif decision.subject_type == "payment":
        effect = _apply_payment(session, decision, actor, at)
    elif decision.subject_type == "block":
        kind = str(decision.params.get("kind"))
        block_row = session.get(Block, int(decision.subject_id))
        if kind == "license" and block_row is not None:
            # the licence must still be in force when the release happens, not only when proposed
            _check_license(session, block_row, str(decision.params.get("authority") or ""), at)
        block = blocking.release_block(
            session,
            block_id=int(decision.subject_id),
            kind=kind,
            reason=decision.reason,
            actor=actor,
            at=at,
            authority=decision.params.get("authority"),
        )
        added, released = blocking.apply_ownership_rule(session, actor=actor, at=at)
        effect = {"released": [block.id, *[b.id for b in released]], "blocked": [b.id for b in added]}
    elif decision.subject_type == "license":
        effect = specific_licenses.activate(session, decision, actor=actor, at=at)
    elif decision.subject_type == "policy":
        effect = put_in_force(session, decision, actor=actor, at=at)
    elif decision.subject_type == "account":
        tx = ledger.charge(
            session,
            account_id=decision.subject_id,
            item=str(decision.params.get("item")),
            actor=actor,
            proposed_by=decision.decided_by,
            reason=decision.reason,
            at=at,
        )
        effect = {"transaction": tx.id, "charged": str(tx.data.get("item")), "rule": tx.authority}
    else:  # pragma: no cover - no other kind of decision is ever written
        raise EnforcementError(f"decision {decision_id}: unknown subject {decision.subject_type}")
    decision.params = {**decision.params, "effect": effect}
    audit.append(
        session,
        actor=actor,
        action="decision.approve",
        subject=f"{decision.subject_type}:{decision.subject_id}",
        data={
            "decision": decision.id,
            "action": decision.action,
            "decided_by": decision.decided_by,
            **effect,
        },
        at=at,
    )
    return decision


def _apply_alert(session: Session, decision: Decision, actor: str, at: datetime) -> dict[str, Any]:
    alert = session.get(Alert, int(decision.subject_id), with_for_update=True)
    assert alert is not None
    if alert.status != "pending":
        raise EnforcementError(f"alert {alert.id} is {alert.status} now: the decision cannot take effect")
    alert.updated_at = at
    if decision.action == "false_positive":
        alert.status = "false_positive"
        return {"outcome": "false_positive"}
    if decision.action == "keep":
        alert.status = "closed"
        return {"outcome": "block kept"}
    if decision.action == "release":
        alert.status = "closed"
        released = []
        for block in blocking.active_blocks(session, alert.party_id):
            if block.basis == "listing" and block.entity_id == alert.entity_id:
                blocking.release_block(
                    session, block_id=block.id, kind="delisting", reason=decision.reason, actor=actor, at=at
                )
                released.append(block.id)
        _, also = blocking.apply_ownership_rule(session, actor=actor, at=at, release_kind="ownership_change")
        return {"outcome": "released", "released": released + [b.id for b in also]}
    # a true match: what it makes the institution do is the jurisdiction policy's call
    alert.status = "true_match"
    programs = list(alert.evidence.get("programs") or [])
    policy = load_policy(session)
    policy_action = policy.action_for(alert.dataset, programs, on=at.date())
    effect: dict[str, Any] = {"outcome": "true_match", "policy": policy_action.to_dict()}
    if policy_action.conflict:
        report = reports.record_due(
            session,
            kind="blocking_statute_notice",
            subject_type="alert",
            subject_id=str(alert.id),
            trigger=reporting_date(at),
            actor=actor,
            at=at,
            data={"conflict": policy_action.conflict, "party": alert.party_id, "entity": alert.entity_id},
        )
        effect["report"] = report.id
    if policy_action.action == "block":
        block = blocking.block_party(
            session,
            party_id=alert.party_id,
            basis="listing",
            explanation=f"confirmed match with {alert.entity_id} ({alert.dataset}): {alert.explanation}",
            actor=actor,
            at=at,
            entity_id=alert.entity_id,
            dataset=alert.dataset,
            programs=programs,
            decision_id=decision.id,
        )
        added, _ = blocking.apply_ownership_rule(session, actor=actor, at=at)
        effect["blocked"] = [block.id, *[b.id for b in added]]
    return effect


def reject(
    session: Session, *, decision_id: int, actor: str, note: str, at: datetime | None = None
) -> Decision:
    """Send a pending decision back: the alert opens again for a new decision."""
    at = aware(at)
    decision = _review(session, decision_id, actor, at)
    decision.status = "rejected"
    decision.reviewed_by = actor
    decision.reviewed_at = at
    decision.review_note = _need_reason(note)
    if decision.subject_type == "alert":
        alert = session.get(Alert, int(decision.subject_id))
        if alert is not None and alert.status == "pending":
            alert.status = "open"
            alert.updated_at = at
    elif decision.subject_type == "license":
        specific_licenses.withdraw_pending(session, decision, actor=actor, note=decision.review_note, at=at)
    audit.append(
        session,
        actor=actor,
        action="decision.reject",
        subject=f"{decision.subject_type}:{decision.subject_id}",
        data={"decision": decision.id, "note": decision.review_note},
        at=at,
    )
    return decision


def pending(session: Session) -> list[Decision]:
    """Decisions waiting for a second person."""
    return list(session.scalars(select(Decision).where(Decision.status == "pending").order_by(Decision.id)))
