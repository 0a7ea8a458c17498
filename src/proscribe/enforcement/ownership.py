"""The 50 percent rule: an entity owned 50% or more, in aggregate, by blocked persons is blocked.

OFAC's revised guidance of 13 August 2014 (79 FR 47726) says an entity owned, directly or
indirectly, 50% or more in the aggregate by one or more blocked persons is itself blocked, listed or
not. Indirect ownership counts through *blocked* entities: if A is blocked and owns 50% of B, B is
blocked; if B then owns 50% of C, C is blocked too. A holding through an entity that is not itself
blocked does not count (OFAC FAQ 401), and control without ownership does not block by itself.

``apply_rule`` finds the fixed point: starting from the persons blocked because they are listed, it
adds every organisation whose blocked owners together hold at least 50%, until nothing changes.
Each result carries the ownership chains that reach the threshold, so the explanation can be read
back to the listings it rests on.

The test is the listing regime's own (``TESTS``): OFAC's is "50% or more"; the EU's and the UK's are
"more than 50%", or control. A party blocked under an EU or UK listing counts only toward the EU or UK
test, and one blocked under a US listing only toward OFAC's: each law counts the persons it
designates. Owners are aggregated under every test (OFAC says so; for the EU and the UK, see
``TESTS``: the safer reading, marked uncertain).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "REGIMES",
    "TESTS",
    "THRESHOLD",
    "Edge",
    "OwnershipBlock",
    "OwnershipTest",
    "apply_rule",
    "regime_of",
]

#: 50 percent or more, in the aggregate
THRESHOLD = Decimal(50)


@dataclass(frozen=True)
class OwnershipTest:
    """When a regime freezes an organisation its listed persons own or control, and why."""

    regime: str
    #: the share the blocked owners must reach (or pass, when ``strict``)
    threshold: Decimal
    strict: bool
    #: whether control by a listed person freezes the organisation without a majority of the shares
    control: bool
    source: str
    uncertain: str = ""

    def reached(self, total: Decimal) -> bool:
        return total > self.threshold if self.strict else total >= self.threshold

    @property
    def words(self) -> str:
        share = "more than 50%" if self.strict else "50% or more"
        return f"{share}, or control" if self.control else share


TESTS: dict[str, OwnershipTest] = {
    "us": OwnershipTest(
        "us",
        THRESHOLD,
        strict=False,
        control=False,
        source=(
            "OFAC, revised guidance on entities owned by blocked persons, 13 August 2014 (79 FR 47726): "
            "owned 50% or more, directly or indirectly, in the aggregate; control alone does not block"
        ),
    ),
    "eu": OwnershipTest(
        "eu",
        THRESHOLD,
        strict=True,
        control=True,
        source=(
            "the EU's asset-freeze regulations (funds 'owned, held or controlled' by a listed person, "
            "e.g. Council Regulation (EU) No 269/2014, Art. 2(1)) as read in the Council's EU Best "
            "Practices for the effective implementation of restrictive measures: more than 50% of the "
            "proprietary rights, or control"
        ),
        uncertain=(
            "the Best Practices' text was not retrieved; whether holdings of different listed persons "
            "are aggregated is taken as yes, the safer reading"
        ),
    ),
    "uk": OwnershipTest(
        "uk",
        THRESHOLD,
        strict=True,
        control=True,
        source=(
            "UK regulations under the Sanctions and Anti-Money Laundering Act 2018, 'owned or controlled "
            "directly or indirectly' (e.g. the Russia (Sanctions) (EU Exit) Regulations 2019, reg. 7): "
            "more than 50% of the shares or voting rights, or control"
        ),
        uncertain=(
            "OFSI's guidance on aggregating different designated persons' holdings was not retrieved; "
            "they are aggregated here, the safer reading"
        ),
    ),
}
REGIMES = tuple(TESTS)


def regime_of(dataset: str | None, *, eu_operator: bool = False, uk: bool = False) -> str:
    """The regime whose ownership test a block under a listing of ``dataset`` follows.

    UN listings are carried out by each jurisdiction's own law: the EU's for an EU operator, the
    UK's for a UK one, OFAC's otherwise. A list of no known regime follows OFAC's test.
    """
    if dataset == "eu_fsf":
        return "eu"
    if dataset and dataset.startswith("gb_"):
        return "uk"
    if dataset == "un_sc_sanctions":
        return "eu" if eu_operator else "uk" if uk else "us"
    return "us"


@dataclass(frozen=True)
class Edge:
    """``owner`` holds ``share`` percent of ``owned``."""

    owner: str
    owned: str
    share: Decimal
    #: the owner controls the organisation whatever its share (board majority, voting agreement...)
    control: bool = False


@dataclass
class OwnershipBlock:
    """An organisation blocked by the rule: who holds it, how much, and through what."""

    party_id: str
    total: Decimal
    #: one entry per blocked owner: {"owner", "share", "basis", "entity_ids", "via"}: the listings
    #: the owner's block rests on, and ``via`` is the owner's
    #: own chain when it is itself blocked by the rule
    owners: list[dict[str, object]] = field(default_factory=list)
    #: listed entity ids and programs the chain rests on
    entity_ids: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    #: the regimes whose test it meets ("us", "eu", "uk")
    regimes: list[str] = field(default_factory=lambda: ["us"])
    #: a blocked owner controls it (EU and UK tests)
    controlled_by: list[str] = field(default_factory=list)

    def explanation(self, names: Mapping[str, str]) -> str:
        parts = []
        for o in self.owners:
            owner = str(o["owner"])
            label = names.get(owner, owner)
            why = o["basis"]
            parts.append(f"{label} ({why}) {pct(Decimal(str(o['share'])))}%")
        name = names.get(self.party_id, self.party_id)
        if self.regimes == ["us"]:
            return (
                f"{name} is blocked under the 50 percent rule: owned {pct(self.total)}% in aggregate "
                "by blocked persons: " + " + ".join(parts)
            )
        tests = "; ".join(f"{r.upper()}: {TESTS[r].words}" for r in self.regimes)
        control = (
            f"; controlled by {', '.join(names.get(c, c) for c in self.controlled_by)}"
            if self.controlled_by
            else ""
        )
        return (
            f"{name} is frozen as owned or controlled by listed persons ({tests}): owned "
            f"{pct(self.total)}% in aggregate by them{control}: " + " + ".join(parts)
        )

    def chain(self) -> list[dict[str, object]]:
        return list(self.owners)


def pct(share: Decimal) -> str:
    """A share as people write it: 60, 33.5 (not 60.0000)."""
    return format(share.quantize(Decimal("0.0001")).normalize(), "f")


def apply_rule(
    listed: Mapping[str, tuple[list[str], list[str]]],
    edges: Iterable[Edge],
    kinds: Mapping[str, str],
    regimes: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, OwnershipBlock]:
    """The organisations blocked by ownership (or control), under each regime's own test.

    ``listed`` maps each party blocked because it is listed to (entity ids, programs); ``edges``
    are the ownership shares; ``kinds`` gives each party's kind (only organisations can be blocked
    by ownership); ``regimes`` gives the regimes each listed party is blocked under (OFAC's alone
    when not given). Parties in ``listed`` are never in the result.
    """
    edges = list(edges)
    out: dict[str, OwnershipBlock] = {}
    for regime in REGIMES:
        members = {p: v for p, v in listed.items() if regime in set((regimes or {}).get(p, ("us",)))}
        if not members:
            continue
        for party_id, block in _fixed_point(members, edges, kinds, TESTS[regime]).items():
            if party_id in listed:
                continue
            if party_id not in out:
                out[party_id] = block
                continue
            merged = out[party_id]
            merged.regimes.append(regime)
            merged.total = max(merged.total, block.total)
            known = {str(o["owner"]) for o in merged.owners}
            merged.owners.extend(o for o in block.owners if str(o["owner"]) not in known)
            merged.controlled_by = sorted({*merged.controlled_by, *block.controlled_by})
            merged.entity_ids = sorted({*merged.entity_ids, *block.entity_ids})
            merged.programs = sorted({*merged.programs, *block.programs})
    return out


def _fixed_point(
    listed: Mapping[str, tuple[list[str], list[str]]],
    edges: list[Edge],
    kinds: Mapping[str, str],
    test: OwnershipTest,
) -> dict[str, OwnershipBlock]:
    owners_of: dict[str, list[Edge]] = defaultdict(list)
    for e in edges:
        owners_of[e.owned].append(e)
    derived: dict[str, OwnershipBlock] = {}
    changed = True
    while changed:
        changed = False
        for owned, incoming in owners_of.items():
            if owned in listed or owned in derived or kinds.get(owned) != "organization":
                continue
            blocked_owners = [e for e in incoming if e.owner in listed or e.owner in derived]
            total = sum((e.share for e in blocked_owners), Decimal(0))
            controllers = sorted(e.owner for e in blocked_owners if e.control) if test.control else []
            if not test.reached(total) and not controllers:
                continue
            block = OwnershipBlock(owned, total, regimes=[test.regime], controlled_by=controllers)
            ents: set[str] = set()
            progs: set[str] = set()
            for e in sorted(blocked_owners, key=lambda x: (-x.share, x.owner)):
                if e.owner in listed:
                    ids, programs = listed[e.owner]
                    block.owners.append(
                        {
                            "owner": e.owner,
                            "share": pct(e.share),
                            "basis": "listed: " + ", ".join(ids),
                            "entity_ids": list(ids),
                            "via": [],
                        }
                    )
                else:
                    parent = derived[e.owner]
                    ids, programs = parent.entity_ids, parent.programs
                    block.owners.append(
                        {
                            "owner": e.owner,
                            "share": pct(e.share),
                            "basis": "blocked under the 50 percent rule",
                            "entity_ids": list(ids),
                            "via": parent.chain(),
                        }
                    )
                ents.update(ids)
                progs.update(programs)
            block.entity_ids = sorted(ents)
            block.programs = sorted(progs)
            derived[owned] = block
            changed = True
    return derived
