"""Blocking and unblocking parties: the freeze that follows a confirmed match or the 50 percent rule.

Blocking a party (31 CFR 501.603; the ICC orders' §1) freezes every account it holds or jointly
holds: the funds move into a blocked, interest-bearing account in its name (``ledger.block_funds``),
and a blocked-property report falls due within 10 business days. Organisations owned 50% or more by
blocked persons are then blocked too (``ownership.apply_rule``). Releasing a block (delisting, a
specific licence to unblock, or a compliance release after an error, 31 CFR 501.806) returns the
funds once no other block holds the party, and re-applies the 50 percent rule so that companies
blocked only through the released owner are released with it. Nothing is deleted: blocks are
closed with who, when, why.

A company whose blocked owners sell down below 50% is not released: property blocked stays blocked
until OFAC authorises its release, and OFAC does not recognise unlicensed transfers of blocked
property "through changes in ownership or otherwise" (OFAC FAQ 402). Its block is marked *lapsed*
(new property of the company is not blocked by the 50 percent rule, though OFAC urges caution, so
payments to it are held for a person), and its funds come back only under a specific licence to
unblock them, approved under four eyes, with the unblocking report 31 CFR 501.603(b)(3) asks for.
A release under a licence never lifts the block on a person who is still listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, ledger, reports
from proscribe.enforcement.clock import aware, reporting_date
from proscribe.enforcement.errors import EnforcementError, NotFoundError
from proscribe.enforcement.ownership import Edge, apply_rule, regime_of
from proscribe.enforcement.policy import load_policy
from proscribe.sources.base import record_from_data
from proscribe.store.book import Account, AccountParty, Ownership, Party
from proscribe.store.casework import Block
from proscribe.store.reads import sanction_states
from proscribe.store.schema import RecordRow

__all__ = [
    "RELEASE_KINDS",
    "BlockedParty",
    "active_blocks",
    "apply_ownership_rule",
    "block_party",
    "blocked_accounts_of",
    "blocked_parties",
    "refuse_licence_release",
    "release_block",
]

RELEASE_KINDS = ledger.RELEASE_KINDS
#: roles that give a party an interest in the account's funds (a signatory or attorney has none)
INTEREST_ROLES = ("holder", "joint_holder")


@dataclass
class BlockedParty:
    """A party the institution holds as blocked, with what payments need to recognise it."""

    party_id: str
    name: str
    aliases: list[str]
    kind: str
    #: its own accounts and the blocked accounts holding its funds
    accounts: list[str]
    basis: str
    programs: list[str] = field(default_factory=list)
    entity_ids: list[str] = field(default_factory=list)
    block_ids: list[int] = field(default_factory=list)
    #: the listings its ``listing`` blocks rest on (the lists in force decide whether they still do)
    listing_ids: list[str] = field(default_factory=list)
    #: every block it has rests on a basis that lapsed (a 50%-rule company sold down, FAQ 402): its
    #: property stays blocked, new dealings are held for a person rather than blocked
    lapsed: bool = False


def active_blocks(session: Session, party_id: str | None = None) -> list[Block]:
    q = select(Block).where(Block.released_at.is_(None)).order_by(Block.id)
    if party_id is not None:
        q = q.where(Block.party_id == party_id)
    return list(session.scalars(q))


def _accounts_with_interest(session: Session, party_id: str) -> list[Account]:
    """The customer accounts the party holds or jointly holds."""
    held = select(AccountParty.account_id).where(
        AccountParty.party_id == party_id, AccountParty.role.in_(INTEREST_ROLES)
    )
    q = (
        select(Account)
        .where(Account.kind == "customer", or_(Account.owner_id == party_id, Account.id.in_(held)))
        .order_by(Account.id)
    )
    return list(session.scalars(q))


def blocked_accounts_of(session: Session, party_id: str) -> list[Account]:
    """Open blocked accounts holding the party's funds: in its name, or taken from an account it holds."""
    held = [a.id for a in _accounts_with_interest(session, party_id)]
    q = select(Account).where(
        Account.kind == "blocked",
        Account.status != "closed",
        or_(Account.owner_id == party_id, Account.source_account_id.in_(held)),
    )
    return list(session.scalars(q.order_by(Account.id)))


def _interest_holders(session: Session, blocked: Account) -> set[str]:
    """Everyone with an interest in a blocked account's funds: its owner and the source's holders."""
    holders = {blocked.owner_id} if blocked.owner_id else set()
    if blocked.source_account_id:
        source = session.get(Account, blocked.source_account_id)
        if source is not None and source.owner_id:
            holders.add(source.owner_id)
        holders.update(
            session.scalars(
                select(AccountParty.party_id).where(
                    AccountParty.account_id == blocked.source_account_id,
                    AccountParty.role.in_(INTEREST_ROLES),
                )
            )
        )
    return holders


