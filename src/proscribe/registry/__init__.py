"""The ICC program registry: proscribe's own dataset of the US ICC sanctions programs.

The data lives in ``icc.yaml`` next to this module: the two programs (EO 13928 of 2020 and
EO 14203 of 2025) with their legal instruments, regulations and licences, and every designation
and delisting made under them. It is compiled by hand from the public record, names a source for
each entry, and marks what the research could not confirm (``verified: false`` plus ``uncertain``
notes). It carries no list identifiers (OFAC UIDs, passport numbers): those come from OFAC's files.

``load_registry()`` reads and validates the file into frozen dataclasses; ``Registry.to_parsed_list()``
turns the designations into list records (a Person/Organization plus a Sanction each) so the
store can version them like any imported list, and answer "was X designated on day D?" from the
Sanction's ``startDate`` / ``endDate`` (designated on D when ``startDate <= D < endDate``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from proscribe.sources.base import ListFormatError, ParsedList, Record, hashed_id, make_id

__all__ = [
    "AUTHORITY",
    "DATASET",
    "FORMAT",
    "LICENSE_AUTHORIZATIONS",
    "PACKAGED_SOURCE",
    "Birth",
    "Designation",
    "FederalRegisterCitation",
    "License",
    "Program",
    "Registry",
    "RegistryError",
    "Regulation",
    "Revocation",
    "default_path",
    "load_registry",
    "packaged_checksum",
    "program_code",
]

DATASET = "proscribe_icc"
FORMAT = "icc-registry"
#: the ``source`` of the packaged registry (a label rather than a path on disk)
PACKAGED_SOURCE = "package:proscribe.registry/icc.yaml"

#: who designates (State) and who implements (OFAC) under both ICC orders
AUTHORITY = (
    "US Department of State (designation); "
    "US Department of the Treasury, Office of Foreign Assets Control (implementation)"
)

SCHEMATA = frozenset({"Person", "Organization"})
CATEGORIES = frozenset({"judge", "prosecutor", "otp-staff", "un-special-rapporteur", "ngo"})
LICENSE_KINDS = frozenset({"general", "regulation", "specific"})
#: what a licence may authorise (enforcement checks a payment's purpose against these)
LICENSE_PURPOSES = frozenset(
    {
        "wind_down",
        "legal_services",
        "legal_fees",
        "medical",
        "official_us_government",
        "humanitarian",
        "icc_work",
    }
)
#: what kind of dealing a licence authorises (enforcement.licenses explains each, with its source):
#: ``dealings`` with a blocked person that move no blocked property (a service rendered),
#: ``receipt_outside_funds`` (receiving payment from funds that are not blocked), ``wind_down``
#: (what is ordinarily incident and necessary to winding down, until an expiry), ``debit_blocked``
#: (debiting a blocked account) and ``unblock`` (releasing blocked property)
LICENSE_AUTHORIZATIONS = frozenset(
    {"dealings", "receipt_outside_funds", "wind_down", "debit_blocked", "unblock"}
)
BIRTH_KINDS = frozenset({"biographical", "reported"})
_ID_RE = re.compile(r"^icc-[a-z0-9]+(?:-[a-z0-9]+)*$")


class RegistryError(ListFormatError):
    """The registry file is malformed or inconsistent. The message names the file and the entry."""


# --------------------------------------------------------------------------------------------
# the data model


@dataclass(frozen=True)
class FederalRegisterCitation:
    """Where a document appeared in the Federal Register."""

    citation: str  # e.g. "85 FR 36139"
    fr_doc: str | None = None  # e.g. "2020-12953"
    pages: str | None = None
    published: date | None = None
    effective: date | None = None
    #: False when the citation is reported but not confirmed against the Federal Register
    verified: bool = True
    uncertain: tuple[str, ...] = ()


@dataclass(frozen=True)
class Regulation:
    """A CFR part implementing a program, with its issuing and (when removed) removing rules."""

    cfr: str  # e.g. "31 CFR part 528"
    title: str
    issued: FederalRegisterCitation
    removed: FederalRegisterCitation | None = None
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Revocation:
    """The instrument that ended a program."""

    instrument: str  # e.g. "EO 14022"
    title: str
    signed: date
    citation: str | None = None
    federal_register: FederalRegisterCitation | None = None
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    uncertain: tuple[str, ...] = ()


@dataclass(frozen=True)
class License:
    """A general licence, a licence incorporated in the regulations, or a specific licence."""

    number: str  # "GL 1", "31 CFR 528.506", "ICC-EO14203-1370890-1"
    kind: str  # "general" | "regulation" | "specific"
    title: str | None = None
    issued: date | None = None
    #: timezone-aware; None when no expiry is stated or known (never for a wind-down licence)
    expires: datetime | None = None
    #: False when ``expires`` is not OFAC's confirmed expiry but the registry's safer reading of it
    #: (the earliest reported time, or the shortest wind-down period of the program's known
    #: licences): the licence is taken to end then at the latest, and a person checks OFAC's text
    expires_confirmed: bool = True
    #: registry ids of the designations the licence concerns, when stated
    designees: tuple[str, ...] = ()
    licensee: str | None = None
    federal_register: FederalRegisterCitation | None = None
    #: what the licence authorises, as purpose codes (``wind_down``, ``legal_services``...); () if unknown
    covers: tuple[str, ...] = ()
    #: the kinds of dealing it authorises (``LICENSE_AUTHORIZATIONS``); () if unknown: nothing
    authorizes: tuple[str, ...] = ()
    #: where that reading of the licence comes from
    authorizes_source: str | None = None
    sources: tuple[str, ...] = ()
    verified: bool = True
    uncertain: tuple[str, ...] = ()

    def expired(self, at: datetime) -> bool:
        """Whether the licence had expired at ``at`` (timezone-aware); never, when no expiry is known."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("expired() needs a timezone-aware datetime")
        return self.expires is not None and at >= self.expires


