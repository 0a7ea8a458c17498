"""What every list importer produces: records of FollowTheMoney entities.

A *record* is one listing as its publisher gives it: the target (Person, Organization,
Company, LegalEntity, Vessel or Airplane) and the entities that hang off it (Sanction,
Passport/Identification, Address, Family, Ownership, UnknownLink, CryptoWallet, ...).
Keeping them together lets the store version a listing as a whole: when any part of it
changes, the record changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # FollowTheMoney takes about a second to import: a command that only opens the
    # store (`lists status`, `users add`) does not need it; what builds or reads records imports it
    from followthemoney import EntityProxy

#: the schemata a record's target may have
TARGET_SCHEMATA = frozenset(
    {"Person", "Organization", "Company", "LegalEntity", "Vessel", "Airplane", "PublicBody"}
)

#: a progress callback: called with the number of units just done
Progress = Callable[[int], None]


class ListFormatError(ValueError):
    """A list file could not be read. The message names the file, the place and the reason."""

    def __init__(self, path: Path | str, reason: str, location: str | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.location = location
        where = f"{self.path}, {location}" if location else self.path
        super().__init__(f"{where}: {reason}")


@dataclass
class Record:
    """One listing: the target entity first, then the entities attached to it."""

    dataset: str
    source_id: str
    target: EntityProxy
    adjacent: list[EntityProxy] = field(default_factory=list)
    #: the checksum, when whoever built the record computed it already (a replay reusing records)
    known_checksum: str | None = field(default=None, compare=False, repr=False)

    @property
    def entities(self) -> list[EntityProxy]:
        return [self.target, *self.adjacent]

    def to_data(self) -> list[dict[str, Any]]:
        """The record as plain FollowTheMoney dicts, target first, properties sorted."""
        out = []
        for ent in self.entities:
            d = ent.to_dict()
            props = {k: sorted(v) for k, v in sorted(d.get("properties", {}).items())}
            out.append({"id": d["id"], "schema": d["schema"], "properties": props})
        return out

    def checksum(self) -> str:
        if self.known_checksum is not None:
            return self.known_checksum
        blob = json.dumps(self.to_data(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def validate(self) -> None:
        if self.target.schema.name not in TARGET_SCHEMATA:
            raise ValueError(
                f"record {self.source_id}: target schema {self.target.schema.name} is not a target"
            )
        if not self.target.id:
            raise ValueError(f"record {self.source_id}: target has no id")
        if not self.target.get("name"):
            raise ValueError(f"record {self.source_id}: target has no name")
        for ent in self.adjacent:
            if not ent.id:
                raise ValueError(f"record {self.source_id}: a {ent.schema.name} has no id")


@dataclass
class ParsedList:
    """A whole list file parsed and validated, ready to be compared with the store."""

    dataset: str
    format: str
    source: str
    checksum: str
    records: list[Record]
    #: the publisher's own as-of date, when the file states one
    as_of: date | None = None
    #: figures the importer measured while parsing (e.g. share of remark clauses understood)
    stats: dict[str, Any] = field(default_factory=dict)
    #: things worth telling the user that did not stop the import
    warnings: list[str] = field(default_factory=list)


def record_from_data(dataset: str, source_id: str, data: Iterable[dict[str, Any]]) -> Record:
    """Rebuild a record from the dicts ``Record.to_data`` produced (as kept in the store)."""
    from followthemoney import model

    ents = [model.get_proxy(d, cleaned=False) for d in data]
    return Record(dataset=dataset, source_id=source_id, target=ents[0], adjacent=ents[1:])


def file_checksum(*paths: Path) -> str:
    """sha256 over the bytes of one or more files, in the order given."""
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def make_id(*parts: str) -> str:
    """A stable FollowTheMoney id from readable parts: ``make_id("ofac", "36") == "ofac-36"``.

    Characters outside FtM's id alphabet are replaced so publisher ids stay recognisable.
    """
    cleaned = []
    for part in parts:
        s = "".join(c if (c.isascii() and (c.isalnum() or c in ".-")) else "-" for c in str(part).strip())
        cleaned.append(s.strip("-"))
    return "-".join(p for p in cleaned if p)


def hashed_id(prefix: str, *parts: str) -> str:
    """A stable id for an adjacent entity (address, passport, sanction) derived from its content."""
    h = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}-{h}"