def designation_start(session: Session, dataset: str | None, entity_id: str | None, on: date) -> date | None:
    """The day the listing's designation in force on ``on`` took effect, when the list dates it.

    Read from the dated sanctions of the listing as it stood on ``on`` (the ICC registry dates each
    designation; OFAC's files mostly do not). The earliest full date among the sanctions in force is
    taken: the property was blocked from then. A list's import date is never taken for a designation
    date; with no dated sanction the answer is None.
    """
    if not dataset or not entity_id:
        return None
    rows = list(
        session.scalars(
            select(RecordRow)
            .where(RecordRow.dataset == dataset, RecordRow.entity_id == entity_id)
            .order_by(RecordRow.valid_from.desc(), RecordRow.id.desc())
        )
    )
    # the listing as it stood on ``on`` (or its first state, if ``on`` is before the first import)
    row = next((r for r in rows if r.valid_from <= on), rows[-1] if rows else None)
    if row is None:
        return None
    record = record_from_data(row.dataset, row.source_id, row.data)
    starts = []
    for state in sanction_states(record, on):
        if state.in_force and state.start and len(state.start) == 10:
            try:
                starts.append(date.fromisoformat(state.start))
            except ValueError:
                continue
    return min(starts) if starts else None


def became_blocked_on(
    session: Session, block: Block, account: Account, frozen_at: datetime
) -> tuple[date, dict[str, object]]:
    """The date the property in ``account`` became blocked, from which its report's 10 business days
    run (31 CFR 501.603(b)(1)(i): "from the date that property becomes blocked").

    Property is blocked by operation of law once its owner is designated and it is in the
    institution's possession or control (EO 14203 §1, EO 13928 §1: property that "is or hereafter
    comes within the possession or control of any United States person"): the later of the
    designation's effective date and the day the account was opened here, never after the day the
    institution froze it. The institution finding it late does not move that date; the report is then
    owed from the earlier date (the safer reading) and shows as due sooner or overdue. A 50%-rule
    company counts from the freeze (the day the rule was applied): when the aggregate reached 50% is
    not reliably known. Dates are Washington dates.
    """
    frozen = reporting_date(frozen_at)
    facts: dict[str, object] = {"frozen_on": frozen.isoformat()}
    if block.basis != "listing":
        return frozen, facts | {"counted_from": "the day the institution froze the property"}
    designated = designation_start(session, block.dataset, block.entity_id, frozen)
    if designated is None:
        return frozen, facts | {
            "counted_from": "the day the institution froze the property (designation undated)"
        }
    opened = reporting_date(account.opened_at) if account.opened_at else designated
    legal = min(max(designated, opened), frozen)
    facts |= {"designated_on": designated.isoformat(), "held_since": opened.isoformat()}
    if legal < frozen:
        return legal, facts | {
            "counted_from": (
                "the day the property became blocked by law (designation in force and property held "
                "here), before the institution froze it"
            )
        }
    return frozen, facts | {"counted_from": "the day the institution froze the property"}


def block_party(
    session: Session,
    *,
    party_id: str,
    basis: str,
    explanation: str,
    actor: str,
    at: datetime | None = None,
    entity_id: str | None = None,
    dataset: str | None = None,
    programs: list[str] | None = None,
    chain: list[dict[str, object]] | None = None,
    decision_id: int | None = None,
    interest_rate: Decimal | None = None,
) -> Block:
    """Block a party and freeze its accounts; idempotent for the same party and listing."""
    at = aware(at)
    party = session.get(Party, party_id)
    if party is None:
        raise NotFoundError(f"no party {party_id!r}")
    block = next(
        (b for b in active_blocks(session, party_id) if b.basis == basis and b.entity_id == entity_id), None
    )
    is_new = block is None
    if block is None:
        block = Block(
            party_id=party_id,
            basis=basis,
            entity_id=entity_id,
            dataset=dataset,
            programs=list(programs or []),
            chain=list(chain or []),
            explanation=explanation,
            decision_id=decision_id,
            blocked_at=at,
            blocked_by=actor,
        )
        session.add(block)
        session.flush()
    frozen: list[str] = []
    # every open account the party holds: all of them on a new block; on an existing one, accounts
    # opened since (a blocked person's new account is blocked property from its first cent)
    for account in _accounts_with_interest(session, party_id):
        if account.status != "open":
            continue
        blocked = ledger.block_funds(
            session,
            account_id=account.id,
            actor=actor,
            reason=f"block {block.id}: {block.explanation}",
            at=at,
            block_id=block.id,
            interest_rate=interest_rate,
        )
        frozen.append(blocked.id)
        trigger, facts = became_blocked_on(session, block, account, at)
        reports.record_due(
            session,
            kind="blocked_property",
            subject_type="account",
            subject_id=blocked.id,
            trigger=trigger,
            actor=actor,
            at=at,
            data=facts,
        )
    if not is_new and not frozen:
        return block
    audit.append(
        session,
        actor=actor,
        action="party.block",
        subject=f"party:{party_id}",
        data={
            "block": block.id,
            "new": is_new,
            "basis": basis,
            "entity_id": entity_id,
            "programs": block.programs,
            "explanation": block.explanation,
            "decision": block.decision_id,
            "blocked_accounts": frozen,
        },
        at=at,
    )
    return block


