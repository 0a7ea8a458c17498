"""Entry screening: is this traveller someone whose entry is suspended, or their close family?

A carrier's advance passenger data (APIS: name, birth date, nationality, gender, document
number, issuing country, expiry) is screened against the lists as they stand on the day of
travel, and the answer is **admit**, **refer** (secondary inspection: a possible match, or a
reason to look) or **deny**, with the reasons.

Entry is suspended by INA 212(f) proclamations: Proclamation 8693 covers aliens under a UN
Security Council travel ban and persons designated under IEEPA sanctions orders; the ICC orders
suspend the entry of designees *and their immediate family members* (EO 13928 §4, EO 14203 §4),
and EO 14022 ended the EO 13928 suspensions on 1 April 2021. Which program suspends entry, and
whether it reaches family members, is a table (``DEFAULT_PROGRAM_RULES``, ``DEFAULT_DATASET_RULES``,
the ICC registry's own flags) that an institution may override in the settings table
(``set_entry_rule``).

Lists carry no family members; an agency's records of them are imported into ``FamilyMember``
(``import_family``) and a traveller is compared with those whose listed relative is designated on
the day of travel under a program that suspends family entry.

Deciding:

* **deny** needs a *strong* match: a calibrated score of at least ``DENY_SCORE`` (0.9; on the
  evaluation test split 96% of candidates scoring 0.9 or more are the listed person) **and**
  identity evidence beyond the name: the same full birth date, or the same document number.
  A name alone, however close, is referred, not denied: one in twenty-five such matches is
  someone else, and secondary inspection is where identity is settled.
* **refer** a score of at least ``REFER_SCORE`` (0.3, the screener's threshold, which keeps 97%
  of real name variants), a strong match under a program that does not suspend entry, or an
  expired document.
* **admit** otherwise; the closest candidates set aside are still named in the reasons.

Who can be refused at all: INA 212(f) (8 U.S.C. 1182(f)) lets the President suspend "the entry of
any aliens or of any class of aliens", and the ICC orders suspend the entry of *aliens* who meet
their criteria and of *aliens* who are their immediate family members (EO 13928 §4, EO 14203 §4).
An alien is "any person not a citizen or national of the United States" (INA 101(a)(3), 8 U.S.C.
1101(a)(3)). So a US citizen or national (``us_status``, or a traveller whose nationality is the
United States) is never denied under these rules (``US_CITIZENS_RULE``): a designee's US-citizen
child is admitted, the decision saying why; a strong match on a listing is referred, for an officer
to confirm citizenship and identity. A lawful permanent resident *is* an alien (INA 101(a)(20)); the
orders' text retrieved says nothing about them (they exempt no one by that status), and whether a
returning resident is "seeking admission" (INA 101(a)(13)(C)) is an officer's question: an LPR who
would otherwise be denied is referred, never denied nor admitted by the screen (``LPR_RULE``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from followthemoney import model
from sqlalchemy import select
from sqlalchemy.orm import Session

from proscribe.enforcement import audit
from proscribe.enforcement.book import (
    MAX_PROBLEMS,
    BookInputError,
    CsvRow,
    Problems,
    TooManyProblems,
    clean_country,
    clean_partial_date,
    read_csv,
)
from proscribe.enforcement.clock import aware
from proscribe.enforcement.errors import EnforcementError, InputError
from proscribe.matching.index import Index
from proscribe.matching.score import Query
from proscribe.registry import load_registry
from proscribe.screening.screener import DEFAULT_THRESHOLD, Hit, Screener
from proscribe.sources.base import Record
from proscribe.store.audit import Setting
from proscribe.store.book import FamilyMember
from proscribe.store.casework import TravelCheck
from proscribe.store.schema import RecordRow

__all__ = [
    "DEFAULT_DATASET_RULES",
    "DEFAULT_PROGRAM_RULES",
    "DENY_SCORE",
    "FAMILY_COLUMNS",
    "LPR_RULE",
    "NOTE_SCORE",
    "REFER_SCORE",
    "RELATIONSHIPS",
    "US_CITIZENS_RULE",
    "US_STATUSES",
    "EntryRule",
    "EntryRules",
    "FamilyImport",
    "TravelDecision",
    "Traveller",
    "check_traveller",
    "clean_traveller",
    "entry_rules",
    "import_family",
    "set_entry_rule",
]

#: a match this strong, with birth date or document evidence, denies entry (see the module docstring)
DENY_SCORE = 0.9
#: a possible match: secondary inspection
REFER_SCORE = DEFAULT_THRESHOLD
#: candidates below REFER_SCORE but above this are named in the reasons as considered and set aside
#: (tiny on purpose: a look-alike with another birth date scores far below 0.001, and a reviewer
#: reading an "admit" should still see who it was compared with)
NOTE_SCORE = 1e-6
RELATIONSHIPS = ("spouse", "child", "parent", "sibling")
FAMILY_DATASET = "family_members"
_SETTING = "travel_entry_rules"

#: what the traveller is to the United States, when known: a citizen or (non-citizen) national is not
#: an alien; a lawful permanent resident is
US_STATUSES = {
    "citizen": "citizen",
    "us-citizen": "citizen",
    "national": "national",
    "us-national": "national",
    "lpr": "lpr",
    "permanent-resident": "lpr",
    "lawful-permanent-resident": "lpr",
}
#: why a US citizen or national is never denied entry under a 212(f) suspension
US_CITIZENS_RULE = (
    "INA 212(f) (8 U.S.C. 1182(f)) suspends the entry of aliens only, and EO 13928 §4 and EO 14203 §4 "
    "suspend the entry of aliens and of aliens who are immediate family members; a US citizen or "
    "national is not an alien (INA 101(a)(3), 8 U.S.C. 1101(a)(3)), so their entry is not suspended"
)
#: why a lawful permanent resident is referred rather than denied or admitted
LPR_RULE = (
    "a lawful permanent resident is an alien (INA 101(a)(20)) and the orders exempt no one for that "
    "status in the text retrieved, but whether a returning resident is seeking admission "
    "(INA 101(a)(13)(C)) and may be refused under INA 212(f) is for an officer: referred, not denied"
)

GENDERS = {"m": "male", "male": "male", "f": "female", "female": "female", "x": "other", "other": "other"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- the table of programs that suspend entry -----------------------------------------------------


@dataclass(frozen=True)
class EntryRule:
    """What a listing under one program (or on one list) means at the border."""

    #: entry of the listed person is suspended: a strong match is denied
    suspends_entry: bool
    #: entry of their immediate family members is suspended too
    family: bool
    #: the legal basis, quoted in every reason that rests on this rule
    basis: str
    #: the rule applies from / until (exclusive) these dates, when the program started or ended
    starts: date | None = None
    ends: date | None = None

    def in_force(self, on: date) -> bool:
        return (self.starts is None or self.starts <= on) and (self.ends is None or on < self.ends)


#: programs whose rule differs from their list's default (``DEFAULT_DATASET_RULES``); review against
#: each program's order before relying on it
DEFAULT_PROGRAM_RULES: dict[str, EntryRule] = {
    # OFAC programs not made under an IEEPA order: no Proclamation 8693 suspension; look, then decide
    "CUBA": EntryRule(False, False, "Cuban Assets Control Regulations (TWEA), not an IEEPA order"),
    "SDNTK": EntryRule(
        False, False, "Foreign Narcotics Kingpin Designation Act, not an IEEPA order (see INA 212(a)(2)(C))"
    ),
    "FTO": EntryRule(False, False, "INA 219 designation (see INA 212(a)(3)(B)), not an IEEPA order"),
    # UN regimes without a travel ban, or where it depends on the listing
    "Iraq": EntryRule(False, False, "UNSCR 1518: asset freeze, no travel ban"),
    "Iran": EntryRule(
        False,
        False,
        "UNSCR 1737 asks only for vigilance on travel; later resolutions ban it for some listed "
        "persons: decide per listing",
    ),
}

#: the default for every program on a list that the program table does not name
DEFAULT_DATASET_RULES: dict[str, EntryRule] = {
    "un_sc_sanctions": EntryRule(
        True, False, "UN Security Council travel ban; Proclamation 8693 suspends entry (INA 212(f))"
    ),
    "us_ofac_sdn": EntryRule(
        True,
        False,
        "designation under an IEEPA sanctions order; Proclamation 8693 suspends entry (INA 212(f))",
    ),
}


@dataclass
class EntryRules:
    """The table in force: program rules first, then the list's default; unknown lists refer."""

    programs: dict[str, EntryRule] = field(default_factory=dict)
    datasets: dict[str, EntryRule] = field(default_factory=dict)

    def for_listing(self, dataset: str, programs: Iterable[str]) -> list[tuple[str, EntryRule]]:
        """(program, rule) for each of a listing's programs (the list's default when it names none)."""
        out = []
        for prog in programs or ("",):
            rule = self.programs.get(prog) or self.datasets.get(dataset)
            if rule is None:
                rule = EntryRule(False, False, f"no entry rule for {dataset} {prog or '(no program)'}")
            out.append((prog or dataset, rule))
        return out

    def to_dict(self) -> dict[str, Any]:
        def one(rule: EntryRule) -> dict[str, Any]:
            d = asdict(rule)
            d["starts"] = rule.starts.isoformat() if rule.starts else None
            d["ends"] = rule.ends.isoformat() if rule.ends else None
            return d

        return {
            "programs": {k: one(v) for k, v in sorted(self.programs.items())},
            "datasets": {k: one(v) for k, v in sorted(self.datasets.items())},
        }