@dataclass(frozen=True)
class Program:
    """One sanctions program: an executive order and how it is carried out."""

    code: str  # "ICC-EO13928", "ICC-EO14203"
    title: str
    instrument: str  # "EO 13928"
    signed: date
    federal_register: FederalRegisterCitation
    authorities: tuple[str, ...]
    designating_official: str
    implementing_agency: str
    criteria: tuple[str, ...]
    effects: tuple[str, ...]
    #: short labels of the effects, as carried on Sanction.provisions (all targets)
    provisions: tuple[str, ...]
    #: further labels that only apply to individuals (the entry suspension)
    person_provisions: tuple[str, ...]
    family_entry_suspension: bool
    regulations: tuple[Regulation, ...]
    start_date: date
    end_date: date | None = None
    revocation: Revocation | None = None
    licenses: tuple[License, ...] = ()
    sources: tuple[str, ...] = ()
    verified: bool = True
    uncertain: tuple[str, ...] = ()
    #: the program tags OFAC's list files may carry for it (``[ICCP-EO13928]``), besides ``code``;
    #: a listing under any of them is a listing under this program
    ofac_tags: tuple[str, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        """``code`` and every OFAC tag for the program."""
        return (self.code, *(t for t in self.ofac_tags if t != self.code))

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day < self.end_date)

    def provisions_for(self, schema: str) -> tuple[str, ...]:
        """The provision labels that apply to a target of ``schema``."""
        return (*self.provisions, *self.person_provisions) if schema == "Person" else self.provisions

    def license(self, number: str) -> License:
        for lic in self.licenses:
            if lic.number == number:
                return lic
        raise KeyError(f"{self.code}: no licence {number!r}")


@dataclass(frozen=True)
class Birth:
    """A birth date/place. ``kind`` says where it comes from: "biographical" (encyclopaedic
    biographies) or "reported" (a report of the list entry that could not be checked).

    An unconfirmed birth (``verified: false``) is kept for a person to read but is not given to
    the screener: an unconfirmed date must neither confirm a match (a denial or a block resting
    on it) nor rule one out (a real designee set aside for a wrong date).
    """

    kind: str
    date: date | None = None
    place: str | None = None
    sources: tuple[str, ...] = ()
    verified: bool = True
    uncertain: tuple[str, ...] = ()


