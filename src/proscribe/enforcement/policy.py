"""Jurisdiction policy: which lists bind the institution, and what a hit on each makes it do.

An institution states where it operates and what it is. EU and UN lists are law for an EU bank;
the US lists bind US persons, which under EO 14203 §8(c) includes the foreign subsidiaries of US
firms. For each list the policy gives the legal basis (``binding`` or ``risk_based``) and the action
a confirmed hit takes:

- ``block``: freeze the property (a blocked person has an interest);
- ``reject``: refuse the transaction and return it, without freezing;
- ``escalate``: hold for a compliance officer;
- ``note``: informational only; no action.

The EU Blocking Statute (Council Regulation (EC) No 2271/96) forbids EU operators to comply with the
foreign laws listed in its Annex (Art. 5) and obliges them to inform the Commission within 30 days
(Art. 2). A US program in ``blocking_statute`` therefore turns a hit into a *conflict* for an EU
operator: it is not complied with (``note``) or, for an EU operator that is also a US person,
escalated, because its duties then conflict directly. ``BLOCKING_STATUTE_ANNEX`` names the law
of each program the Annex lists (as amended by Delegated Regulation (EU) 2018/1100).

Presets live in ``enforcement/policies/*.yaml``; the policy in force is stored in the settings
table (``policy``), so the CLI and the service read the same one. A change is proposed by one
person (``propose_policy``) and takes effect only when a second person approves it
(``decisions.approve``), both recorded in the audit trail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from proscribe.enforcement import audit
from proscribe.enforcement.citations import program_citations
from proscribe.enforcement.clock import aware
from proscribe.enforcement.errors import InputError
from proscribe.enforcement.proposals import propose
from proscribe.store.audit import Setting
from proscribe.store.casework import Decision

__all__ = [
    "ACTIONS",
    "BLOCKING_STATUTE_ANNEX",
    "PRESETS",
    "US_DATASETS",
    "AnnexEntry",
    "Institution",
    "ListRule",
    "Policy",
    "PolicyAction",
    "ServiceCharge",
    "load_policy",
    "preset",
    "propose_policy",
    "put_in_force",
    "read_policy",
]

ACTIONS = ("block", "reject", "escalate", "note")
BASES = ("binding", "risk_based")
#: lists that carry US programs (a blocking-statute conflict can only arise from these)
US_DATASETS = frozenset({"us_ofac_sdn", "proscribe_icc"})
PRESETS = ("us-bank", "eu-bank", "eu-subsidiary-of-us-bank")
DEFAULT_PRESET = "us-bank"
#: the settings row holding the policy in force
POLICY_SETTING = "policy"


@dataclass(frozen=True)
class Institution:
    """Who holds the property and files the reports."""

    name: str
    address: str = ""
    country: str = ""
    contact: str = ""
    identifier: str = ""


@dataclass(frozen=True)
class ListRule:
    """How one list binds the institution."""

    basis: str  # binding | risk_based
    action: str  # block | reject | escalate | note
    authority: str = ""


@dataclass(frozen=True)
class PolicyAction:
    """What a hit on a list makes the institution do, and why."""

    action: str
    reason: str
    binding: bool
    #: set when the hit is under a US program in the EU Blocking Statute's Annex (for an EU operator)
    conflict: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: how often a normal service charge may be taken from one account
CHARGE_PERIODS = ("month", "year")


@dataclass(frozen=True)
class AnnexEntry:
    """A US program (an OFAC tag) and the law of it the EU Blocking Statute's Annex lists."""

    program: str
    law: str
    #: the amending act that put it in the Annex, and from when it applies
    since: date
    added_by: str
    #: set when the program rests only in part on a law the Annex lists
    uncertain: str = ""