@lru_cache(maxsize=1)
def _registry_rules() -> dict[str, EntryRule]:
    """The ICC programs, as the registry states them: entry suspended for persons, and for family."""
    rules = {}
    for prog in load_registry().programs.values():
        suspends = any("entry suspension" in p.lower() for p in prog.person_provisions)
        effect = next((e for e in prog.effects if "entry" in e.lower()), "")
        basis = f"{prog.instrument} {effect}".strip()
        if prog.revocation is not None:
            basis += f"; ended by {prog.revocation.instrument} ({prog.revocation.signed})"
        rule = EntryRule(suspends, prog.family_entry_suspension, basis, prog.start_date, prog.end_date)
        # OFAC's files may tag the program otherwise ("ICCP-EO13928"): the same rule
        for tag in prog.tags:
            rules[tag] = rule
    return rules


def entry_rules(session: Session) -> EntryRules:
    """The defaults, the registry's programs, and the institution's overrides (settings), in that order."""
    rules = EntryRules(
        programs={**DEFAULT_PROGRAM_RULES, **_registry_rules()}, datasets=dict(DEFAULT_DATASET_RULES)
    )
    setting = session.get(Setting, _SETTING)
    if setting is not None:
        for scope, target in (("programs", rules.programs), ("datasets", rules.datasets)):
            for key, raw in (setting.value.get(scope) or {}).items():
                target[key] = EntryRule(
                    bool(raw["suspends_entry"]),
                    bool(raw["family"]),
                    str(raw["basis"]),
                    date.fromisoformat(raw["starts"]) if raw.get("starts") else None,
                    date.fromisoformat(raw["ends"]) if raw.get("ends") else None,
                )
    return rules