@dataclass(frozen=True)
class Designation:
    """One designation under a program, and its delisting when there was one."""

    id: str  # e.g. "icc-bensouda-fatou"
    schema: str  # "Person" | "Organization"
    name: str
    category: str
    program: str
    designated: date
    basis: str
    sources: tuple[str, ...]
    first_name: str | None = None
    last_name: str | None = None
    #: every alias screened (an unconfirmed alias too: screening it is the safer side)
    aliases: tuple[str, ...] = ()
    #: what is not confirmed about some of the aliases, one note each
    alias_notes: tuple[str, ...] = ()
    #: the role or position held when designated (FtM ``position``)
    role: str | None = None
    nationality: str | None = None
    country: str | None = None
    location: str | None = None
    gender: str | None = None
    birth: Birth | None = None
    #: the conduct the announcement or reporting gave
    grounds: str | None = None
    delisted: date | None = None
    delisting_reason: str | None = None
    verified: bool = True
    uncertain: tuple[str, ...] = ()

    @property
    def slug(self) -> str:
        return self.id.removeprefix("icc-")

    @property
    def status(self) -> str:
        return "delisted" if self.delisted is not None else "active"

    def designated_on(self, day: date) -> bool:
        """Designated on ``day``: from the designation date up to (not including) the delisting date."""
        return self.designated <= day and (self.delisted is None or day < self.delisted)


@dataclass(frozen=True)
class Registry:
    """The loaded registry."""

    source: str
    checksum: str  # sha256 of the YAML bytes
    as_of: date  # when the facts were last reviewed
    programs: dict[str, Program]
    designations: list[Designation]
    notes: tuple[str, ...] = field(default=())

    def program(self, code: str) -> Program:
        try:
            return self.programs[code]
        except KeyError:
            raise KeyError(f"unknown program {code!r}; known: {', '.join(sorted(self.programs))}") from None

    def program_for_tag(self, tag: str) -> Program | None:
        """The program a list's program tag (its code or one of its OFAC tags) stands for, if any."""
        wanted = tag.strip().strip("[]").strip().upper()
        for prog in self.programs.values():
            if wanted in (t.upper() for t in prog.tags):
                return prog
        return None

    def designation(self, id: str) -> Designation:
        for d in self.designations:
            if d.id == id:
                return d
        raise KeyError(f"unknown designation {id!r}")

    def designated_on(self, day: date) -> list[Designation]:
        return [d for d in self.designations if d.designated_on(day)]

    def to_parsed_list(self) -> ParsedList:
        records = [self._record(d) for d in self.designations]
        active = sum(1 for d in self.designations if d.status == "active")
        return ParsedList(
            dataset=DATASET,
            format=FORMAT,
            source=self.source,
            checksum=self.checksum,
            records=records,
            as_of=self.as_of,
            stats={
                "programs": len(self.programs),
                "designations": len(self.designations),
                "active": active,
                "delisted": len(self.designations) - active,
                "unverified": sum(1 for d in self.designations if not d.verified),
            },
        )

    def _record(self, d: Designation) -> Record:
        from followthemoney import model  # about a second to import: only building records needs it

        program = self.program(d.program)
        target = model.make_entity(d.schema)
        target.id = make_id("icc", d.slug)
        target.add("name", d.name)
        target.add("alias", list(d.aliases))
        if d.schema == "Person":
            target.add("firstName", d.first_name)
            target.add("lastName", d.last_name)
            target.add("position", d.role)
            target.add("nationality", d.nationality)
            target.add("gender", d.gender)
        else:
            target.add("country", d.country)
            target.add("address", d.location)
            target.add("description", d.role)
        notes = [*d.uncertain, *d.alias_notes]
        if d.birth is not None and d.birth.verified:
            if d.birth.date is not None:
                target.add("birthDate", d.birth.date.isoformat())
            target.add("birthPlace", d.birth.place)
            notes.append(
                f"Birth date/place are {d.birth.kind}, not from the sanctions list entry "
                f"(source: {'; '.join(d.birth.sources)})."
            )
        elif d.birth is not None:
            told = ", ".join(
                x for x in (d.birth.date.isoformat() if d.birth.date else None, d.birth.place) if x
            )
            notes.append(
                f"Birth {told} is {d.birth.kind} but NOT CONFIRMED, so it is not used to match "
                f"(source: {'; '.join(d.birth.sources)}): {' '.join(d.birth.uncertain)}"
            )
        target.add("notes", notes)
        if d.status == "active":
            # only a current designation makes the target "sanctioned" today; the history
            # stays on the Sanction entity's dates
            target.add("topics", "sanction")

        sanction = model.make_entity("Sanction")
        sanction.id = hashed_id("icc-sanction", d.id, d.program)
        sanction.add("entity", target.id)
        sanction.add("authority", AUTHORITY)
        sanction.add("program", program.code)
        sanction.add("programId", program.code)
        sanction.add("country", "us")
        sanction.add("listingDate", d.designated.isoformat())
        sanction.add("startDate", d.designated.isoformat())
        if d.delisted is not None:
            sanction.add("endDate", d.delisted.isoformat())
            sanction.add("description", f"Delisted: {d.delisting_reason}")
        sanction.add("status", d.status)
        sanction.add("provisions", list(program.provisions_for(d.schema)))
        sanction.add("reason", d.basis)
        sanction.add("summary", d.grounds)
        return Record(dataset=DATASET, source_id=d.id, target=target, adjacent=[sanction])


