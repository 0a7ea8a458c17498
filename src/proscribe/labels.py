"""Words for people: FollowTheMoney property labels, country names, values written out.

The store keeps listings as FollowTheMoney entities (``birthDate``, ``programId``,
``addressEntity``: the ids of other entities of the record) and countries as lower-case ISO codes
(``cu``). A page shows none of that: each property by the label the followthemoney model gives it
("Birth date", "Program ID"), each country by its name (the model's country type, which knows
the codes the lists use beyond ISO 3166, such as ``suhh`` for the Soviet Union), a reference to
another entity of the record by that entity's caption (the address written out), and any other
value (a flag, a number, a list) as words, never as Python writes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from followthemoney import EntityProxy, model, registry

#: properties a page does not list under "What the list says": kept for matching, said elsewhere
HIDDEN_PROPERTIES = frozenset({"name"})


def prop_label(schema: str, prop: str) -> str:
    """``birthDate`` of a Person as ``Birth date``; a name the model does not know, spaced out."""
    sch = model.get(schema)
    found = sch.get(prop) if sch is not None else None
    if found is None:
        # a property of another schema (a Sanction's, an Address's): any schema that knows it
        for other in model.schemata.values():
            found = other.get(prop)
            if found is not None:
                break
    if found is not None:
        return str(found.label)
    return _spaced(prop)


def field_label(field: str) -> str:
    """A changed field as ``lists diff`` names it: ``firstName`` as ``First name``,
    ``Sanction.programId`` (a property of another entity of the record) as ``Sanction: Program ID``."""
    schema, _, prop = field.rpartition(".")
    if not schema:
        return prop_label("Thing", prop)
    sch = model.get(schema)
    return f"{sch.label if sch is not None else schema}: {prop_label(schema, prop)}"


def _spaced(name: str) -> str:
    out = "".join(f" {c.lower()}" if c.isupper() else c for c in name).replace("_", " ").strip()
    return out[:1].upper() + out[1:]


def country_name(code: str | None) -> str:
    """``cu`` as ``Cuba``; a value that is not a known code is shown as it is (a name already)."""
    if not code:
        return ""
    text = str(code).strip()
    name = registry.country.caption(text.lower())
    return str(name) if name and name.lower() != text.lower() else text


def countries(codes: Iterable[str] | None) -> str:
    return "; ".join(country_name(c) for c in codes or [] if c)


def say(value: Any) -> str:
    """A value as words: yes/no, numbers as written, lists joined, mappings as ``key: value``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "; ".join(f"{_spaced(str(k))}: {say_field(str(k), v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(say(v) for v in value)
    return str(value)


#: a field holding country codes (an audit record's ``document_country``, a party's ``nationality``)
_COUNTRY_FIELD = re.compile(r"(?:^|_)(?:countr(?:y|ies)|nationalit(?:y|ies)|citizenship)$", re.IGNORECASE)


def say_field(key: str, value: Any) -> str:
    """A named value as words: a country field's codes by name (``document_country: gm`` as
    ``Gambia``), a text quoting the matcher with its countries by name, anything else as ``say``."""
    if _COUNTRY_FIELD.search(key) and isinstance(value, str | list | tuple):
        codes = [value] if isinstance(value, str) else [str(v) for v in value]
        return ", ".join(country_name(c) for c in codes if c)
    if isinstance(value, str):
        return explanation(value)
    if isinstance(value, list | tuple):  # a travel check's reasons, each quoting the matcher
        return ", ".join(say_field(key, v) for v in value)
    return say(value)


@dataclass(frozen=True)
class Fact:
    """One property of a listing as a page shows it: its label and its values, written out."""

    prop: str
    label: str
    values: list[str]


def entity_caption(entity: EntityProxy) -> str:
    """An attached entity in words: an address written out, an identification with its number."""
    if entity.schema.is_a("Address"):
        full = entity.get("full")
        if full:
            return str(full[0])
        parts = [
            *entity.get("street"),
            *entity.get("city"),
            *entity.get("postalCode"),
            *entity.get("region"),
            *[country_name(c) for c in entity.get("country")],
        ]
        return ", ".join(str(p) for p in parts if p) or str(entity.caption)
    return str(entity.caption)


def facts(target: EntityProxy, adjacent: Iterable[EntityProxy] = ()) -> list[Fact]:
    """Every property of ``target`` by label, values written out: countries by name, references to
    other entities of the record by their caption (an address, not ``ofac-addr-...``)."""
    others = {e.id: e for e in adjacent if e.id}
    out: list[Fact] = []
    for prop in target.schema.sorted_properties:
        if prop.name in HIDDEN_PROPERTIES:
            continue
        values = target.get(prop)
        if not values:
            continue
        if prop.type == registry.country:
            shown = [country_name(v) for v in values]
        elif prop.type == registry.entity:
            shown = [entity_caption(others[v]) for v in values if v in others]
        else:
            shown = [str(v) for v in values]
        if not shown:
            continue
        same = next((f for f in out if f.label == str(prop.label)), None)
        if same is not None:  # ``address`` and ``addressEntity`` are both "Address": one line
            same.values.extend(v for v in shown if v not in same.values)
            continue
        out.append(Fact(prop=prop.name, label=str(prop.label), values=list(dict.fromkeys(shown))))
    return out


#: a country code as the matcher writes it: ``gb``, ``gb-eng``, or FtM's four letters for a country
#: that is no more (``suhh``, the Soviet Union); a whole word (``set aside`` holds no ``se``)
_CODE = r"[a-z]{2}(?:[a-z]{2})?(?:-[a-z]+)?\b"
_COUNTRY_AGREES = re.compile(rf"\bcountry ({_CODE}) agrees\b")
_COUNTRY_AMONG = re.compile(rf"\bcountry ({_CODE}) not among ((?:{_CODE})(?:, {_CODE})*)")


def explanation(text: str | None) -> str:
    """The matcher's explanation with its country codes as names (``country gb agrees`` as
    ``country United Kingdom agrees``); the rest as the matcher wrote it."""
    if not text:
        return ""
    out = _COUNTRY_AGREES.sub(lambda m: f"country {country_name(m.group(1))} agrees", text)
    return _COUNTRY_AMONG.sub(
        lambda m: (
            f"country {country_name(m.group(1))} not among "
            + ", ".join(country_name(c) for c in m.group(2).split(", "))
        ),
        out,
    )