def set_entry_rule(
    session: Session,
    *,
    program: str | None = None,
    dataset: str | None = None,
    suspends_entry: bool,
    family: bool,
    basis: str,
    actor: str,
    at: datetime | None = None,
) -> EntryRule:
    """Override the rule for one program (or one list's default), audited, in the caller's transaction."""
    at = aware(at)
    if (program is None) == (dataset is None):
        raise InputError("give a program or a dataset, not both")
    if not basis.strip():
        raise InputError("basis: say on what legal basis entry is (or is not) suspended")
    rule = EntryRule(suspends_entry, family, basis.strip())
    setting = session.get(Setting, _SETTING)
    value: dict[str, Any] = dict(setting.value) if setting is not None else {}
    scope = "programs" if program is not None else "datasets"
    key = program if program is not None else dataset
    assert key is not None
    entries = dict(value.get(scope) or {})
    entries[key] = {"suspends_entry": suspends_entry, "family": family, "basis": rule.basis}
    value[scope] = entries
    if setting is None:
        session.add(Setting(key=_SETTING, value=value, updated_at=at, updated_by=actor))
    else:
        setting.value = value
        setting.updated_at = at
        setting.updated_by = actor
    audit.append(
        session,
        actor=actor,
        action="travel.rule",
        subject=f"{scope[:-1]}:{key}",
        data=entries[key],
        at=at,
    )
    return rule


