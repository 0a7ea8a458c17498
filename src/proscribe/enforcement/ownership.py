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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["THRESHOLD", "Edge", "OwnershipBlock", "apply_rule"]

#: 50 percent or more, in the aggregate
THRESHOLD = Decimal(50)


@dataclass(frozen=True)
class Edge:
    """``owner`` holds ``share`` percent of ``owned``."""

    owner: str
    owned: str
    share: Decimal


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

    def explanation(self, names: Mapping[str, str]) -> str:
        parts = []
        for o in self.owners:
            owner = str(o["owner"])
            label = names.get(owner, owner)
            why = o["basis"]
            parts.append(f"{label} ({why}) {pct(Decimal(str(o['share'])))}%")
        name = names.get(self.party_id, self.party_id)
        return (
            f"{name} is blocked under the 50 percent rule: owned {pct(self.total)}% in aggregate "
            "by blocked persons: " + " + ".join(parts)
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
) -> dict[str, OwnershipBlock]:
    """The organisations blocked by the 50 percent rule.

    ``listed`` maps each party blocked because it is listed to (entity ids, programs); ``edges``
    are the ownership shares; ``kinds`` gives each party's kind (only organisations can be blocked
    by ownership). Parties in ``listed`` are never in the result.
    """
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
            if total < THRESHOLD:
                continue
            block = OwnershipBlock(owned, total)
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