# --------------------------------------------------------------------------------------------
# loading and validation


def program_code(tag: str, registry: Registry | None = None) -> str:
    """The registry's code for a list's program tag (``ICCP-EO13928`` -> ``ICC-EO13928``), else the tag."""
    prog = (registry or _packaged()).program_for_tag(tag)
    return prog.code if prog is not None else tag


@lru_cache(maxsize=1)
def _packaged() -> Registry:
    return load_registry()


def default_path() -> Path:
    """Where the packaged ``icc.yaml`` lives on disk."""
    return Path(str(resources.files(__name__).joinpath("icc.yaml")))


def packaged_checksum() -> str:
    """The checksum ``load_registry()`` gives the packaged registry, without parsing it (a store that
    has this version in force need not build its records: ``Store.ensure_registry``)."""
    return hashlib.sha256(resources.files(__name__).joinpath("icc.yaml").read_bytes()).hexdigest()


def load_registry(path: Path | None = None) -> Registry:
    """Read and validate a registry file (the packaged ``icc.yaml`` by default).

    Raises ``RegistryError`` (a ``ValueError``) naming the file and the offending entry.
    """
    if path is None:
        blob = resources.files(__name__).joinpath("icc.yaml").read_bytes()
        # a stable label, not the install path, so the same data reads the same everywhere
        source = PACKAGED_SOURCE
    else:
        blob = Path(path).read_bytes()
        source = str(path)
    try:
        data = yaml.safe_load(blob)
    except yaml.YAMLError as exc:
        raise RegistryError(source, f"not valid YAML: {exc}") from exc
    root = _Node(source, "top level", data)
    return _build(root, source, hashlib.sha256(blob).hexdigest())