# --- the traveller ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Traveller:
    """What a carrier sends about a passenger (APIS), as given or as cleaned by ``clean_traveller``."""

    name: str
    birth_date: str | None = None
    nationality: str | None = None
    gender: str | None = None
    document_number: str | None = None
    document_country: str | None = None
    document_expiry: date | str | None = None
    #: the carrier's id for the passenger, carried into the result
    id: str | None = None
    #: "citizen", "national" or "lpr" (lawful permanent resident) of the United States, when known;
    #: a traveller whose nationality is the United States is a US national
    us_status: str | None = None

    @property
    def alien(self) -> bool:
        """Not a US citizen or national (INA 101(a)(3)); only an alien's entry can be suspended."""
        return self.us_status not in ("citizen", "national") and self.nationality != "us"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if isinstance(self.document_expiry, date):
            d["document_expiry"] = self.document_expiry.isoformat()
        return d


def _country(value: str | None, field_name: str, where: str) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    code = clean_country(text)
    if code is None:
        raise InputError(f"{where}{field_name}: {value!r} is not a recognised country")
    return code


def clean_traveller(traveller: Traveller, where: str = "") -> Traveller:
    """The traveller with every field checked and normalised; InputError naming the field otherwise."""
    name = " ".join((traveller.name or "").split())
    if not name:
        raise InputError(f"{where}name: empty")
    birth = (traveller.birth_date or "").strip() or None
    if birth is not None and clean_partial_date(birth) is None:
        raise InputError(f"{where}birth_date: {birth!r} is not a date (YYYY-MM-DD)")
    gender = None
    if traveller.gender and traveller.gender.strip():
        gender = GENDERS.get(traveller.gender.strip().lower())
        if gender is None:
            raise InputError(f"{where}gender: {traveller.gender!r} is not M, F or X")
    expiry: date | None = None
    raw_expiry = traveller.document_expiry
    if isinstance(raw_expiry, datetime):
        raise InputError(f"{where}document_expiry: a date, not a date and time")
    if isinstance(raw_expiry, date):
        expiry = raw_expiry
    elif raw_expiry is not None and raw_expiry.strip():
        text = raw_expiry.strip()
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError
            expiry = date.fromisoformat(text)
        except ValueError:
            raise InputError(f"{where}document_expiry: {raw_expiry!r} is not a date (YYYY-MM-DD)") from None
    document = " ".join((traveller.document_number or "").split()) or None
    us_status = None
    if traveller.us_status and traveller.us_status.strip():
        key = "-".join(traveller.us_status.strip().lower().replace("_", " ").split())
        us_status = US_STATUSES.get(key)
        if us_status is None:
            raise InputError(f"{where}us_status: {traveller.us_status!r} is not citizen, national or lpr")
    return Traveller(
        name=name,
        birth_date=birth,
        nationality=_country(traveller.nationality, "nationality", where),
        gender=gender,
        document_number=document,
        document_country=_country(traveller.document_country, "document_country", where),
        document_expiry=expiry,
        id=(traveller.id or "").strip() or None,
        us_status=us_status,
    )


# --- the decision ------------------------------------------------------------------------------------


@dataclass
class TravelDecision:
    """admit, refer or deny, the reasons in order of weight, and the evidence."""

    decision: str
    reasons: list[str]
    hits: list[dict[str, Any]]
    traveller: Traveller
    on: date
    check_id: int | None = None

    @property
    def exit_code(self) -> int:
        """The CLI's exit code: 0 admit, 3 refer, 4 deny."""
        return {"admit": 0, "refer": 3, "deny": 4}[self.decision]

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reasons": list(self.reasons),
            "hits": list(self.hits),
            "traveller": self.traveller.to_dict(),
            "on": self.on.isoformat(),
            "check_id": self.check_id,
        }


