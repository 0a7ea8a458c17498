"""The first step of every four-eyes decision: record the proposal and write it to the audit trail.

Alerts, releases of blocks, held payments, service charges, specific licences and the jurisdiction
policy are all decided the same way: one person proposes (a ``Decision`` with status ``pending``,
its reason and evidence), a second person approves (``decisions.approve``). The proposal is written
here, once, so every kind records the same fields and the same audit entry; what each kind checks
before proposing, and what it does once approved, stays with that kind.

This module sits below ``decisions`` and ``policy`` (both use it; ``decisions`` imports ``policy``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from proscribe.enforcement import audit
from proscribe.store.casework import Decision


def propose(
    session: Session,
    *,
    action: str,
    subject_type: str,
    subject_id: str,
    reason: str,
    evidence: dict[str, Any],
    params: dict[str, Any],
    actor: str,
    at: datetime,
    audit_data: dict[str, Any],
    audit_action: str = "decision.propose",
    audit_subject: str | None = None,
    link: Callable[[Decision], None] | None = None,
) -> Decision:
    """Add a pending decision and its audit record (``{"decision": id, **audit_data}``).

    ``reason`` must already be checked by the caller (each kind words its own refusal). ``link`` is
    called with the flushed decision (its id known) before the audit record is written, so a row
    that points to the decision is covered by that same record.
    """
    decision = Decision(
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        reason=reason,
        evidence=evidence,
        params=params,
        decided_by=actor,
        decided_at=at,
        status="pending",
    )
    session.add(decision)
    session.flush()
    if link is not None:
        link(decision)
    audit.append(
        session,
        actor=actor,
        action=audit_action,
        subject=audit_subject if audit_subject is not None else f"{subject_type}:{subject_id}",
        data={"decision": decision.id, **audit_data},
        at=at,
    )
    return decision