class _Node:
    """A mapping from the YAML with typed, checked accessors; errors name the entry."""

    def __init__(self, source: str, where: str, data: Any) -> None:
        self.source = source
        self.where = where
        if not isinstance(data, Mapping):
            raise self.error(f"expected a mapping, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self.used: set[str] = set()

    def error(self, reason: str) -> RegistryError:
        return RegistryError(self.source, reason, self.where)

    def _get(self, key: str, required: bool) -> Any:
        self.used.add(key)
        value = self.data.get(key)
        if value is None and required:
            raise self.error(f"missing {key!r}")
        return value

    def str_(self, key: str, required: bool = True) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(f"{key!r} must be text, got {value!r}")
        text = " ".join(str(value).split())
        if not text:
            if required:
                raise self.error(f"{key!r} is empty")
            return None
        return text

    def req_str(self, key: str) -> str:
        value = self.str_(key, required=True)
        assert value is not None
        return value

    def date_(self, key: str, required: bool = True) -> date | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, datetime):
            raise self.error(f"{key!r} must be a date, not a datetime: {value!r}")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.error(f"{key!r} must be an ISO date (YYYY-MM-DD), got {value!r}")

    def req_date(self, key: str) -> date:
        value = self.date_(key, required=True)
        assert value is not None
        return value

    def datetime_(self, key: str) -> datetime | None:
        """A timezone-aware datetime: ``{local: ..., tz: <IANA zone>}`` or an ISO string with offset."""
        value = self._get(key, False)
        if value is None:
            return None
        if isinstance(value, Mapping):
            node = self.child(key, value)
            local = node.req_str("local")
            zone = node.req_str("tz")
            node.done()
            try:
                tz = ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise node.error(f"unknown time zone {zone!r}") from exc
            try:
                naive = datetime.fromisoformat(local)
            except ValueError as exc:
                raise node.error(f"'local' must be an ISO date-time, got {local!r}") from exc
            if naive.tzinfo is not None:
                raise node.error("'local' must not carry an offset when 'tz' is given")
            return naive.replace(tzinfo=tz)
        parsed: datetime | None = None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                parsed = None
        if parsed is None:
            raise self.error(f"{key!r} must be a date-time, got {value!r}")
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise self.error(f"{key!r} must be timezone-aware, got {value!r}")
        return parsed

    def bool_(self, key: str, default: bool) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(f"{key!r} must be true or false, got {value!r}")
        return value

    def strs(self, key: str, required: bool = False) -> tuple[str, ...]:
        value = self._get(key, required)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.error(f"{key!r} must be a list of text")
        out = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                raise self.error(f"{key!r} must be a list of text, got item {item!r}")
            text = " ".join(str(item).split())
            if text:
                out.append(text)
        if required and not out:
            raise self.error(f"{key!r} is empty")
        return tuple(out)

    def child(self, key: str, value: Any, label: str | None = None) -> _Node:
        return _Node(self.source, f"{self.where}, {label or key}", value)

    def children(self, key: str) -> Iterator[tuple[int, Any]]:
        value = self._get(key, False)
        if value is None:
            return
        if not isinstance(value, list):
            raise self.error(f"{key!r} must be a list")
        yield from enumerate(value)

    def mapping(self, key: str, required: bool = True) -> _Node | None:
        value = self._get(key, required)
        if value is None:
            return None
        return self.child(key, value)

    def done(self) -> None:
        unknown = sorted(str(k) for k in self.data if k not in self.used)
        if unknown:
            raise self.error(f"unknown field(s): {', '.join(unknown)}")

    def uncertainty(self) -> tuple[bool, tuple[str, ...]]:
        verified = self.bool_("verified", True)
        uncertain = self.strs("uncertain")
        if not verified and not uncertain:
            raise self.error("'verified: false' needs an 'uncertain' note saying what is not confirmed")
        return verified, uncertain


def _entry_label(kind: str, raw: Any, key: str, index: int) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get(key), str | int) and str(raw.get(key)).strip():
        return f"{kind} {str(raw[key]).strip()!r}"
    return f"{kind} #{index + 1}"


def _fr(node: _Node | None) -> FederalRegisterCitation | None:
    if node is None:
        return None
    verified, uncertain = node.uncertainty()
    cit = FederalRegisterCitation(
        citation=node.req_str("citation"),
        fr_doc=node.str_("fr_doc", False),
        pages=node.str_("pages", False),
        published=node.date_("published", False),
        effective=node.date_("effective", False),
        verified=verified,
        uncertain=uncertain,
    )
    if cit.published is None and cit.effective is None and verified:
        raise node.error("needs a 'published' or 'effective' date, or 'verified: false' saying why not")
    node.done()
    return cit