def _evidence(hit: Hit) -> list[str]:
    """The facts beyond the name that identify the traveller as the listed person."""
    found = []
    if hit.features.get("dob_match"):
        found.append("same birth date")
    if hit.features.get("id_match"):
        found.append("same document number")
    return found


def _describe(hit: Hit) -> str:
    return f"{hit.caption} ({hit.dataset} {hit.source_id}), score {hit.score:.2f}"


def _family_screener(members: list[FamilyMember]) -> Screener:
    """An index of family members whose tokens weigh what they weigh on the lists.

    Rarity comes from the matcher's fixed table (``matching.rarity``), so a handful of names
    weigh what they weigh on the lists and a common word alone does not look significant.
    """
    records = []
    for m in members:
        person = model.make_entity("Person")
        person.id = f"family-{m.id}"
        person.add("name", m.name)
        person.add("birthDate", m.birth_date)
        person.add("nationality", m.nationality)
        person.add("gender", m.gender)
        person.add("passportNumber", m.document_number)
        records.append(Record(dataset=FAMILY_DATASET, source_id=str(m.id), target=person))
    index = Index.build(records)
    return Screener(index)


def _hit_dict(hit: Hit, kind: str, effect: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "effect": effect,
        "entity_id": hit.entity_id,
        "dataset": hit.dataset,
        "source_id": hit.source_id,
        "caption": hit.caption,
        "score": hit.score,
        "programs": list(hit.programs),
        "matched_name": hit.matched_name,
        "evidence": _evidence(hit),
        "explanation": hit.explanation,
        **extra,
    }


def check_traveller(
    session: Session,
    screener: Screener,
    traveller: Traveller,
    *,
    on: date,
    actor: str,
    record: bool = True,
    at: datetime | None = None,
    rules: EntryRules | None = None,
) -> TravelDecision:
    """Admit, refer or deny ``traveller`` travelling on ``on``; stored and audited unless ``record`` is False.

    ``screener`` must hold the lists as of ``on`` (``Screener.from_store(store, as_of=on)``): who is
    designated, and who is delisted, depends on the day.
    """
    at = aware(at)
    built_on = str(screener.index.built_from.get("as_of", ""))
    if built_on != on.isoformat():
        raise EnforcementError(
            f"the screener holds the lists as of {built_on or 'an unknown date'}, not {on}"
        )
    t = clean_traveller(traveller)
    rules = rules or entry_rules(session)
    deny: list[str] = []
    refer: list[str] = []
    notes: list[str] = []
    hits: list[dict[str, Any]] = []

    if isinstance(t.document_expiry, date) and t.document_expiry < on:
        refer.append(f"the travel document expired on {t.document_expiry.isoformat()}")

    query = Query(
        name=t.name,
        kind="person",
        birth_date=t.birth_date,
        country=t.nationality,
        id_number=t.document_number,
        gender=t.gender,
        id=t.id,
    )
    for hit in screener.screen(query, threshold=NOTE_SCORE, limit=10):
        applying = [(p, r) for p, r in rules.for_listing(hit.dataset, hit.programs) if r.in_force(on)]
        suspending = [(p, r) for p, r in applying if r.suspends_entry]
        evidence = _evidence(hit)
        strong = hit.score >= DENY_SCORE and bool(evidence)
        if strong and suspending:
            prog, rule = suspending[0]
            what = f"{_describe(hit)}, {' and '.join(evidence)}: listed under {prog}; {rule.basis}"
            if not t.alien:
                refer.append(
                    f"{what}; not denied: the traveller is {_us_status(t)}: {US_CITIZENS_RULE}; an officer "
                    "confirms citizenship and identity"
                )
                effect = "refer"
            elif t.us_status == "lpr":
                refer.append(f"{what}; the traveller is a lawful permanent resident: {LPR_RULE}")
                effect = "refer"
            else:
                deny.append(what)
                effect = "deny"
        elif hit.score >= REFER_SCORE:
            if strong:
                progs = ", ".join(p for p, _ in applying) or "no program in force"
                refer.append(
                    f"{_describe(hit)}, {' and '.join(evidence)}: listed under {progs}, which does not "
                    "suspend entry; look at the listing"
                )
            elif suspending:
                why = " and ".join(evidence) if evidence else "no birth date or document to confirm it"
                refer.append(f"possible match {_describe(hit)} ({why}); entry suspended for this listing")
            else:
                refer.append(f"possible match {_describe(hit)}")
            effect = "refer"
        else:
            if len(notes) < 3:
                notes.append(f"set aside: {_describe(hit)}; {hit.explanation}")
            effect = "none"
        if effect != "none":
            hits.append(_hit_dict(hit, "listing", effect))

    exempt: list[str] = []
    _check_family(session, screener, query, t, rules, on, deny, refer, exempt, hits)

    if deny:
        decision, reasons = "deny", deny + refer + exempt
    elif refer:
        decision, reasons = "refer", refer + exempt
    elif exempt:
        decision, reasons = "admit", exempt
    else:
        decision = "admit"
        reasons = [f"no listed person or recorded family member scored {REFER_SCORE} or more on {on}"]
    reasons += notes
    result = TravelDecision(decision, reasons, hits, t, on)
    if record:
        row = TravelCheck(
            at=at,
            actor=actor,
            traveller={**t.to_dict(), "on": on.isoformat()},
            decision=decision,
            reasons=reasons,
            hits=hits,
        )
        session.add(row)
        session.flush()
        result.check_id = row.id
        audit.append(
            session,
            actor=actor,
            action="travel.check",
            subject=f"travel:{row.id}",
            data={
                "decision": decision,
                "on": on.isoformat(),
                "traveller": t.to_dict(),
                "reasons": reasons,
                "entities": [h["entity_id"] for h in hits],
                "lists": screener.index.built_from,
            },
            at=at,
        )
    return result