#: The Annex to Council Regulation (EC) No 2271/96 as amended, in particular by Commission Delegated
#: Regulation (EU) 2018/1100 (applicable from 7 August 2018): the US measures on Cuba (the Cuban
#: Democracy Act 1992, the LIBERTAD Act 1996 and the Cuban Assets Control Regulations) and on Iran (the
#: Iran Sanctions Act 1996, the NDAA for FY2012, the Iran Threat Reduction and Syria Human Rights Act
#: 2012, the Iran Freedom and Counter-Proliferation Act 2012 and the Iranian Transactions and Sanctions
#: Regulations). Keyed by the OFAC program tags that carry them. The consolidated Annex was not read
#: here; verify it on EUR-Lex (docs/enforcement.md, what is uncertain).
BLOCKING_STATUTE_ANNEX: dict[str, AnnexEntry] = {
    e.program: e
    for e in (
        AnnexEntry(
            "CUBA",
            "Cuban Assets Control Regulations, 31 CFR part 515 (and the Cuban Democracy Act 1992, the "
            "Cuban Liberty and Democratic Solidarity (LIBERTAD) Act 1996)",
            date(1996, 11, 29),
            "Council Regulation (EC) No 2271/96",
        ),
        AnnexEntry(
            "IRAN",
            "Iranian Transactions and Sanctions Regulations, 31 CFR part 560",
            date(2018, 8, 7),
            "Commission Delegated Regulation (EU) 2018/1100",
        ),
        AnnexEntry(
            "ISA", "Iran Sanctions Act of 1996", date(2018, 8, 7), "Delegated Regulation (EU) 2018/1100"
        ),
        AnnexEntry(
            "IFCA",
            "Iran Freedom and Counter-Proliferation Act of 2012",
            date(2018, 8, 7),
            "Delegated Regulation (EU) 2018/1100",
        ),
        AnnexEntry(
            "IRAN-TRA",
            "Iran Threat Reduction and Syria Human Rights Act of 2012",
            date(2018, 8, 7),
            "Delegated Regulation (EU) 2018/1100",
        ),
        AnnexEntry(
            "IFSR",
            "Iranian Financial Sanctions Regulations, 31 CFR part 561, which carry out section 1245 of the "
            "NDAA for FY2012 and the Iran Threat Reduction Act, both in the Annex",
            date(2018, 8, 7),
            "Delegated Regulation (EU) 2018/1100",
            uncertain="part 561 itself is not named in the Annex; the Acts it carries out are",
        ),
        AnnexEntry(
            "IRAN-EO13846",
            "EO 13846 (2018), which re-imposed sanctions under the Iran Sanctions Act, the NDAA for FY2012, "
            "the Iran Threat Reduction Act and the Iran Freedom and Counter-Proliferation Act",
            date(2018, 8, 7),
            "Delegated Regulation (EU) 2018/1100",
            uncertain="EO 13846 itself is not named in the Annex; the Acts it carries out are",
        ),
    )
}


@dataclass(frozen=True)
class ServiceCharge:
    """A normal service charge the institution takes, and may take from blocked accounts too.

    Normal service charges owed by a blocked account's owner may be debited from it (the standard
    OFAC authorisation, e.g. 31 CFR 562.505; ``ledger.charge`` cites each program's own). Only the
    schedule's items, at its amounts, at most once per period: anything else is not "normal".
    """

    code: str
    description: str
    #: the charge in each currency it is taken in
    amounts: dict[str, Decimal]
    per: str = "month"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "amounts": {k: str(v) for k, v in sorted(self.amounts.items())},
            "per": self.per,
        }


