"""FollowTheMoney JSON lines: one entity per line, as OpenSanctions exports them.

Reading groups the flat entity stream back into records: each target (Person,
Organization, Vessel...) with the entities that point at it (a Sanction's ``entity``, a
Passport's ``holder``, an Address the target names in ``addressEntity``...). Writing
does the reverse, so an export from proscribe loads into proscribe, and into any other
FtM tool, unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData

from proscribe.sources.base import (
    TARGET_SCHEMATA,
    ListFormatError,
    ParsedList,
    Progress,
    Record,
    file_checksum,
)

FORMAT = "ftm"
DATASET = "ftm"


def sniff(path: Path) -> bool:
    if not path.is_file():
        return False
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip()
    if not head.startswith(b"{"):
        return False
    first = head.split(b"\n", 1)[0]
    return b'"schema"' in first and b'"properties"' in first


def _parse_lines(path: Path, progress: Progress | None) -> list[tuple[EntityProxy, list[str], str | None]]:
    out: list[tuple[EntityProxy, list[str], str | None]] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ListFormatError(path, f"not valid JSON ({exc.msg})", f"line {lineno}") from exc
            except UnicodeDecodeError as exc:
                raise ListFormatError(path, "not UTF-8 text", f"line {lineno}") from exc
            if not isinstance(data, dict) or "schema" not in data or "id" not in data:
                raise ListFormatError(path, "an entity needs an 'id' and a 'schema'", f"line {lineno}")
            try:
                proxy = model.get_proxy(data, cleaned=False)
            except (InvalidData, TypeError, ValueError) as exc:
                raise ListFormatError(path, f"not a FollowTheMoney entity ({exc})", f"line {lineno}") from exc
            datasets = data.get("datasets") or []
            source_id = data.get("source_id")
            out.append(
                (
                    proxy,
                    [str(d) for d in datasets] if isinstance(datasets, list) else [],
                    str(source_id) if source_id else None,
                )
            )
            if progress and len(out) % 1000 == 0:
                progress(1000)
    return out


def _referenced_ids(ent: EntityProxy) -> list[str]:
    ids: list[str] = []
    for prop, value in ent.itervalues():
        if prop.type.name == "entity":
            ids.append(value)
    return ids


def read(path: Path, *, dataset: str | None = None, progress: Progress | None = None) -> ParsedList:
    try:
        if not path.is_file():
            raise ListFormatError(path, "no such file")
        entities = _parse_lines(path, progress)
    except UnicodeDecodeError as exc:
        raise ListFormatError(path, "not UTF-8 text") from exc
    if not entities:
        raise ListFormatError(path, "no entities in the file")
    name = dataset or _common_dataset(entities) or DATASET
    targets: dict[str, Record] = {}
    for ent, _, source_id in entities:
        if ent.schema.name in TARGET_SCHEMATA and ent.id:
            # proscribe's own exports carry the publisher's id; other FtM files have only the entity id
            targets[ent.id] = Record(dataset=name, source_id=source_id or ent.id, target=ent)
    if not targets:
        raise ListFormatError(
            path, "no target entities (Person, Organization, Company, Vessel...) in the file"
        )
    addresses: dict[str, str] = {}
    for rec in targets.values():
        for addr_id in rec.target.get("addressEntity"):
            addresses.setdefault(addr_id, rec.target.id or "")
    orphans = 0
    for ent, _, _ in entities:
        if ent.id in targets:
            continue
        owner = next((i for i in _referenced_ids(ent) if i in targets), None) or addresses.get(ent.id or "")
        if owner is None:
            orphans += 1
            continue
        targets[owner].adjacent.append(ent)
    warnings = [f"{orphans} entities point at no target in the file and were left out"] if orphans else []
    for rec in targets.values():
        try:
            rec.validate()
        except ValueError as exc:
            raise ListFormatError(path, str(exc), f"entity {rec.source_id}") from exc
    return ParsedList(
        dataset=name,
        format=FORMAT,
        source=str(path),
        checksum=file_checksum(path),
        records=list(targets.values()),
        as_of=None,
        stats={"entities": len(entities), "records": len(targets), "orphans": orphans},
        warnings=warnings,
    )


def _common_dataset(entities: list[tuple[EntityProxy, list[str], str | None]]) -> str | None:
    names = {d for _, ds, _ in entities for d in ds}
    return names.pop() if len(names) == 1 else None


def write(records: Iterable[Record], fh: IO[str]) -> int:
    """Write records as FtM JSON lines (targets and their adjacent entities); return the entity count.

    Each line also carries ``datasets``, as OpenSanctions exports do, and the target's line the
    publisher's id as ``source_id``, so that an export imports back under the same ids.
    """
    n = 0
    for rec in records:
        for data in rec.to_data():
            line: dict[str, Any] = dict(data)
            line["datasets"] = [rec.dataset]
            if data["id"] == rec.target.id:
                line["source_id"] = rec.source_id
            fh.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    return n
