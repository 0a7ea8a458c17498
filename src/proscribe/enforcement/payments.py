"""Payment screening: pass, hold for review, block or reject, with the reason and the rule.

Every party and bank a payment names is screened by name (and by BIC, which the lists carry as an
identifier), the free text by sliding windows of two to four words, and the institution's own
blocked parties (listed ones and companies blocked under the 50 percent rule) by account number
and name. The decision table, with the rule each row rests on (docs/payments.md has it too):

=====================================================  ===========  ==============================
what was found                                         decision     rule
=====================================================  ===========  ==============================
strong hit on a party with an interest (debtor,        policy's     block: 31 CFR 501.603 and the
creditor, ultimate parties) or a bank in the chain,    action       program (e.g. EO 14203 §1);
or an account / name of a party the institution        (block by    funds go to a blocked account
holds as blocked                                       default)     in the blocked person's name
strong hit in free text naming the one the payment     block (US    the listed person has an
is for ("FOR THE BENEFIT OF", "FBO", "ON BEHALF OF",    programs)    interest: 31 CFR 501.603 and
"IN FAVOUR OF", /BNF/, /ULTB/)                                       the program (e.g. EO 14203 §1)
the same under an EU, UK or UN listing                 hold         funds must not be made
                                                                    available; a person decides
                                                                    whether they are the listed
                                                                    person's (to freeze)
a listed person merely mentioned in free text          hold         whether a blocked person has
("BOOK BY ...", "TICKETS FOR ...")                                  an interest (block) or not
                                                                    (reject) is for a person to
                                                                    decide (OFAC FAQ 36)
possible hit anywhere                                  hold         OFAC FAQ 5: validate the match
signs of stripping                                     hold         evasion is itself prohibited
                                                                    (50 U.S.C. 1705(a); EO 13928
                                                                    §5, EO 14203 §6)
a party in a country under a comprehensive US          hold         the embargo's regulations
embargo (US-person policies only)
a general licence claimed that may cover the hit       hold         the licence's terms: a claim,
(wind-down, legal services, medical...)                             checked by a person
a licence claimed that certainly does not (unknown     as if none   the reason is recorded
number, expired, another person, a debit of blocked
funds under a general licence)
a registered specific licence the payment conforms to  pass         31 CFR 501.801; the licence
(licensee, parties, direction, account, amount, dates)              (counted against its amount)
a party the institution holds as blocked whose         hold         its property stays blocked; new
listing is no longer in force, or whose 50%-rule                    dealings are not blocked on a
basis lapsed                                                        stale list (OFAC FAQ 402)
nothing                                                pass         -
=====================================================  ===========  ==============================

A payment out of an account here that holds blocked property moves nothing: its funds are blocked
already (``payment_funds``). A blocked payment's funds leave the debtor's account here or arrive
through clearing, into the blocked account of the account they were sent to.

The policy turns a confirmed hit into block, reject, escalate (hold) or note (pass, noted), and
carries an EU Blocking Statute conflict into the reasons. The most severe outcome wins: block over
reject over hold over pass.

"Strong" is a score of at least ``STRONG_SCORE``. Scores are calibrated probabilities, but on
pairs where about half the candidates are the listed entity (docs/benchmarks.md); in a stream of
payments almost no party is, so a score of 0.8 on a name alone ("KARIM AHMAD KHAN" 0.84, one
listed given name missing) is still far from proof. Blocking freezes funds and owes a report, so it
waits for 0.85 (a whole listed name, 0.89 for a rare two-word one such as "Beti Hohler", or a name
with a date or a document that agrees); below it a person decides.
Free text is screened from ``TEXT_THRESHOLD`` rather than
the default 0.3: a window of common words ("IN MARCH", "AHMED HASSAN") reaches 0.3 to 0.48 against
unrelated listings, and holding every such payment would bury the real alerts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from followthemoney import model
from sqlalchemy.orm import Session

from proscribe.enforcement import audit, licenses, reports, specific_licenses
from proscribe.enforcement.blocking import BlockedParty, active_blocks, block_party, blocked_parties
from proscribe.enforcement.book import party_checksum
from proscribe.enforcement.citations import program_citations
from proscribe.enforcement.clock import aware, reporting_date
from proscribe.enforcement.ledger import blocked_account_id, withdraw
from proscribe.enforcement.payment_funds import PaymentFunds, block_payment_funds, locate
from proscribe.enforcement.policy import US_DATASETS, Policy, PolicyAction, load_policy
from proscribe.enforcement.specific_licenses import LicenseRecord
from proscribe.matching.index import Index
from proscribe.matching.normalize import tokens
from proscribe.matching.score import Query
from proscribe.payments import PaymentMessage, read_messages
from proscribe.payments.claims import purposes
from proscribe.payments.messages import Party as MessageParty
from proscribe.payments.stripping import (
    StrippingFlag,
    beneficiary_names,
    deobfuscate,
    party_flags,
    unknown_names_in_text,
)
from proscribe.registry import program_code
from proscribe.screening import Screener
from proscribe.screening.screener import DEFAULT_THRESHOLD, Hit
from proscribe.sources.base import Record
from proscribe.store import Store
from proscribe.store.book import Account
from proscribe.store.book import Party as BookParty
from proscribe.store.casework import Payment

__all__ = [
    "POSSIBLE_SCORE",
    "STRONG_SCORE",
    "TEXT_THRESHOLD",
    "PaymentDecision",
    "PaymentHit",
    "institution_screener",
    "screen_payment",
    "screen_payments",
]

#: a hit at least this likely is acted on at once (see the module docstring)
STRONG_SCORE = 0.85
#: below this a party's hit is not reported (the screener's default)
POSSIBLE_SCORE = DEFAULT_THRESHOLD
#: free-text windows are reported from this score
TEXT_THRESHOLD = 0.5
#: free text is read in windows of this many words
WINDOW_SIZES = (2, 3, 4)
#: the institution's own blocked parties, as the pseudo-dataset their hits carry
INSTITUTION = "institution_blocked"

#: a listed person named in free text as the one the payment is for has an interest in it under
#: these lists' programs (US: "property and interests in property", 31 CFR 501.603); under the others
#: (EU, UK, UN) funds must not be made available to them, and a person decides what is theirs
INTEREST_BY_BENEFIT_DATASETS = US_DATASETS
#: jurisdictions under a comprehensive US embargo, and their regulations (US-person policies only)
EMBARGOED = {
    "CU": "Cuba: Cuban Assets Control Regulations, 31 CFR part 515",
    "IR": "Iran: Iranian Transactions and Sanctions Regulations, 31 CFR part 560",
    "KP": "North Korea: North Korea Sanctions Regulations, 31 CFR part 510",
}
SEVERITY = {"pass": 0, "hold": 1, "reject": 2, "block": 3}
STATUS = {"pass": "final", "hold": "held", "reject": "rejected", "block": "blocked"}
#: which of several blocking hits names the owner of the blocked funds: the beneficiary first
OWNER_PRIORITY = (
    "creditor",
    "ultimate_creditor",
    "debtor",
    "ultimate_debtor",
    "initiating_party",
    "creditor_agent",
    "intermediary_agent_1",
    "intermediary_agent_2",
    "intermediary_agent_3",
    "debtor_agent",
)
_DATASET_OF_PREFIX = {"icc": "proscribe_icc", "ofac": "us_ofac_sdn", "unsc": "un_sc_sanctions"}


@dataclass
class PaymentHit:
    """One listed (or institution-blocked) party the payment may involve, and what that means."""

    #: party (a name), bic, account, institution (a party the institution holds as blocked), free_text
    source: str
    field: str
    #: the message role (creditor, debtor_agent...) or None for free text
    role: str | None
    query: str
    entity_id: str
    dataset: str
    caption: str
    score: float
    strength: str  # strong | possible
    programs: list[str]
    matched_name: str | None
    explanation: str
    kind: str = "organization"
    #: the free text matched only once its disguise was removed
    altered: bool = False
    #: the institution's own party, for a hit on its blocked parties
    party_id: str | None = None
    entity_ids: list[str] = dataclasses.field(default_factory=list)
    action: str | None = None
    policy_reason: str | None = None
    conflict: str | None = None
    #: the licence check that authorises dealing with this party, if one does
    license: dict[str, Any] | None = None
    #: what this hit alone calls for: block, reject, hold or pass
    outcome: str = "hold"
    #: for free text: the words naming the listed person as the one the payment is for
    #: ("FOR THE BENEFIT OF"), None when the name is merely mentioned
    benefit: str | None = None

    @property
    def has_interest(self) -> bool:
        """A party or bank of the payment, or the one free text says the payment is for."""
        return self.source != "free_text" or self.benefit is not None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PaymentDecision:
    """What was decided about one transaction, and everything it rested on."""

    message: PaymentMessage
    decision: str
    rule: str
    reasons: list[str]
    hits: list[PaymentHit]
    stripping: list[StrippingFlag]
    license: str | None = None
    license_reason: str | None = None
    conflicts: list[str] = dataclasses.field(default_factory=list)
    payment_id: int | None = None
    blocked_owner: str | None = None
    blocked_account: str | None = None
    reports: list[int] = dataclasses.field(default_factory=list)

    @property
    def status(self) -> str:
        return STATUS[self.decision]

    def to_dict(self) -> dict[str, Any]:
        return {
            "payment_id": self.payment_id,
            "message_type": self.message.message_type,
            "reference": self.message.reference,
            "location": self.message.location,
            "amount": str(self.message.amount),
            "currency": self.message.currency,
            "value_date": self.message.value_date.isoformat() if self.message.value_date else None,
            "debtor": self.message.debtor_name,
            "creditor": self.message.creditor_name,
            "decision": self.decision,
            "status": self.status,
            "rule": self.rule,
            "reasons": list(self.reasons),
            "license": self.license,
            "license_reason": self.license_reason,
            "conflicts": list(self.conflicts),
            "stripping": [s.to_dict() for s in self.stripping],
            "hits": [h.to_dict() for h in self.hits],
            "blocked_owner": self.blocked_owner,
            "blocked_account": self.blocked_account,
            "reports": list(self.reports),
            "parties": [p.to_dict() for p in self.message.parties],
        }


# --- the institution's own blocked parties -------------------------------------------------------


def institution_screener(parties: list[BlockedParty]) -> Screener | None:
    """A small index over the institution's blocked parties, to screen payment names against.

    Companies blocked under the 50 percent rule are on no list, so the list index cannot find them.
    Rarity comes from the matcher's fixed table (``matching.rarity``), not from this index: in an
    index of a dozen names every word would be rare, and "Trading" alone would look like a match.
    """
    records: list[Record] = []
    for bp in parties:
        schema = "Person" if bp.kind == "person" else "Organization"
        ent = model.make_entity(schema)
        ent.id = f"party-{bp.party_id}"
        ent.add("name", bp.name)
        for alias in bp.aliases:
            ent.add("alias", alias)
        records.append(Record(INSTITUTION, bp.party_id, ent, []))
    if not records:
        return None
    index = Index.build(records)
    return Screener(index)


def _account_key(value: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (value or "").upper())


def _dataset_of(entity_id: str) -> str:
    return _DATASET_OF_PREFIX.get(entity_id.split("-", 1)[0], INSTITUTION)


# --- screening -------------------------------------------------------------------------------------


def _hit(
    h: Hit, source: str, fld: str, role: str | None, *, altered: bool = False, bp: BlockedParty | None = None
) -> PaymentHit:
    return PaymentHit(
        source=source,
        field=fld,
        role=role,
        query=h.query_name,
        entity_id=h.entity_id if bp is None else f"party:{bp.party_id}",
        dataset=h.dataset,
        caption=h.caption,
        score=h.score,
        strength="strong" if h.score >= STRONG_SCORE else "possible",
        programs=list(h.programs) if bp is None else list(bp.programs),
        matched_name=h.matched_name,
        explanation=h.explanation,
        kind="person" if h.schema == "Person" else "organization",
        altered=altered,
        party_id=bp.party_id if bp else None,
        entity_ids=[h.entity_id] if bp is None else list(bp.entity_ids),
    )


def _screen_party(
    p: MessageParty, screener: Screener, inst: Screener | None, by_id: dict[str, BlockedParty]
) -> list[PaymentHit]:
    out: list[PaymentHit] = []
    name = p.name.strip()
    kind = "organization" if p.is_agent else p.kind
    ident = p.identifiers[0] if p.identifiers else None
    if name:
        q = Query(name=name, kind=kind, birth_date=p.birth_date, id_number=ident, id=p.role)
        out.extend(
            _hit(h, "party", p.field, p.role) for h in screener.screen(q, threshold=POSSIBLE_SCORE, limit=5)
        )
        if inst is not None:
            for h in inst.screen(Query(name=name, kind=kind, id=p.role), threshold=POSSIBLE_SCORE, limit=3):
                out.append(_hit(h, "institution", p.field, p.role, bp=by_id[h.source_id]))
    if p.bic:
        bic8 = p.bic[:8]
        q = Query(name=bic8, kind="organization", id_number=bic8, id=p.role)
        out.extend(
            _hit(h, "bic", p.field, p.role) for h in screener.screen(q, threshold=POSSIBLE_SCORE, limit=3)
        )
    return out


def _screen_accounts(message: PaymentMessage, parties: list[BlockedParty]) -> list[PaymentHit]:
    """An account of a party the institution holds as blocked is a certain hit, whatever the name says."""
    by_account = {_account_key(a): bp for bp in parties for a in bp.accounts if _account_key(a)}
    out: list[PaymentHit] = []
    for p in message.parties:
        bp = by_account.get(_account_key(p.account))
        if bp is None:
            continue
        out.append(
            PaymentHit(
                source="account",
                field=p.field,
                role=p.role,
                query=p.account or "",
                entity_id=f"party:{bp.party_id}",
                dataset=INSTITUTION,
                caption=bp.name,
                score=1.0,
                strength="strong",
                programs=list(bp.programs),
                matched_name=None,
                explanation=f"account {p.account} belongs to {bp.name} ({bp.party_id}), blocked ({bp.basis})",
                kind=bp.kind,
                party_id=bp.party_id,
                entity_ids=list(bp.entity_ids),
            )
        )
    return out


def _windows(text: str) -> list[str]:
    # field 72 codes (/ACC/, /BNF/) and continuation marks are structure, not words
    cleaned = re.sub(r"(?m)^/[A-Z0-9]{1,8}/|^//", " ", text)
    words = [w for w in cleaned.split() if re.search(r"\w", w)]
    out: list[str] = []
    for size in WINDOW_SIZES:
        for i in range(len(words) - size + 1):
            out.append(" ".join(words[i : i + size]))
    return list(dict.fromkeys(out))


def _named(text: str) -> list[tuple[str, set[str]]]:
    """The names free text says the payment is for, as word sets (with the words that say so)."""
    return [(marker, set(tokens(name))) for marker, name in beneficiary_names(text, across_lines=True)]


def _screen_text(
    message: PaymentMessage, screener: Screener, inst: Screener | None, by_id: dict[str, BlockedParty]
) -> tuple[list[PaymentHit], list[StrippingFlag]]:
    hits: list[PaymentHit] = []
    flags: list[StrippingFlag] = []

    def run(window: str, fld: str, altered: bool, named: list[tuple[str, set[str]]]) -> list[PaymentHit]:
        found = [
            _hit(h, "free_text", fld, None, altered=altered)
            for h in screener.screen(Query(name=window), threshold=TEXT_THRESHOLD, limit=3)
        ]
        if inst is not None:
            for h in inst.screen(Query(name=window), threshold=TEXT_THRESHOLD, limit=3):
                found.append(_hit(h, "free_text", fld, None, altered=altered, bp=by_id[h.source_id]))
        words = set(tokens(window))
        benefit = next((marker for marker, name in named if words and words <= name), None)
        for ph in found:
            ph.benefit = benefit
        return found

    def keep(best: dict[str, PaymentHit], h: PaymentHit) -> None:
        # per listed entity, a window naming them as the one the payment is for wins over a mere
        # mention; among equals, the higher score
        old = best.get(h.entity_id)
        if old is None or (h.benefit is not None, h.score) > (old.benefit is not None, old.score):
            best[h.entity_id] = h

    for ft in message.free_text:
        plain: dict[str, PaymentHit] = {}
        named = _named(ft.text)
        for window in _windows(ft.text):
            for h in run(window, ft.field, False, named):
                keep(plain, h)
        hits.extend(plain.values())
        clear = deobfuscate(ft.text)
        if clear == ft.text:
            continue
        disguised: dict[str, PaymentHit] = {}
        named_clear = _named(clear)
        for window in _windows(clear):
            for h in run(window, ft.field, True, named_clear):
                if h.entity_id in plain:
                    continue
                keep(disguised, h)
        for h in disguised.values():
            hits.append(h)
            flags.append(
                StrippingFlag(
                    "altered_name",
                    ft.field,
                    ft.text,
                    f"field {ft.field} names {h.caption!r} in a disguised form "
                    f"(read as {h.query!r}, score {h.score})",
                )
            )
    return hits, flags


_CHANNEL_RANK = {"account": 0, "institution": 1, "party": 2, "bic": 2, "free_text": 3}


def _best_per_entity(hits: Iterable[PaymentHit]) -> list[PaymentHit]:
    """One hit per listed entity: the one that says most (an interest over free text, then the score)."""

    def rank(h: PaymentHit) -> tuple[int, int, int, float]:
        # a hit on a party or agent (an interest in the funds) before one in free text, even a weaker
        # one: whether a blocked person has an interest decides between blocking and rejecting
        interest = 0 if h.has_interest else 1
        return (interest, 0 if h.strength == "strong" else 1, _CHANNEL_RANK[h.source], -h.score)

    best: dict[str, PaymentHit] = {}
    for h in hits:
        if h.entity_id not in best or rank(h) < rank(best[h.entity_id]):
            best[h.entity_id] = h
    return sorted(best.values(), key=lambda h: (SEVERITY.get(h.outcome, 0), h.score), reverse=True)


# --- the decision ----------------------------------------------------------------------------------


#: why a free-text hit is held rather than decided (the decision's rule quotes them)
MENTION_HELD = (
    "a listed person is named in free text, not as the one the payment is for: whether a blocked "
    "person has an interest (block) or the dealing is prohibited without one (reject) is for a person "
    "to decide (OFAC FAQ 36)"
)
BENEFIT_HELD = (
    "a person listed under EU, UK or UN measures is named as the one the payment is for: no funds may "
    "be made available to them; a person decides whether the funds are theirs, to be frozen"
)


def _apply_policy(h: PaymentHit, policy: Policy, on: date) -> None:
    datasets = [h.dataset]
    if h.dataset == INSTITUTION:
        # the institution already decided this party is blocked; the policy still speaks for the
        # list it was blocked under (an EU operator's blocking-statute conflict, for instance)
        datasets = [_dataset_of(e) for e in h.entity_ids if _dataset_of(e) != INSTITUTION]
        pa = (
            policy.action_for(datasets[0], h.programs, on=on)
            if datasets
            else PolicyAction("block", "a party the institution holds as blocked", binding=True)
        )
    else:
        pa = policy.action_for(h.dataset, h.programs, on=on)
    h.action, h.policy_reason, h.conflict = pa.action, pa.reason, pa.conflict
    if pa.action == "note":
        h.outcome = "pass"
    elif h.strength == "possible" or pa.action == "escalate":
        h.outcome = "hold"
    elif h.source == "free_text" and h.benefit is None:
        # a mere mention ("BOOK BY ...") says nothing of an interest: neither block nor return it
        h.outcome = "hold"
        h.policy_reason = f"{h.policy_reason}; {MENTION_HELD}"
    elif h.source == "free_text" and not set(datasets) & INTEREST_BY_BENEFIT_DATASETS:
        h.outcome = "hold"
        h.policy_reason = f"{h.policy_reason}; {BENEFIT_HELD}"
    else:
        h.outcome = "block" if pa.action == "block" else "reject"


#: roles on the paying side and on the receiving side of a payment
DEBTOR_SIDE = ("debtor", "ultimate_debtor", "initiating_party")
CREDITOR_SIDE = ("creditor", "ultimate_creditor")


def _dealing(h: PaymentHit, funds: PaymentFunds) -> str:
    """What the payment is for the blocked person of ``h``: a debit of blocked funds held here, a
    payment from funds elsewhere, a payment to them, or another dealing (``licenses.DEALING_KINDS``)."""
    if h.role in DEBTOR_SIDE:
        return "debit_blocked" if funds.source_blocked else "payment_from"
    if h.role in CREDITOR_SIDE:
        return "payment_to"
    return "dealing"


def _check_license(
    h: PaymentHit,
    message: PaymentMessage,
    stated: list[str],
    at: datetime,
    *,
    funds: PaymentFunds,
    registered: list[LicenseRecord],
    blocked: list[BlockedParty],
    institution: str,
) -> tuple[str, str]:
    """The claimed licence against this hit: (``authorised`` | ``review`` | ``refused``, why).

    A claim is what the remitter wrote. Only a specific licence registered here, which the payment
    conforms to in every respect, authorises it (``specific_licenses.conforms``). A licence of the
    registry is at most ``review``: a person checks it against its terms, knowing what it covers
    and what it does not (``licenses.check``). Anything else is ``refused``.
    """
    claim = message.license_claim
    assert claim is not None
    dealing = _dealing(h, funds)
    number = licenses.normalise_number(claim)
    record = next((r for r in registered if r.number == number), None)
    if record is not None or (not licenses.is_general_number(claim) and licenses.find(claim) is None):
        paying = h.role in DEBTOR_SIDE
        counter = message.party("creditor" if paying else "debtor")
        parties = (
            [h.party_id] if h.party_id else [bp.party_id for bp in blocked if h.entity_id in bp.entity_ids]
        )
        source = blocked_account_id(funds.from_account) if paying and funds.from_account else None
        result = specific_licenses.conforms(
            record,
            claim,
            direction="debit" if paying else "incoming",
            parties=parties,
            at=at,
            amount=message.amount,
            currency=message.currency,
            account=source,
            counterparty=counter.name if counter else None,
            counterparty_account=counter.account if counter else None,
            purposes=stated,
            participants=[*(p.name for p in message.parties if p.name), institution],
        )
        if result.ok:
            h.license = result.to_dict()
            return "authorised", result.reason
        return "refused", result.reason
    first: licenses.LicenseCheck | None = None
    for purpose in [*stated] if stated else [None]:
        lc = licenses.check(
            claim, programs=h.programs, entity_ids=h.entity_ids, purpose=purpose, at=at, dealing=dealing
        )
        if lc.status == "review":
            h.license = lc.to_dict()
            return "review", f"{lc.reason}. A person checks {'; '.join(lc.to_check)}"
        first = first or lc
    assert first is not None
    return "refused", first.reason


def _stale(bp: BlockedParty, in_force: set[str], on: str) -> str | None:
    """Why the institution's block of ``bp`` is no ground to block a *new* payment, or None.

    Property blocked stays blocked until it is released; but a party no longer listed (its listing
    ended, awaiting the release of its block) or a 50%-rule company whose owners sold down (OFAC
    FAQ 402, which urges caution) is not blocked for new dealings on the strength of the
    institution's own list. The lists in force decide; when they do not say, a person does.
    """
    if bp.lapsed:
        return (
            f"{bp.name} ({bp.party_id}) is no longer owned 50% or more by blocked persons: its property "
            "blocked before stays blocked (OFAC FAQ 402), but new property is not blocked by the rule; OFAC "
            "urges caution, so a person checks"
        )
    ids = bp.listing_ids or bp.entity_ids
    if not ids or any(e in in_force for e in ids):
        return None
    return (
        f"the institution holds {bp.name} ({bp.party_id}) as blocked on {', '.join(ids)}, which is not in "
        f"force on the lists as of {on}: property blocked stays blocked until it is released, but a new "
        "payment is not blocked on a stale list; a person checks the lists in force"
    )


#: each ICC order's section prohibiting evasion and conspiracy (the registry's effects)
EVASION_SECTIONS = {"ICC-EO13928": "EO 13928 §5", "ICC-EO14203": "EO 14203 §6"}


def _evasion(programs: list[str]) -> str:
    """The law against evading sanctions: IEEPA's, and the order's own section for a known program."""
    own = [EVASION_SECTIONS[p] for p in programs if p in EVASION_SECTIONS]
    return "; ".join(["50 U.S.C. 1705(a): attempting, conspiring or causing a violation", *own])


def _rule_for(
    decision: str,
    deciding: list[PaymentHit],
    flags: list[StrippingFlag],
    embargo: list[str],
    held_why: list[str] | None = None,
    on: date | None = None,
) -> str:
    programs = sorted({program_code(p) for h in deciding for p in h.programs})
    cites = [str(c) for c in program_citations(programs, on)] if on is not None else []
    if not cites:
        cites = sorted({h.policy_reason or "" for h in deciding if h.policy_reason})
    if decision == "block":
        return "; ".join(["31 CFR 501.603", *cites])
    if decision == "reject":
        return "; ".join(["31 CFR 501.604", *cites])
    if decision == "hold":
        parts = list(held_why or [])
        if any(h.strength == "possible" for h in deciding) or (deciding and not parts):
            parts.append("possible match: validate before release (OFAC FAQ 5)")
        if flags:
            parts.append(f"signs of stripping: evasion is prohibited ({_evasion(programs)})")
        parts.extend(embargo)
        return "; ".join(parts)
    return ""


def decide(
    message: PaymentMessage,
    screener: Screener,
    *,
    policy: Policy,
    at: datetime,
    blocked: list[BlockedParty] | None = None,
    inst: Screener | None = None,
    funds: PaymentFunds | None = None,
    registered: list[LicenseRecord] | None = None,
    in_force: set[str] | None = None,
) -> PaymentDecision:
    """The decision for one message, without touching the database (``screen_payment`` stores it).

    ``funds`` says which accounts here the payment moves money between (``payment_funds.locate``),
    ``registered`` the specific licences approved here, ``in_force`` the listed ids in force (by
    default, those of ``screener``'s index).
    """
    at = aware(at)
    blocked = blocked or []
    funds = funds or PaymentFunds()
    registered = registered or []
    if in_force is None:
        in_force = {e.entity_id for e in screener.index.entities}
    by_id = {bp.party_id: bp for bp in blocked}
    raw_hits: list[PaymentHit] = _screen_accounts(message, blocked)
    for p in message.parties:
        raw_hits.extend(_screen_party(p, screener, inst, by_id))
    text_hits, altered = _screen_text(message, screener, inst, by_id)
    raw_hits.extend(text_hits)
    flags = party_flags(message) + altered + unknown_names_in_text(message)
    held_why: list[str] = []
    stale_notes: dict[str, str] = {}
    for h in raw_hits:
        _apply_policy(h, policy, at.date())
        bp = by_id.get(h.party_id or "")
        stale = _stale(bp, in_force, at.date().isoformat()) if bp is not None else None
        if stale and h.outcome in ("block", "reject"):
            h.outcome = "hold"
            h.policy_reason = f"{h.policy_reason}; {stale}"
            stale_notes[bp.party_id] = stale  # type: ignore[union-attr]
    hits = _best_per_entity(raw_hits)
    if stale_notes:
        held_why.append(
            "a party held as blocked is no longer listed, or its 50%-rule basis lapsed (OFAC FAQ 402)"
        )

    reasons: list[str] = list(stale_notes.values())
    conflicts = sorted({h.conflict for h in hits if h.conflict})
    stated = purposes(message.purpose_code, [f.text for f in message.free_text])
    license_used: str | None = None
    license_reason: str | None = None
    open_hits: list[PaymentHit] = []
    for h in hits:
        if message.license_claim and h.outcome != "pass":
            status, why = _check_license(
                h,
                message,
                stated,
                at,
                funds=funds,
                registered=registered,
                blocked=blocked,
                institution=policy.institution.name,
            )
            if status == "authorised":
                license_used = h.license["license"] if h.license else message.license_claim
                license_reason = why
                reasons.append(f"{h.caption} ({h.entity_id}): {why}")
                continue
            license_reason = license_reason or why
            if status == "review":
                # a claim written by the remitter: a person checks it against the licence's terms
                if h.outcome in ("block", "reject"):
                    h.outcome = "hold"
                reasons.append(
                    f"licence {message.license_claim} claimed for {h.caption} ({h.entity_id}): {why}"
                )
                held_why.append(
                    f"licence {message.license_claim} claimed: a claim, checked by a person against its "
                    "terms before anything moves"
                )
            else:
                reasons.append(f"licence {message.license_claim} claimed but {why}")
        open_hits.append(h)

    for h in open_hits:
        where = f"{h.role.replace('_', ' ')} ({h.field})" if h.role else f"free text ({h.field})"
        what = "strong" if h.strength == "strong" else "possible"
        line = f"{where}: {what} match with {h.caption} ({h.entity_id}, {h.dataset}"
        line += f", {', '.join(h.programs)})" if h.programs else ")"
        line += f", score {h.score}: {h.explanation}; policy: {h.action} ({h.policy_reason})"
        if h.altered:
            line += "; the name was disguised"
        if h.benefit:
            line += f'; named as the one the payment is for ("{h.benefit}")'
        reasons.append(line)
    for c in conflicts:
        reasons.append(f"conflict: {c}")
    for f in flags:
        reasons.append(f"stripping ({f.kind}): {f.detail}")
    embargo: list[str] = []
    if policy.us_person:
        for p in message.parties:
            if p.country and p.country in EMBARGOED:
                embargo.append(f"{p.role.replace('_', ' ')} ({p.field}) in {EMBARGOED[p.country]}")
    embargo = list(dict.fromkeys(embargo))
    reasons.extend(f"embargoed jurisdiction: {e}" for e in embargo)

    decision = "pass"
    for h in open_hits:
        if SEVERITY[h.outcome] > SEVERITY[decision]:
            decision = h.outcome
    if decision == "pass" and (flags or embargo):
        decision = "hold"
    if decision == "reject" and any(h.has_interest and h.outcome == "hold" for h in open_hits):
        # a possible match on a party with an interest: rejecting would return funds that may have to
        # be blocked (31 CFR 501.603; OFAC FAQ 36), so a person reviews it first
        decision = "hold"
        reasons.append("held rather than rejected: a party with an interest may be a listed person")
    deciding = [h for h in open_hits if h.outcome == decision]
    if decision == "pass":
        if license_used and any(h.license for h in hits):
            rule = f"licence {license_used}"
        elif any(h.outcome == "pass" for h in hits):
            rule = "noted only: " + "; ".join(sorted({h.policy_reason or "" for h in hits}))
        else:
            rule = ""
            if not hits:
                reasons.append("no party, bank or free text matched a listed or blocked party")
    else:
        if decision == "hold":
            held_why.extend(
                dict.fromkeys(
                    BENEFIT_HELD if h.benefit else MENTION_HELD
                    for h in deciding
                    if h.source == "free_text" and h.strength == "strong"
                )
            )
        rule = _rule_for(decision, deciding, flags, embargo, held_why, at.date())
    if decision == "block" and funds.source_blocked:
        reasons.append(
            f"the debtor's account {funds.from_account} holds blocked property: the payment moves nothing, "
            f"its funds stay blocked in {funds.source_blocked_account or 'its blocked account'}"
        )
    return PaymentDecision(
        message=message,
        decision=decision,
        rule=rule,
        reasons=reasons,
        hits=hits,
        stripping=flags,
        license=license_used if decision == "pass" else None,
        license_reason=license_reason,
        conflicts=conflicts,
    )


# --- storing ------------------------------------------------------------------------------------------


def _owner(session: Session, d: PaymentDecision, payment: Payment, at: datetime) -> str:
    """The party in whose name the blocked funds are held: ours if we know it, else a new non-customer."""
    blocking = [h for h in d.hits if h.outcome == "block" and not h.license]
    blocking.sort(
        key=lambda h: OWNER_PRIORITY.index(h.role) if h.role in OWNER_PRIORITY else len(OWNER_PRIORITY)
    )
    h = blocking[0]
    if h.party_id and session.get(BookParty, h.party_id) is not None:
        return h.party_id
    mp = d.message.party(h.role) if h.role else None
    if mp is not None and mp.account:
        acct = session.get(Account, mp.account)
        if acct is not None and acct.owner_id:
            return acct.owner_id
    party_id = f"PAY-{payment.id}-{h.role or 'party'}"
    if session.get(BookParty, party_id) is None:
        fields: dict[str, Any] = {
            "kind": "person" if h.kind == "person" else "organization",
            "name": (mp.name if mp is not None and mp.name else h.caption),
            "aliases": [],
            "birth_date": mp.birth_date if mp is not None else None,
            "nationality": None,
            "country": mp.country if mp is not None else None,
            "gender": None,
            "id_number": (mp.bic or (mp.identifiers[0] if mp.identifiers else None))
            if mp is not None
            else None,
            "id_country": None,
        }
        session.add(
            BookParty(
                id=party_id,
                checksum=party_checksum(fields),
                address="; ".join(mp.address) if mp is not None and mp.address else None,
                is_customer=False,
                source=f"payment {payment.id} ({d.message.message_type} {d.message.reference}), {h.role}",
                created_at=at,
                updated_at=at,
                **fields,
            )
        )
        session.flush()
    return party_id


def _record_block(
    session: Session, d: PaymentDecision, owner: str, payment: Payment, actor: str, at: datetime
) -> None:
    """A blocked person known only from a payment gets a Block of its own.

    Its funds are then released like any other's (a delisted alert when the listing ends, four
    eyes), later payments to it are recognised, and the 50 percent rule counts it. A customer is not
    blocked from here: its block comes from the decided alert on it.
    """
    party = session.get(BookParty, owner)
    if party is None or party.is_customer or active_blocks(session, owner):
        return
    hit = next((h for h in d.hits if h.outcome == "block" and h.source != "institution"), None)
    if hit is None:
        return
    block_party(
        session,
        party_id=owner,
        basis="listing",
        explanation=f"{hit.caption} ({hit.entity_id}), in payment {payment.reference}: {hit.explanation}",
        actor=actor,
        at=at,
        entity_id=hit.entity_id,
        dataset=hit.dataset,
        programs=list(hit.programs),
    )


def _party_text(p: MessageParty | None) -> str:
    if p is None:
        return ""
    bits = [p.name, *p.address, p.country or "", p.bic or "", p.account or ""]
    return ", ".join(b for b in bits if b)


def screen_payment(
    session: Session,
    screener: Screener,
    message: PaymentMessage,
    *,
    policy: Policy,
    actor: str,
    at: datetime,
    raw: str,
    blocked: list[BlockedParty] | None = None,
    inst: Screener | None = None,
    registered: list[LicenseRecord] | None = None,
    in_force: set[str] | None = None,
) -> PaymentDecision:
    """Decide about one message and record it, in the caller's transaction.

    Stores a ``Payment`` row; a blocked payment's funds go to a blocked account (out of the
    debtor's account here, or from clearing; into the blocked account of the account they were
    sent to) and a blocked-property report (31 CFR 501.603) falls due. A payment out of blocked
    property moves nothing (its funds are blocked, and reported, already). A payment under a
    registered specific licence is counted against it, and a debit of blocked funds it authorises is
    posted. A rejected payment owes a rejected-transaction report (31 CFR 501.604); a
    blocking-statute conflict owes the Commission a notice. All of it, and the audit record, is in
    the one transaction.
    """
    at = aware(at)
    if blocked is None:
        blocked = blocked_parties(session, at)
        inst = institution_screener(blocked)
    if registered is None:
        registered = specific_licenses.records(session)
    funds = locate(session, message)
    d = decide(
        message,
        screener,
        policy=policy,
        at=at,
        blocked=blocked,
        inst=inst,
        funds=funds,
        registered=registered,
        in_force=in_force,
    )
    licensed = next((h.license for h in d.hits if h.license and h.license.get("record")), None)
    debit_from = (
        blocked_account_id(funds.from_account) if funds.source_blocked and funds.from_account else None
    )
    if d.decision == "block" and funds.short:
        d.decision = "hold"
        d.rule = "the debtor's account here holds less than the payment: nothing was moved; a person decides"
        d.reasons.append(f"{funds.from_account} holds less than {message.amount} {message.currency}")
    if d.decision == "pass" and licensed and debit_from:
        held = session.get(Account, debit_from)
        if held is None or held.balance < message.amount:
            d.decision, d.license = "hold", None
            d.rule = f"{debit_from} holds less than the licensed payment: nothing was moved; a person decides"
            d.reasons.append(d.rule)
    payment = Payment(
        message_type=message.message_type,
        reference=message.reference[:200],
        received_at=at,
        value_date=message.value_date,
        amount=message.amount,
        currency=message.currency,
        debtor=_party_text(message.party("debtor")),
        creditor=_party_text(message.party("creditor")),
        decision=d.decision,
        status=d.status,
        rule=d.rule,
        reasons=d.reasons,
        hits=[h.to_dict() for h in d.hits],
        license=d.license,
        stripping=[f.to_dict() for f in d.stripping],
        raw=raw,
        actor=actor,
    )
    session.add(payment)
    session.flush()
    d.payment_id = payment.id
    day = reporting_date(at)  # OFAC counts business days from the date in Washington
    reason = f"payment {payment.id} ({message.message_type} {message.reference}) blocked: {d.rule}"
    if d.decision == "block" and funds.source_blocked:
        # the funds are blocked, and were reported, already: nothing moves, no money is created
        source = session.get(Account, funds.from_account) if funds.from_account else None
        d.blocked_owner = source.owner_id if source is not None else None
        d.blocked_account = block_payment_funds(
            session,
            funds=funds,
            owner=d.blocked_owner or "",
            amount=message.amount,
            currency=message.currency,
            actor=actor,
            reason=reason,
            at=at,
            payment_id=payment.id,
            reference=message.reference,
        )
    elif d.decision == "block":
        owner = _owner(session, d, payment, at)
        d.blocked_owner = owner
        d.blocked_account = block_payment_funds(
            session,
            funds=funds,
            owner=owner,
            amount=message.amount,
            currency=message.currency,
            actor=actor,
            reason=reason,
            at=at,
            payment_id=payment.id,
            reference=message.reference,
        )
        _record_block(session, d, owner, payment, actor, at)
        rep = reports.record_due(
            session,
            kind="blocked_property",
            subject_type="payment",
            subject_id=str(payment.id),
            trigger=day,
            actor=actor,
            at=at,
        )
        d.reports.append(rep.id)
    elif d.decision == "pass" and licensed:
        number = str(licensed["license"])
        creditor = message.party("creditor")
        if debit_from:
            # the specific licence authorises paying the named payee out of the blocked account
            withdraw(
                session,
                account_id=debit_from,
                amount=message.amount,
                actor=actor,
                reason=f"payment {payment.id} ({message.reference}) under specific licence {number}",
                at=at,
                authority=number,
                payment_id=payment.id,
                payee=creditor.name if creditor else None,
                payee_account=creditor.account if creditor else None,
            )
            d.blocked_account = debit_from
        else:
            specific_licenses.consume(
                session,
                number,
                message.amount,
                actor=actor,
                at=at,
                what="payment",
                ref=f"payment {payment.id}",
            )
    elif d.decision == "reject":
        rep = reports.record_due(
            session,
            kind="rejected_transaction",
            subject_type="payment",
            subject_id=str(payment.id),
            trigger=day,
            actor=actor,
            at=at,
        )
        d.reports.append(rep.id)
    if d.conflicts:
        rep = reports.record_due(
            session,
            kind="blocking_statute_notice",
            subject_type="payment",
            subject_id=str(payment.id),
            trigger=day,
            actor=actor,
            at=at,
            data={"conflicts": d.conflicts},
        )
        d.reports.append(rep.id)
    audit.append(
        session,
        actor=actor,
        action=f"payment.{d.decision}",
        subject=f"payment:{payment.id}",
        data={
            "message_type": message.message_type,
            "reference": message.reference,
            "amount": message.amount,
            "currency": message.currency,
            "decision": d.decision,
            "rule": d.rule,
            "reasons": d.reasons,
            "hits": [
                {"entity_id": h.entity_id, "field": h.field, "score": h.score, "outcome": h.outcome}
                for h in d.hits
            ],
            "license": d.license,
            "stripping": [f.kind for f in d.stripping],
            "blocked_account": d.blocked_account,
            "reports": d.reports,
        },
        at=at,
    )
    return d


def screen_payments(
    store: Store,
    path: Path,
    *,
    actor: str,
    at: datetime | None = None,
    screener: Screener | None = None,
    policy: Policy | None = None,
    on_message: Callable[[PaymentDecision], None] | None = None,
) -> list[PaymentDecision]:
    """Read the whole file, then screen and store every transaction in one transaction.

    A malformed message anywhere in the file raises ``InputError`` before anything is stored; a
    failure while storing rolls every row of the file back.
    """
    at = aware(at)
    messages = read_messages(path)
    if screener is None:
        screener = Screener.from_store(store, as_of=at.date())
    out: list[PaymentDecision] = []
    in_force = {e.entity_id for e in screener.index.entities}
    with Session(store.engine) as session, session.begin():
        pol = policy or load_policy(session)
        blocked = blocked_parties(session, at)
        inst = institution_screener(blocked)
        registered = specific_licenses.records(session)
        for message in messages:
            d = screen_payment(
                session,
                screener,
                message,
                policy=pol,
                actor=actor,
                at=at,
                raw=message.raw,
                blocked=blocked,
                inst=inst,
                registered=registered,
                in_force=in_force,
            )
            if d.decision == "pass" and d.license:
                registered = specific_licenses.records(session)  # its amount left changed
            out.append(d)
            if on_message is not None:
                on_message(d)
    return out