@dataclass(frozen=True)
class Policy:
    institution: Institution
    jurisdictions: tuple[str, ...]
    us_person: bool
    eu_operator: bool
    lists: dict[str, ListRule]
    #: US programs placed in the Annex to Reg. (EC) 2271/96
    blocking_statute: tuple[str, ...] = ()
    #: the annual rate blocked accounts earn (a commercially reasonable rate, 31 CFR 528.203-style rules)
    interest_rate: Decimal = Decimal("0.0400")
    #: screening score from which a party's possible match opens an alert
    alert_threshold: float = 0.3
    #: years audit records are kept (31 CFR 501.601: 10 years since 21 March 2025)
    retention_years: int = 10
    #: the normal service charges (a schedule with amounts); none, none may be debited
    service_charges: tuple[ServiceCharge, ...] = ()
    name: str = field(default="custom")

    def service_charge(self, code: str) -> ServiceCharge | None:
        return next((c for c in self.service_charges if c.code == code), None)

    def action_for(
        self, dataset: str, programs: list[str] | tuple[str, ...] = (), *, on: date | None = None
    ) -> PolicyAction:
        """The action a confirmed hit on a listing of ``dataset`` under ``programs`` takes.

        The reason cites the law of each program the listing is under, as it stood ``on`` the day
        of the hit (``citations``: EO 13928 and 31 CFR part 520 for a 2020 listing, EO 14203 and
        31 CFR part 528 for a 2025 one); the list's ``authority`` only for programs the registry
        does not know.
        """
        rule = self.lists.get(dataset)
        if rule is None:
            return PolicyAction("escalate", f"{dataset} is not named in the policy: review", binding=False)
        on = on or aware(None).date()
        basis = rule.basis.replace("_", "-")
        authority = rule.authority
        cites = program_citations(tuple(programs), on)
        if cites and dataset in US_DATASETS:
            authority = "; ".join(str(c) for c in cites)
            if rule.basis != "binding":
                authority += f"; {rule.authority}" if rule.authority else ""
        reason = f"{dataset}: {basis} ({authority})" if authority else f"{dataset}: {basis}"
        listed = [
            p
            for p in sorted(set(programs).intersection(self.blocking_statute))
            if p not in BLOCKING_STATUTE_ANNEX or BLOCKING_STATUTE_ANNEX[p].since <= on
        ]
        conflicting = [p for p in listed if not _annex_uncertain(p)]
        possible = [p for p in listed if _annex_uncertain(p)]
        if self.eu_operator and dataset in US_DATASETS and conflicting:
            conflict = (
                f"{_annex_words(conflicting)} in the Annex to the EU Blocking Statute (Council Regulation "
                "(EC) No 2271/96 as amended): an EU operator must not comply (Art. 5) and must inform the "
                "Commission within 30 days (Art. 2)"
            )
            if self.us_person:
                # EO 14203 §8(c) makes this operator a US person too: the two laws conflict head-on
                why = f"{reason}; conflicting duties"
                return PolicyAction("escalate", why, binding=True, conflict=conflict)
            return PolicyAction("note", f"{reason}; not complied with", binding=False, conflict=conflict)
        if self.eu_operator and dataset in US_DATASETS and possible:
            conflict = (
                f"{_annex_words(possible)} possibly within the Annex to the EU Blocking Statute (Council "
                "Regulation (EC) No 2271/96 as amended) ("
                + "; ".join(BLOCKING_STATUTE_ANNEX[p].uncertain for p in possible)
                + "): a person decides whether to comply; if it is covered, an EU operator must not comply "
                "(Art. 5) and must inform the Commission within 30 days (Art. 2)"
            )
            why = f"{reason}; a possible Blocking Statute conflict"
            return PolicyAction("escalate", why, binding=rule.basis == "binding", conflict=conflict)
        return PolicyAction(rule.action, reason, binding=rule.basis == "binding")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "institution": asdict(self.institution),
            "jurisdictions": list(self.jurisdictions),
            "us_person": self.us_person,
            "eu_operator": self.eu_operator,
            "lists": {k: asdict(v) for k, v in self.lists.items()},
            "blocking_statute": list(self.blocking_statute),
            "interest_rate": str(self.interest_rate),
            "alert_threshold": self.alert_threshold,
            "retention_years": self.retention_years,
            "service_charges": [c.to_dict() for c in self.service_charges],
        }


def _annex_uncertain(program: str) -> bool:
    entry = BLOCKING_STATUTE_ANNEX.get(program)
    return entry is not None and bool(entry.uncertain)


def _annex_words(programs: list[str]) -> str:
    """ "CUBA (Cuban Assets Control Regulations...; Reg. (EC) No 2271/96) is" for the conflict's text."""
    parts = []
    for p in programs:
        entry = BLOCKING_STATUTE_ANNEX.get(p)
        parts.append(f"{p} ({entry.law}; listed by {entry.added_by})" if entry else p)
    return ", ".join(parts) + (" is" if len(parts) == 1 else " are")