def _us_status(t: Traveller) -> str:
    if t.us_status in ("citizen", "national"):
        return f"a US {t.us_status}"
    return "a US national (nationality: United States)"


def _check_family(
    session: Session,
    screener: Screener,
    query: Query,
    traveller: Traveller,
    rules: EntryRules,
    on: date,
    deny: list[str],
    refer: list[str],
    exempt: list[str],
    hits: list[dict[str, Any]],
) -> None:
    """Deny (or refer) a traveller who is a recorded family member of someone whose family may not enter.

    Only an alien's entry is suspended: a US citizen or national who is a designee's relative is
    noted in ``exempt`` with the reason and not denied; a lawful permanent resident is referred.
    """
    # who is designated on the day, and under which program, is what the screener's index holds
    suspending: dict[str, tuple[str, str, EntryRule]] = {}
    relatives = set(session.execute(select(FamilyMember.relative_of).distinct()).scalars())
    if not relatives:
        return
    for ent in screener.index.entities:
        if ent.entity_id not in relatives:
            continue
        for prog, rule in rules.for_listing(ent.dataset, ent.programs):
            if rule.family and rule.in_force(on):
                suspending[ent.entity_id] = (ent.caption, prog, rule)
                break
    if not suspending:
        return
    members = list(
        session.execute(
            select(FamilyMember)
            .where(FamilyMember.relative_of.in_(sorted(suspending)))
            .order_by(FamilyMember.id)
        ).scalars()
    )
    by_id = {f"family-{m.id}": m for m in members}
    for hit in _family_screener(members).screen(query, threshold=REFER_SCORE, limit=5):
        member = by_id[hit.entity_id]
        caption, prog, rule = suspending[member.relative_of]
        evidence = _evidence(hit)
        about = (
            f"recorded {member.relationship} of {caption} ({member.relative_of}), designated under {prog} on "
            f"{on}: {member.name}, score {hit.score:.2f}"
        )
        strong = hit.score >= DENY_SCORE and bool(evidence)
        if not traveller.alien:
            shown = f"{about}, {' and '.join(evidence)}" if strong else f"possible {about}"
            exempt.append(
                f"{shown}; not denied: the traveller is {_us_status(traveller)}, and the suspension of the "
                f"entry of immediate family members does not reach them: {US_CITIZENS_RULE}"
            )
            effect = "none"
        elif strong and traveller.us_status == "lpr":
            refer.append(
                f"{about}, {' and '.join(evidence)}; {rule.basis}; the traveller is a lawful permanent "
                f"resident: {LPR_RULE}"
            )
            effect = "refer"
        elif strong:
            deny.append(f"{about}, {' and '.join(evidence)}; {rule.basis}")
            effect = "deny"
        else:
            refer.append(f"possible {about}; entry of immediate family is suspended")
            effect = "refer"
        hits.append(
            _hit_dict(
                hit,
                "family",
                effect,
                relative_of=member.relative_of,
                relationship=member.relationship,
                family_member_id=member.id,
                source=member.source,
            )
        )


