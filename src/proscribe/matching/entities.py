"""What the matcher keeps of a listed entity: its names, tokenised, and the facts that
confirm or refute a match.

Built once per list version from the store's records and shipped as a whole inside the
index (it pickles), so a batch worker never needs the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from proscribe.matching.normalize import bracket_readings, digits_and_letters, is_abjad, tokens

if TYPE_CHECKING:  # for annotations only: a batch worker loading an index never imports FtM
    from followthemoney import EntityProxy

    from proscribe.sources.base import Record

#: FtM schemata grouped into what a screening query can ask for
KIND_OF_SCHEMA = {
    "Person": "person",
    "Organization": "organization",
    "Company": "organization",
    "PublicBody": "organization",
    "LegalEntity": "organization",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}

#: name properties and how much a match on each counts (OFAC: weak aliases need not be screened
#: at all; we keep them, discounted)
NAME_KINDS = (("name", "name"), ("alias", "alias"), ("previousName", "previous"), ("weakAlias", "weak"))

#: identifier properties compared with a query's id number
ID_PROPS = (
    "idNumber",
    "passportNumber",
    "registrationNumber",
    "taxNumber",
    "innCode",
    "ogrnCode",
    "leiCode",
    "swiftBic",
    "imoNumber",
    "mmsi",
    "vatCode",
    "icijId",
    "okpoCode",
    "dunsCode",
    "uniqueEntityId",
    "registrationNumber",
    "serialNumber",
    "callSign",
    "publicKey",
)

COUNTRY_PROPS = (
    "nationality",
    "citizenship",
    "country",
    "birthCountry",
    "jurisdiction",
    "mainCountry",
    "flag",
)


@dataclass(slots=True)
class ListedName:
    entity: int
    text: str
    kind: str
    tokens: tuple[str, ...]
    #: token positions that hold the family name, when the list says which it is
    family: frozenset[int]
    #: written in a script without short vowels (Arabic, Persian...), so compared more loosely
    abjad: bool
    #: each token's rarity weight (``rarity.weight``), filled in when the index is built
    weights: tuple[float, ...] = ()
    #: each token's id in the index's vocabulary, and each neighbouring pair's written together
    vids: tuple[int, ...] = ()
    pair_vids: tuple[int, ...] = ()
    #: the weight of its distinct words (a word written twice counts once), and the least its core
    #: words can weigh in a comparison (``core_floor``)
    total: float = 0.0
    core_total: float = 0.0


@dataclass(slots=True)
class ListedEntity:
    entity_id: str
    dataset: str
    source_id: str
    schema: str
    kind: str
    caption: str
    programs: tuple[str, ...]
    birth_dates: tuple[str, ...]
    countries: frozenset[str]
    identifiers: frozenset[str]
    gender: str | None
    names: list[int]


def _programs(record: Record) -> tuple[str, ...]:
    progs: list[str] = []
    for ent in record.adjacent:
        if ent.schema.name == "Sanction":
            progs.extend(ent.get("programId") or ent.get("program"))
    return tuple(sorted(set(progs)))


def _identifiers(record: Record) -> frozenset[str]:
    values: set[str] = set()
    for ent in record.entities:
        props = ID_PROPS if ent is record.target else ("number", "publicKey")
        for prop in props:
            if prop in ent.schema.properties:
                values.update(ent.get(prop))
    cleaned = {digits_and_letters(v) for v in values}
    # very short numbers (a call sign of 3 characters, "1") match too much to count as evidence
    return frozenset(v for v in cleaned if len(v) >= 5)


def _countries(target: EntityProxy, record: Record) -> frozenset[str]:
    out: set[str] = set()
    for prop in COUNTRY_PROPS:
        if prop in target.schema.properties:
            out.update(target.get(prop))
    for ent in record.adjacent:
        if ent.schema.name == "Address":
            out.update(ent.get("country"))
    return frozenset(c.lower() for c in out)


def core_positions(name: ListedName, is_person: bool) -> frozenset[int]:
    """The positions that make a listed name: for a person of several words, the first and the last
    word and the family name; for anything else, every word."""
    n = len(name.tokens)
    if not is_person or n <= 1:
        return frozenset(range(n))
    return frozenset({0, n - 1} | set(name.family))


def core_floor(name: ListedName, is_person: bool) -> float:
    """The least the core words of ``name`` can weigh in a comparison (the score's bound needs it).

    The core is ``core_positions``, except that once one word of a person's family name is matched
    the family name's other words leave it: its floor is the core without the family name's words,
    plus the lightest of them."""
    core = core_positions(name, is_person)
    family = [j for j in name.family if j < len(name.tokens)] if is_person else []
    weight = {name.tokens[j]: name.weights[j] for j in core if j not in family}
    rest = [name.weights[j] for j in family if name.tokens[j] not in weight]
    return sum(weight.values()) + min(rest, default=0.0)


def family_positions(toks: tuple[str, ...], last_names: Iterable[str], is_org: bool) -> frozenset[int]:
    if is_org:
        return frozenset()
    family: set[str] = set()
    for ln in last_names:
        family.update(tokens(ln))
    return frozenset(i for i, t in enumerate(toks) if t in family)


def listed_from_record(record: Record, first_name_index: int) -> tuple[ListedEntity, list[ListedName]]:
    """The matcher's view of one listing; names are numbered from ``first_name_index``."""
    target = record.target
    schema = target.schema.name
    kind = KIND_OF_SCHEMA.get(schema, "organization")
    is_org = kind != "person"
    last_names = target.get("lastName") if "lastName" in target.schema.properties else []
    names: list[ListedName] = []
    seen: set[tuple[str, ...]] = set()
    ent_index = -1  # filled in by the index
    for prop, label in NAME_KINDS:
        if prop not in target.schema.properties:
            continue
        for text in target.get(prop):
            # "KALAYE ELECTRIC COMPANY (KEC)", "Maustaf Fawzi (Faouzi) KANAAN": see bracket_readings
            for reading in [text, *bracket_readings(text, is_org=is_org)]:
                toks = tokens(reading, is_org=is_org)
                if not toks or toks in seen:
                    continue
                seen.add(toks)
                names.append(
                    ListedName(
                        ent_index,
                        text,
                        label,
                        toks,
                        family_positions(toks, last_names, is_org),
                        is_abjad(reading),
                    )
                )
    births = tuple(sorted(set(target.get("birthDate")))) if "birthDate" in target.schema.properties else ()
    gender = None
    if "gender" in target.schema.properties and target.get("gender"):
        gender = target.get("gender")[0]
    entity = ListedEntity(
        entity_id=target.id or "",
        dataset=record.dataset,
        source_id=record.source_id,
        schema=schema,
        kind=kind,
        caption=target.caption,
        programs=_programs(record),
        birth_dates=births,
        countries=_countries(target, record),
        identifiers=_identifiers(record),
        gender=gender,
        names=list(range(first_name_index, first_name_index + len(names))),
    )
    return entity, names