def _regulation(node: _Node) -> Regulation:
    issued = _fr(node.mapping("issued"))
    assert issued is not None
    reg = Regulation(
        cfr=node.req_str("cfr"),
        title=node.req_str("title"),
        issued=issued,
        removed=_fr(node.mapping("removed", False)),
        sources=node.strs("sources", required=True),
    )
    node.done()
    return reg


def _revocation(node: _Node | None) -> Revocation | None:
    if node is None:
        return None
    verified, uncertain = node.uncertainty()
    del verified
    rev = Revocation(
        instrument=node.req_str("instrument"),
        title=node.req_str("title"),
        signed=node.req_date("signed"),
        citation=node.str_("citation", False),
        federal_register=_fr(node.mapping("federal_register", False)),
        notes=node.strs("notes"),
        sources=node.strs("sources", required=True),
        uncertain=uncertain,
    )
    node.done()
    return rev


def _license(node: _Node) -> License:
    verified, uncertain = node.uncertainty()
    lic = License(
        number=node.req_str("number"),
        kind=node.req_str("kind"),
        title=node.str_("title", False),
        issued=node.date_("issued", False),
        expires=node.datetime_("expires"),
        expires_confirmed=node.bool_("expires_confirmed", True),
        designees=node.strs("designees"),
        licensee=node.str_("licensee", False),
        federal_register=_fr(node.mapping("federal_register", False)),
        covers=node.strs("covers"),
        authorizes=node.strs("authorizes"),
        authorizes_source=node.str_("authorizes_source", False),
        sources=node.strs("sources", required=True),
        verified=verified,
        uncertain=uncertain,
    )
    node.done()
    kinds = set(lic.authorizes) - LICENSE_AUTHORIZATIONS
    if kinds:
        known = ", ".join(sorted(LICENSE_AUTHORIZATIONS))
        raise node.error(f"authorizes {', '.join(sorted(kinds))}: not one of {known}")
    if lic.covers and not lic.authorizes:
        raise node.error("a licence whose purposes are known must say what it authorizes")
    if lic.authorizes and not lic.authorizes_source:
        raise node.error("'authorizes' needs an 'authorizes_source' saying where that reading comes from")
    if "wind_down" in lic.authorizes and lic.expires is None:
        # a wind-down ends: one whose end is not known is given the safer reading of it, marked
        # 'expires_confirmed: false', never left to authorise indefinitely
        raise node.error(
            "a wind-down licence needs 'expires' (when OFAC's is not known, the earliest reading, "
            "with 'expires_confirmed: false')"
        )
    if not lic.expires_confirmed and (lic.expires is None or verified):
        raise node.error("'expires_confirmed: false' needs 'expires' and 'verified: false' saying why")
    unknown = set(lic.covers) - LICENSE_PURPOSES
    if unknown:
        known = ", ".join(sorted(LICENSE_PURPOSES))
        raise node.error(f"covers {', '.join(sorted(unknown))}: not one of {known}")
    if lic.kind not in LICENSE_KINDS:
        raise node.error(f"kind {lic.kind!r} is not one of {', '.join(sorted(LICENSE_KINDS))}")
    if lic.title is None and verified:
        raise node.error("a licence without a title must be marked 'verified: false'")
    if lic.issued is not None and lic.expires is not None and lic.expires.date() < lic.issued:
        raise node.error(f"expires {lic.expires.isoformat()} before it was issued ({lic.issued})")
    return lic