def _err(where: str, reason: str) -> InputError:
    return InputError(f"{where}: {reason}")


def parse_policy(data: Any, where: str, name: str = "custom") -> Policy:
    """A policy from its mapping form (YAML or the stored setting); errors name the field."""
    if not isinstance(data, dict):
        raise _err(where, "a policy is a mapping with institution, jurisdictions, lists...")
    known = {
        "name",
        "institution",
        "jurisdictions",
        "us_person",
        "eu_operator",
        "lists",
        "blocking_statute",
        "interest_rate",
        "alert_threshold",
        "retention_years",
        "service_charges",
    }
    extra = set(data) - known
    if extra:
        raise _err(where, f"unknown field(s) {', '.join(sorted(extra))}")
    inst = data.get("institution")
    if not isinstance(inst, dict) or not inst.get("name"):
        raise _err(where, "institution.name is required")
    try:
        institution = Institution(**{k: str(v) for k, v in inst.items()})
    except TypeError as exc:
        raise _err(where, f"institution: {exc}") from None
    lists: dict[str, ListRule] = {}
    raw_lists = data.get("lists")
    if not isinstance(raw_lists, dict) or not raw_lists:
        raise _err(where, "lists: name at least one list and its action")
    for ds, rule in raw_lists.items():
        if not isinstance(rule, dict):
            raise _err(where, f"lists.{ds}: expected basis and action")
        basis, action = rule.get("basis"), rule.get("action")
        if basis not in BASES:
            raise _err(where, f"lists.{ds}.basis: {basis!r} is not one of {', '.join(BASES)}")
        if action not in ACTIONS:
            raise _err(where, f"lists.{ds}.action: {action!r} is not one of {', '.join(ACTIONS)}")
        lists[str(ds)] = ListRule(str(basis), str(action), str(rule.get("authority", "")))
    try:
        rate = Decimal(str(data.get("interest_rate", "0.04")))
    except InvalidOperation:
        raise _err(where, f"interest_rate: {data.get('interest_rate')!r} is not a number") from None
    if not Decimal(0) <= rate < Decimal(1):
        raise _err(where, f"interest_rate: {rate} is not an annual rate between 0 and 1")
    threshold = data.get("alert_threshold", 0.3)
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise _err(where, f"alert_threshold: {threshold!r} is not a score between 0 and 1")
    retention = data.get("retention_years", 10)
    if not isinstance(retention, int) or retention < 10:
        raise _err(where, f"retention_years: {retention!r}; records must be kept 10 years (31 CFR 501.601)")
    for key in ("us_person", "eu_operator"):
        if not isinstance(data.get(key, False), bool):
            raise _err(where, f"{key}: true or false")
    charges = _service_charges(data.get("service_charges"), where)
    return Policy(
        institution=institution,
        jurisdictions=tuple(str(j) for j in data.get("jurisdictions") or ()),
        us_person=bool(data.get("us_person", False)),
        eu_operator=bool(data.get("eu_operator", False)),
        lists=lists,
        blocking_statute=tuple(str(p) for p in data.get("blocking_statute") or ()),
        interest_rate=rate,
        alert_threshold=float(threshold),
        retention_years=retention,
        service_charges=charges,
        name=str(data.get("name", name)),
    )