# --- family members ----------------------------------------------------------------------------------

FAMILY_COLUMNS: dict[str, bool] = {
    "relative_of": True,
    "relationship": True,
    "name": True,
    "birth_date": False,
    "nationality": False,
    "gender": False,
    "document_number": False,
    "source": False,
}


@dataclass
class FamilyImport:
    file: str
    rows: int = 0
    added: int = 0
    unchanged: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def import_family(
    session: Session,
    path: Path,
    *,
    actor: str,
    at: datetime | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> FamilyImport:
    """Add the family members in a CSV file (columns ``FAMILY_COLUMNS``); rows already recorded are skipped.

    ``relative_of`` must name a listed person (an entity id in the store, e.g. ``icc-khan-karim``).
    Every problem is reported (``BookInputError``) before anything is written.
    """
    at = aware(at)
    problems = Problems(max_problems)
    rows: list[dict[str, Any]] = []
    try:
        relatives: dict[str, str | None] = {}
        for line, cells in read_csv(path, FAMILY_COLUMNS, problems):
            row = CsvRow(str(path), line, cells, problems)
            relative = row.text("relative_of", required=True, max_len=200)
            relationship = row.choice("relationship", {r: r for r in RELATIONSHIPS}, required=True)
            name = row.text("name", required=True)
            birth = row.partial_date("birth_date")
            nationality = row.country("nationality")
            gender = row.choice("gender", GENDERS)
            document = row.text("document_number", max_len=100)
            source = row.text("source") or f"{path.name}, line {line}"
            if relative is not None:
                if relative not in relatives:
                    relatives[relative] = session.execute(
                        select(RecordRow.schema).where(RecordRow.entity_id == relative).limit(1)
                    ).scalar_one_or_none()
                schema = relatives[relative]
                if schema is None:
                    row.bad(
                        "relative_of",
                        f"no listing {relative!r} in the store (use an entity id: icc-khan-karim)",
                    )
                elif schema != "Person":
                    row.bad("relative_of", f"{relative!r} is a {schema}; only persons have family members")
            if row.ok:
                rows.append(
                    {
                        "relative_of": relative,
                        "relationship": relationship,
                        "name": name,
                        "birth_date": birth,
                        "nationality": nationality,
                        "gender": gender,
                        "document_number": document,
                        "source": source,
                    }
                )
    except TooManyProblems:
        raise BookInputError(problems.items, truncated=True) from None
    if problems.items:
        raise BookInputError(problems.items)

    result = FamilyImport(str(path), rows=len(rows))
    key_fields = ("relative_of", "relationship", "name", "birth_date", "document_number")
    existing = {
        tuple(getattr(m, k) for k in key_fields)
        for m in session.execute(
            select(FamilyMember).where(FamilyMember.relative_of.in_(sorted({r["relative_of"] for r in rows})))
        ).scalars()
    }
    for r in rows:
        key = tuple(r[k] for k in key_fields)
        if key in existing:
            result.unchanged += 1
            continue
        existing.add(key)
        session.add(FamilyMember(**r, added_at=at, added_by=actor))
        result.added += 1
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="travel.family_import",
        subject=f"file:{path.name}",
        data=result.to_dict(),
        at=at,
    )
    return result