def _program(node: _Node) -> Program:
    verified, uncertain = node.uncertainty()
    fr = _fr(node.mapping("federal_register"))
    assert fr is not None
    regulations = tuple(
        _regulation(node.child("regulations", raw, _entry_label("regulation", raw, "cfr", i)))
        for i, raw in node.children("regulations")
    )
    licenses = tuple(
        _license(node.child("licenses", raw, _entry_label("licence", raw, "number", i)))
        for i, raw in node.children("licenses")
    )
    prog = Program(
        code=node.req_str("code"),
        title=node.req_str("title"),
        instrument=node.req_str("instrument"),
        signed=node.req_date("signed"),
        federal_register=fr,
        authorities=node.strs("authorities", required=True),
        designating_official=node.req_str("designating_official"),
        implementing_agency=node.req_str("implementing_agency"),
        criteria=node.strs("criteria", required=True),
        effects=node.strs("effects", required=True),
        provisions=node.strs("provisions", required=True),
        person_provisions=node.strs("person_provisions"),
        family_entry_suspension=node.bool_("family_entry_suspension", False),
        regulations=regulations,
        start_date=node.req_date("start_date"),
        end_date=node.date_("end_date", False),
        revocation=_revocation(node.mapping("revocation", False)),
        licenses=licenses,
        sources=node.strs("sources", required=True),
        verified=verified,
        uncertain=uncertain,
        ofac_tags=node.strs("ofac_tags"),
    )
    node.done()
    if prog.ofac_tags and prog.verified:
        raise node.error("'ofac_tags' not confirmed in OFAC's files need 'verified: false' saying so")
    if prog.start_date < prog.signed:
        raise node.error(f"start_date {prog.start_date} is before the order was signed ({prog.signed})")
    if prog.end_date is not None and prog.end_date <= prog.start_date:
        raise node.error(f"end_date {prog.end_date} is not after start_date {prog.start_date}")
    if (prog.end_date is None) != (prog.revocation is None):
        raise node.error("'end_date' and 'revocation' go together: give both or neither")
    numbers = [lic.number for lic in licenses]
    dupes = sorted({n for n in numbers if numbers.count(n) > 1})
    if dupes:
        raise node.error(f"duplicate licence number(s): {', '.join(dupes)}")
    return prog


def _birth(node: _Node | None) -> Birth | None:
    if node is None:
        return None
    verified, uncertain = node.uncertainty()
    birth = Birth(
        kind=node.req_str("kind"),
        date=node.date_("date", False),
        place=node.str_("place", False),
        sources=node.strs("sources", required=True),
        verified=verified,
        uncertain=uncertain,
    )
    node.done()
    if birth.kind not in BIRTH_KINDS:
        raise node.error(f"kind {birth.kind!r} is not one of {', '.join(sorted(BIRTH_KINDS))}")
    if birth.date is None and birth.place is None:
        raise node.error("needs a 'date' or a 'place'")
    return birth