def release_block(
    session: Session,
    *,
    block_id: int,
    kind: str,
    reason: str,
    actor: str,
    at: datetime | None = None,
    authority: str | None = None,
) -> Block:
    """Close a block; when it was the party's last, return its blocked funds (history kept).

    A release under a licence (``kind="license"``) is refused for a block on a listing: the person
    is still listed, and unblocked funds in their account would be theirs to withdraw at once
    (payments a licence allows out of a listed person's blocked account are debits to named payees).
    """
    at = aware(at)
    if kind not in RELEASE_KINDS:
        raise EnforcementError(f"release kind {kind!r} is not one of {', '.join(RELEASE_KINDS)}")
    block = session.get(Block, block_id, with_for_update=True)
    if block is None:
        raise NotFoundError(f"no block {block_id}")
    if block.released_at is not None:
        raise EnforcementError(f"block {block_id} was already released on {block.released_at:%Y-%m-%d}")
    if kind == "license":
        refuse_licence_release(session, block)
    block.released_at = at
    block.released_by = actor
    block.release_kind = kind
    block.release_reason = reason
    session.flush()
    returned: list[str] = []
    reports_owed: list[str] = []
    for account in blocked_accounts_of(session, block.party_id):
        if any(active_blocks(session, holder) for holder in _interest_holders(session, account)):
            continue  # another blocked person still has an interest in these funds
        tx = ledger.release(
            session,
            blocked_account_id=account.id,
            kind=kind,
            actor=actor,
            reason=f"block {block.id} released ({kind.replace('_', ' ')}): {reason}",
            at=at,
            authority=authority,
            ownership_lapsed=block.lapsed_at is not None,
        )
        returned.append(account.id)
        if (tx.data.get("unblocking_report") or {}).get("owed"):
            reports_owed.append(account.id)
    audit.append(
        session,
        actor=actor,
        action="party.release",
        subject=f"party:{block.party_id}",
        data={
            "block": block.id,
            "kind": kind,
            "reason": reason,
            "authority": authority,
            "released": returned,
            # 31 CFR 501.603(b)(3): accounts whose unblocking OFAC is told of (ledger.unblocking_report)
            "unblocking_report_owed": reports_owed,
        },
        at=at,
    )
    return block


def refuse_licence_release(session: Session, block: Block) -> None:
    """``EnforcementError`` unless a specific licence may unblock this block's property at all.

    Never a listed person's (their listing is in force until a delisting closes the block); never a
    company the 50 percent rule still reaches. A 50%-rule block that lapsed (FAQ 402) may be.
    """
    if block.basis == "listing":
        raise EnforcementError(
            f"block {block.id} rests on a listing ({block.entity_id}): the person is still listed, so a "
            "licence cannot unblock their property (they could withdraw it at once); a specific licence "
            "to pay named payees out of the blocked account is registered with direction debit"
        )
    if block.basis == "ownership" and block.lapsed_at is None:
        raise EnforcementError(
            f"block {block.id}: the company is still owned 50% or more by blocked persons; its property "
            "cannot be unblocked while the rule reaches it"
        )


def freeze_new_accounts(session: Session, *, actor: str, at: datetime | None = None) -> list[str]:
    """Block the open accounts of parties already blocked (accounts opened or joined since)."""
    at = aware(at)
    frozen: list[str] = []
    for b in active_blocks(session):
        before = {a.id for a in _accounts_with_interest(session, b.party_id) if a.status == "open"}
        if before:
            block_party(
                session,
                party_id=b.party_id,
                basis=b.basis,
                explanation=b.explanation,
                actor=actor,
                at=at,
                entity_id=b.entity_id,
            )
            frozen.extend(sorted(before))
    return frozen