def _service_charges(raw: Any, where: str) -> tuple[ServiceCharge, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _err(where, "service_charges: a list of {code, description, amounts, per}")
    out: list[ServiceCharge] = []
    for i, item in enumerate(raw):
        at = f"service_charges[{i}]"
        if not isinstance(item, dict) or not item.get("code") or not item.get("description"):
            raise _err(where, f"{at}: code and description are required")
        code = str(item["code"])
        if any(c.code == code for c in out):
            raise _err(where, f"{at}: code {code!r} is given twice")
        per = str(item.get("per", "month"))
        if per not in CHARGE_PERIODS:
            raise _err(where, f"{at}.per: {per!r} is not one of {', '.join(CHARGE_PERIODS)}")
        amounts = item.get("amounts")
        if not isinstance(amounts, dict) or not amounts:
            raise _err(where, f'{at}.amounts: the charge in each currency, e.g. {{USD: "15.00"}}')
        parsed: dict[str, Decimal] = {}
        for ccy, value in amounts.items():
            try:
                amount = Decimal(str(value))
            except InvalidOperation:
                raise _err(where, f"{at}.amounts.{ccy}: {value!r} is not a number") from None
            if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
                raise _err(where, f"{at}.amounts.{ccy}: {value!r} is not an amount such as 15.00")
            parsed[str(ccy)] = amount
        extra = set(item) - {"code", "description", "amounts", "per"}
        if extra:
            raise _err(where, f"{at}: unknown field(s) {', '.join(sorted(extra))}")
        out.append(ServiceCharge(code, str(item["description"]), parsed, per))
    return tuple(out)


def read_policy(path: Path) -> Policy:
    """A policy from a YAML file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read the policy: {exc}") from None
    return parse_policy(data, str(path), name=path.stem)


def preset(name: str) -> Policy:
    """One of the bundled policies (``us-bank``, ``eu-bank``, ``eu-subsidiary-of-us-bank``)."""
    if name not in PRESETS:
        raise InputError(f"no preset policy {name!r}; presets: {', '.join(PRESETS)}")
    text = resources.files("proscribe.enforcement").joinpath(f"policies/{name}.yaml").read_text("utf-8")
    return parse_policy(yaml.safe_load(text), f"preset {name}", name=name)


def load_policy(session: Session) -> Policy:
    """The policy in force: the stored one, else the US-bank preset."""
    row = session.get(Setting, POLICY_SETTING)
    if row is None:
        return preset(DEFAULT_PRESET)
    return parse_policy(row.value, "stored policy")


def propose_policy(
    session: Session, policy: Policy, *, actor: str, reason: str, at: datetime | None = None
) -> Decision:
    """Propose putting ``policy`` in force; nothing changes until a second person approves it.

    A policy decides what every hit does (block, reject, hold, the EU Blocking Statute conflict), so
    changing it is a decision under four eyes like any other: ``decisions.approve`` by someone other
    than ``actor`` puts it in force, and the audit trail records both (``decision.propose``, then
    ``policy.set`` naming who proposed and who approved).
    """
    at = aware(at)
    text = (reason or "").strip()
    if len(text) < 5:
        raise InputError("a policy change needs a reason (at least a few words) for the record")
    current = load_policy(session)
    value = policy.to_dict()
    return propose(
        session,
        action="set_policy",
        subject_type="policy",
        subject_id=policy.name[:100],
        reason=text,
        evidence={"from": current.name, "to": policy.name, "institution": policy.institution.name},
        params={"policy": value},
        actor=actor,
        at=at,
        audit_data={"outcome": "set_policy", "reason": text, "policy": value},
        audit_subject="policy",
    )


def put_in_force(session: Session, decision: Decision, *, actor: str, at: datetime) -> dict[str, Any]:
    """Carry out an approved ``set_policy`` decision (called by ``decisions.approve`` only)."""
    if decision.subject_type != "policy" or decision.decided_by == actor:
        raise InputError(f"decision {decision.id} is not a policy change approved by a second person")
    policy = parse_policy(decision.params.get("policy"), f"decision {decision.id}")
    row = session.get(Setting, POLICY_SETTING)
    value = policy.to_dict()
    if row is None:
        session.add(Setting(key=POLICY_SETTING, value=value, updated_at=at, updated_by=actor))
    else:
        row.value = value
        row.updated_at = at
        row.updated_by = actor
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="policy.set",
        subject="policy",
        data={**value, "decision": decision.id, "proposed_by": decision.decided_by, "approved_by": actor},
        at=at,
    )
    return {"policy": policy.name, "proposed_by": decision.decided_by, "approved_by": actor}