def _aliases(node: _Node) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The aliases (text, or ``{name, sources, verified, uncertain}``) and a note for each unconfirmed one."""
    names: list[str] = []
    notes: list[str] = []
    for i, raw in node.children("aliases"):
        if isinstance(raw, str):
            text = " ".join(raw.split())
            if text:
                names.append(text)
            continue
        if not isinstance(raw, Mapping):
            raise node.error(f"alias #{i + 1} must be text or a mapping with a 'name'")
        one = node.child("aliases", raw, _entry_label("alias", raw, "name", i))
        verified, uncertain = one.uncertainty()
        name = one.req_str("name")
        sources = one.strs("sources", required=True)
        one.done()
        names.append(name)
        if not verified:
            notes.append(
                f"Alias {name!r} is screened but not confirmed on the list entry "
                f"(source: {'; '.join(sources)}): {' '.join(uncertain)}"
            )
    return tuple(names), tuple(notes)


def _designation(node: _Node, programs: Mapping[str, Program], as_of: date) -> Designation:
    verified, uncertain = node.uncertainty()
    aliases, alias_notes = _aliases(node)
    d = Designation(
        id=node.req_str("id"),
        schema=node.req_str("schema"),
        name=node.req_str("name"),
        category=node.req_str("category"),
        program=node.req_str("program"),
        designated=node.req_date("designated"),
        basis=node.req_str("basis"),
        sources=node.strs("sources", required=True),
        first_name=node.str_("first_name", False),
        last_name=node.str_("last_name", False),
        aliases=aliases,
        alias_notes=alias_notes,
        role=node.str_("role", False),
        nationality=node.str_("nationality", False),
        country=node.str_("country", False),
        location=node.str_("location", False),
        gender=node.str_("gender", False),
        birth=_birth(node.mapping("birth", False)),
        grounds=node.str_("grounds", False),
        delisted=node.date_("delisted", False),
        delisting_reason=node.str_("delisting_reason", False),
        verified=verified,
        uncertain=uncertain,
    )
    node.done()
    if not _ID_RE.match(d.id):
        raise node.error(f"id {d.id!r} must look like 'icc-<lowercase-slug>'")
    if d.schema not in SCHEMATA:
        raise node.error(f"schema {d.schema!r} is not one of {', '.join(sorted(SCHEMATA))}")
    if d.category not in CATEGORIES:
        raise node.error(f"category {d.category!r} is not one of {', '.join(sorted(CATEGORIES))}")
    if d.schema != "Person":
        person_only = {
            "first_name": d.first_name,
            "last_name": d.last_name,
            "nationality": d.nationality,
            "gender": d.gender,
            "birth": d.birth,
        }
        given = sorted(k for k, v in person_only.items() if v is not None)
        if given:
            raise node.error(f"{', '.join(given)} only apply to a Person, not a {d.schema}")
    program = programs.get(d.program)
    if program is None:
        raise node.error(f"unknown program {d.program!r}; known: {', '.join(sorted(programs))}")
    if d.designated > as_of:
        raise node.error(f"designated {d.designated} is after the registry's as_of date {as_of}")
    if not program.active_on(d.designated):
        raise node.error(
            f"designated {d.designated} outside program {program.code} "
            f"({program.start_date} to {program.end_date or 'now'})"
        )
    if d.delisted is not None:
        if d.delisted < d.designated:
            raise node.error(f"delisted {d.delisted} before designated {d.designated}")
        if d.delisted == d.designated:
            raise node.error(f"delisted on the day of designation ({d.designated})")
        if d.delisted > as_of:
            raise node.error(f"delisted {d.delisted} is after the registry's as_of date {as_of}")
        if d.delisting_reason is None:
            raise node.error("a delisting needs a 'delisting_reason'")
    elif d.delisting_reason is not None:
        raise node.error("'delisting_reason' given without a 'delisted' date")
    elif program.end_date is not None:
        raise node.error(f"still active, but program {program.code} ended on {program.end_date}")
    return d


def _build(root: _Node, source: str, checksum: str) -> Registry:
    as_of = root.req_date("as_of")
    notes = root.strs("notes")
    programs: dict[str, Program] = {}
    for i, raw in root.children("programs"):
        prog = _program(root.child("programs", raw, _entry_label("program", raw, "code", i)))
        if prog.code in programs:
            raise root.error(f"program {prog.code!r} is given twice")
        if prog.start_date > as_of:
            raise root.error(f"program {prog.code!r} starts after the as_of date {as_of}")
        programs[prog.code] = prog
    if not programs:
        raise root.error("no programs")
    designations: list[Designation] = []
    seen: set[str] = set()
    for i, raw in root.children("designations"):
        node = root.child("designations", raw, _entry_label("designation", raw, "id", i))
        d = _designation(node, programs, as_of)
        if d.id in seen:
            raise node.error(f"id {d.id!r} is given twice")
        seen.add(d.id)
        designations.append(d)
    root.done()
    for prog in programs.values():
        for lic in prog.licenses:
            for designee in lic.designees:
                if designee not in seen:
                    raise RegistryError(
                        source,
                        f"designee {designee!r} is not a designation in this registry",
                        f"program {prog.code!r}, licence {lic.number!r}",
                    )
                if next(d for d in designations if d.id == designee).program != prog.code:
                    raise RegistryError(
                        source,
                        f"designee {designee!r} is not designated under {prog.code}",
                        f"program {prog.code!r}, licence {lic.number!r}",
                    )
    return Registry(
        source=source,
        checksum=checksum,
        as_of=as_of,
        programs=programs,
        designations=designations,
        notes=notes,
    )