def apply_ownership_rule(
    session: Session, *, actor: str, at: datetime | None = None, release_kind: str = "ownership_change"
) -> tuple[list[Block], list[Block]]:
    """Block what the 50 percent rule now reaches and release what it no longer does.

    Returns (new blocks, released blocks). A company is released with its owner's block (a
    delisting, a compliance release); when its owners are all still blocked and only the stakes
    changed, its block lapses instead and its property stays blocked (OFAC FAQ 402).
    """
    at = aware(at)
    policy = load_policy(session)
    uk = bool({"GB", "UK"} & set(policy.jurisdictions))
    listed: dict[str, tuple[list[str], list[str]]] = {}
    regimes: dict[str, set[str]] = {}
    for b in active_blocks(session):
        if b.basis == "listing":
            ids, progs = listed.get(b.party_id, ([], []))
            listed[b.party_id] = (
                sorted({*ids, *([b.entity_id] if b.entity_id else [])}),
                sorted({*progs, *b.programs}),
            )
            # each regime counts the persons it lists: OFAC's 50% or more, the EU's and the UK's
            # more than 50% or control (ownership.TESTS)
            regimes.setdefault(b.party_id, set()).add(
                regime_of(b.dataset, eu_operator=policy.eu_operator, uk=uk)
            )
    edges = [
        Edge(o.owner_id, o.owned_id, Decimal(o.share), bool(o.control))
        for o in session.scalars(select(Ownership))
    ]
    kinds = {str(r[0]): str(r[1]) for r in session.execute(select(Party.id, Party.kind))}
    derived = apply_rule(listed, edges, kinds, regimes)
    names = {str(r[0]): str(r[1]) for r in session.execute(select(Party.id, Party.name))}
    added: list[Block] = []
    released: list[Block] = []
    current = {b.party_id: b for b in active_blocks(session) if b.basis == "ownership"}
    for party_id, rule in sorted(derived.items()):
        if party_id in current:
            continue
        added.append(
            block_party(
                session,
                party_id=party_id,
                basis="ownership",
                explanation=rule.explanation(names),
                actor=actor,
                at=at,
                programs=rule.programs,
                chain=rule.chain(),
            )
        )
    for party_id, block in sorted(current.items()):
        if party_id in derived:
            if block.lapsed_at is not None:  # back to 50% or more: the basis holds again
                block.lapsed_at, block.lapsed_reason = None, None
                audit.append(
                    session,
                    actor=actor,
                    action="party.block_restored",
                    subject=f"party:{party_id}",
                    data={"block": block.id, "why": "owned 50% or more by blocked persons again"},
                    at=at,
                )
            continue
        owners = [str(o.get("owner")) for o in block.chain if o.get("owner")]
        if owners and all(active_blocks(session, owner) for owner in owners):
            # the owners are still blocked: their stakes changed. Property blocked stays blocked
            # until OFAC authorises its release (OFAC FAQ 402); the release needs a licence
            if block.lapsed_at is None:
                block.lapsed_at = at
                block.lapsed_reason = (
                    "no longer owned 50% or more by blocked persons (a change of ownership): the property "
                    "blocked stays blocked until OFAC authorises its release (OFAC FAQ 402)"
                )
                session.flush()
                audit.append(
                    session,
                    actor=actor,
                    action="party.block_lapsed",
                    subject=f"party:{party_id}",
                    data={"block": block.id, "owners": owners, "why": block.lapsed_reason},
                    at=at,
                )
            continue
        released.append(
            release_block(
                session,
                block_id=block.id,
                kind=release_kind,
                reason="no longer owned 50% or more by blocked persons: an owner's block was released",
                actor=actor,
                at=at,
            )
        )
    return added, released


def blocked_parties(session: Session, at: datetime | None = None) -> list[BlockedParty]:
    """Every party blocked now, with the accounts that identify it in a payment."""
    by_party: dict[str, BlockedParty] = {}
    for b in active_blocks(session):
        bp = by_party.get(b.party_id)
        if bp is None:
            party = session.get(Party, b.party_id)
            if party is None:  # pragma: no cover - a foreign key keeps this from happening
                continue
            own = [a.id for a in _accounts_with_interest(session, party.id)]
            blocked = list(
                session.scalars(
                    select(Account.id).where(Account.owner_id == party.id, Account.kind == "blocked")
                )
            )
            bp = BlockedParty(
                party_id=party.id,
                name=party.name,
                aliases=list(party.aliases or []),
                kind=party.kind,
                accounts=sorted({*own, *blocked}),
                basis=b.basis,
            )
            by_party[b.party_id] = bp
        bp.block_ids.append(b.id)
        bp.programs = sorted({*bp.programs, *b.programs})
        if b.entity_id:
            bp.entity_ids = sorted({*bp.entity_ids, b.entity_id})
            if b.basis == "listing":
                bp.listing_ids = sorted({*bp.listing_ids, b.entity_id})
        for item in b.chain:  # a 50-percent-rule block: the listings each owner's block rests on
            bp.entity_ids = sorted({*bp.entity_ids, *item.get("entity_ids", [])})
    for bp in by_party.values():
        blocks = [session.get(Block, i) for i in bp.block_ids]
        bp.lapsed = all(b is not None and b.lapsed_at is not None for b in blocks)
    return list(by_party.values())
