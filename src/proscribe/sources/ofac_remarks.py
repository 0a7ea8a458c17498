"""Parse the Remarks column of OFAC's legacy delimited files into structured facts.

OFAC packs most of what it knows about a listing into one free-text column: dates and
places of birth, nationalities, identity documents, vessel and aircraft particulars,
crypto wallets, weak aliases, links to other listings, and notes on the sanction itself.
The text is a list of clauses separated by ``;`` and ended by ``.``::

    DOB 15 Jan 1955; POB Egypt; Passport 304555 (Egypt); a.k.a. 'ABU HAFS'.

Everything here is a pure function: text in, facts out. Nothing in this module builds
FollowTheMoney entities; ``ofac_csv`` turns the facts into properties and adjacent
entities. Each clause is classified into a *kind* (``"dob"``, ``"document"``, ...); a
clause no rule recognises keeps ``kind=None`` so the importer can measure what share of
the column it understands and report what is left.

The patterns were written against the July 2021 SDN snapshot (32,700 clauses); the
leading words of each clause kind were counted before any rule was written.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from followthemoney import registry

__all__ = [
    "Clause",
    "Document",
    "Fact",
    "Prop",
    "Relation",
    "SanctionNote",
    "Wallet",
    "WeakAlias",
    "country_code",
    "expand_date_range",
    "parse_clause",
    "parse_date",
    "parse_dob",
    "parse_remarks",
    "split_clauses",
]

# ---------------------------------------------------------------------------------------
# Facts


@dataclass(frozen=True)
class Prop:
    """A value for one FollowTheMoney property of the listed target (``birthDate``, ...)."""

    prop: str
    value: str


@dataclass(frozen=True)
class SanctionNote:
    """Text about the sanction rather than the target (secondary sanctions, directives)."""

    text: str


@dataclass(frozen=True)
class Document:
    """An identity or registration document: becomes a Passport or Identification entity."""

    schema: Literal["Passport", "Identification"]
    #: the kind of document as OFAC names it, e.g. "Cedula No.", "R.F.C."
    doc_type: str
    number: str
    #: the country as printed (normalised to a code by the importer)
    country: str | None = None
    #: FtM date prefixes
    issued: str | None = None
    expires: str | None = None
    #: the target property that also carries the number (``passportNumber``, ``taxNumber``, ...)
    prop: str | None = None
    #: anything after the number and dates that could not be placed ("issued in Amman")
    remark: str | None = None


@dataclass(frozen=True)
class Wallet:
    """A digital currency address (``Digital Currency Address - XBT 1abc...``)."""

    currency: str
    address: str


@dataclass(frozen=True)
class Relation:
    """A named relation to another party, resolved against the list by the importer.

    ``kind`` is ``link`` (Linked To, Subsidiary Of, Owned By, Associated with),
    ``family`` (wife of, son of, ...), ``operator`` (aircraft operator) or ``owner``.
    """

    kind: Literal["link", "family", "operator", "owner"]
    role: str
    name: str


@dataclass(frozen=True)
class WeakAlias:
    """A name OFAC gives in the remarks (``a.k.a. 'X'``): a weak alias, kept apart."""

    kind: Literal["aka", "fka", "nka", "dba"]
    name: str


Fact = Prop | SanctionNote | Document | Wallet | Relation | WeakAlias


@dataclass(frozen=True)
class Clause:
    """One clause of the remarks, what kind it is, and the facts read from it."""

    text: str
    #: the kind of clause (``dob``, ``document``, ...), or None when no rule recognised it
    kind: str | None
    facts: tuple[Fact, ...] = ()
    #: True for the ``alt.`` variants ("alt. DOB 1961")
    alt: bool = False

    @property
    def understood(self) -> bool:
        return self.kind is not None

    @property
    def leading_word(self) -> str:
        """The first word, the way clause kinds are counted in the importer's statistics."""
        words = _ALT_PREFIX.sub("", self.text).split()
        return words[0].strip(":,.()") if words else ""


# ---------------------------------------------------------------------------------------
# Splitting

# Weak aliases quote the name in apostrophes, and names contain apostrophes themselves
# ("a.k.a. 'ABU-'UMAR'"), so the quote only ends at an apostrophe followed by the end of
# the clause. Inside it a ``;`` does not end the clause.
_ALIAS_OPEN = re.compile(r"(?:[afn]\.k\.a\.|d\.b\.a\.)\s*'", re.IGNORECASE)
_ALIAS_CLOSE = re.compile(r"'(?=\s*(?:;|\.?\s*$|\.\s*;))")


def split_clauses(text: str) -> list[str]:
    """Split a Remarks text into clauses.

    ``;`` separates clauses except inside parentheses (OFAC sometimes puts a whole
    sub-list in brackets) and inside a quoted weak alias. The single full stop that ends
    the whole text is removed; full stops that end a clause inside the text are kept,
    because they may belong to a name ("Linked To: X S.A."). If the brackets do not
    balance, the text is split at every ``;`` rather than swallowed as one clause.
    """
    text = text.strip()
    if text.endswith("."):
        text = text[:-1]
    clauses: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(depth - 1, 0)
        elif ch == ";" and depth == 0:
            clauses.append(text[start:i])
            start = i + 1
        elif ch in "afndAFND" and (m := _ALIAS_OPEN.match(text, i)) and _at_clause_start(text, start, i):
            close = _ALIAS_CLOSE.search(text, m.end())
            if close is not None:
                i = close.end()
                continue
        i += 1
    clauses.append(text[start:])
    if depth > 0:
        clauses = text.split(";")
    return [c.strip() for c in clauses if c.strip()]


def _at_clause_start(text: str, start: int, i: int) -> bool:
    prefix = text[start:i].strip().lower()
    return prefix in ("", "alt.")


# ---------------------------------------------------------------------------------------
# Dates

_MONTHS: dict[str, int] = {}
for _num in range(1, 13):
    _MONTHS[calendar.month_name[_num].lower()] = _num
    _MONTHS[calendar.month_abbr[_num].lower()] = _num
_MONTHS["sept"] = 9

_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = re.compile(rf"(\d{{1,2}})\s+({_MONTH_RE})\.?,?\s+(\d{{4}})", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"({_MONTH_RE})\.?,?\s+(\d{{4}})", re.IGNORECASE)
_YEAR = re.compile(r"(\d{4})")
#: a date at the start of a text, in any of the forms above
_DATE_AT_START = re.compile(
    rf"\d{{1,2}}\s+(?:{_MONTH_RE})\.?,?\s+\d{{4}}|(?:{_MONTH_RE})\.?,?\s+\d{{4}}|\d{{4}}\b", re.IGNORECASE
)

#: ranges wider than this many years are kept as their two ends only
MAX_RANGE_YEARS = 20


def parse_date(text: str) -> str | None:
    """A date as an FtM date prefix: "01 Jan 1961" -> "1961-01-01", "Jan 1961" -> "1961-01",
    "1961" -> "1961". Full month names are accepted. Returns None for anything else,
    including impossible days ("31 Feb 1960")."""
    t = text.strip().rstrip(".").strip()
    if m := _DAY_MONTH_YEAR.fullmatch(t):
        day, month, year = int(m.group(1)), _MONTHS[m.group(2).lower()], int(m.group(3))
        if not 1 <= day <= calendar.monthrange(year, month)[1]:
            return None
        return f"{year:04d}-{month:02d}-{day:02d}"
    if m := _MONTH_YEAR.fullmatch(t):
        return f"{int(m.group(2)):04d}-{_MONTHS[m.group(1).lower()]:02d}"
    if m := _YEAR.fullmatch(t):
        return m.group(1)
    return None


def expand_date_range(start: str, end: str) -> list[str]:
    """The date prefixes that cover a range, at month precision, whole years collapsed.

    OFAC writes uncertain birth dates as ranges ("DOB 1961 to 1963", "DOB 01 Jan 1980 to
    31 Dec 1982", "DOB Mar 1962 to Feb 1963"). FtM dates are prefixes, so a range becomes
    the list of prefixes a date in it starts with: every year it fully covers, else every
    month. Day precision at the ends is given up (a date inside the first or last month
    still matches), which errs on the side of screening. A reversed range, or one wider
    than ``MAX_RANGE_YEARS``, is kept as its two ends.
    """
    y1, m1 = int(start[:4]), int(start[5:7]) if len(start) >= 7 else 1
    y2, m2 = int(end[:4]), int(end[5:7]) if len(end) >= 7 else 12
    if (y2, m2) < (y1, m1) or y2 - y1 > MAX_RANGE_YEARS:
        return [start, end]
    out: list[str] = []
    for year in range(y1, y2 + 1):
        first = m1 if year == y1 else 1
        last = m2 if year == y2 else 12
        if first == 1 and last == 12:
            out.append(f"{year:04d}")
        else:
            out.extend(f"{year:04d}-{month:02d}" for month in range(first, last + 1))
    return out


_CIRCA = re.compile(r"^(?:circa|approximately|approx\.|about|ca\.)\s+", re.IGNORECASE)
_YEAR_SPAN = re.compile(r"(\d{4})\s*-\s*(\d{4})")


def parse_dob(text: str) -> list[str]:
    """Birth dates from the value of a DOB clause, as FtM date prefixes.

    Handles exact dates, month-year, year, "circa" (kept as the stated date: FtM has no
    notion of approximate dates, and matchers already tolerate a year's difference) and
    ranges "X to Y" / "1979-1982" (see ``expand_date_range``). Returns [] if not a date.
    """
    t = _CIRCA.sub("", text.strip().rstrip(".").strip())
    if m := _YEAR_SPAN.fullmatch(t):
        return expand_date_range(m.group(1), m.group(2))
    if " to " in t:
        left, _, right = t.partition(" to ")
        start, end = parse_date(left), parse_date(right)
        if start is None or end is None:
            return []
        return expand_date_range(start, end)
    date = parse_date(t)
    return [date] if date else []


# ---------------------------------------------------------------------------------------
# Clause rules

_ALT_PREFIX = re.compile(r"^alt\.\s*", re.IGNORECASE)

Handler = Callable[["re.Match[str]", str], "tuple[Fact, ...] | None"]


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    handler: Handler
    #: only applied to targets of these schemata (None: all)
    schemata: frozenset[str] | None = None


_RULES: list[_Rule] = []


def _rule(kind: str, pattern: str, schemata: Sequence[str] | None = None) -> Callable[[Handler], Handler]:
    """Register a clause rule; rules are tried in the order they are defined."""

    def register(fn: Handler) -> Handler:
        compiled = re.compile(pattern, re.IGNORECASE | re.DOTALL)
        _RULES.append(_Rule(kind, compiled, fn, frozenset(schemata) if schemata else None))
        return fn

    return register


def _clean(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip().strip(";,").strip()


def _props(prop: str, *values: str) -> tuple[Fact, ...] | None:
    facts = tuple(Prop(prop, _clean(v)) for v in values if _clean(v))
    return facts or None


# --- names -------------------------------------------------------------------------------

_ALIAS_KINDS: dict[str, Literal["aka", "fka", "nka", "dba"]] = {
    "a.k.a.": "aka",
    "f.k.a.": "fka",
    "n.k.a.": "nka",
    "d.b.a.": "dba",
}


@_rule("weak_alias", r"^([afn]\.k\.a\.|d\.b\.a\.)\s*'(.+)'$")
def _weak_alias(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    name = _clean(m.group(2))
    return (WeakAlias(_ALIAS_KINDS[m.group(1).lower()], name),) if name else None


# --- birth, nationality, gender ---------------------------------------------------------


@_rule("dob", r"^(?:DOB|Date of Birth)\s*:?\s+(.+)$")
def _dob(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("birthDate", *parse_dob(m.group(1)))


@_rule("pob", r"^(?:POB|Place of Birth)\s*:?\s+(.+)$")
def _pob(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    place = _clean(m.group(1))
    facts: list[Fact] = [Prop("birthPlace", place)]
    # the last comma-separated part of a place of birth is usually its country
    country = _country_of(place.split(",")[-1])
    if country is not None:
        facts.append(Prop("birthCountry", country))
    return tuple(facts)


@_rule("nationality_of_registration", r"^Nationality of Registration\s+(.+)$")
def _registration_country(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # a vessel's flag; an aircraft's country of registration; an organisation's jurisdiction
    prop = {"Vessel": "flag", "Airplane": "country"}.get(schema, "jurisdiction")
    return _props(prop, m.group(1)) if _country_of(m.group(1)) else None


@_rule("nationality", r"^(nationality|citizen|citizenship)\s*:?\s+(?:possibly\s+)?(.+)$")
def _nationality(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    prop = "nationality" if m.group(1).lower() == "nationality" else "citizenship"
    value = _clean(m.group(2))
    return (Prop(prop, value),) if _country_of(value) else None


@_rule("gender", r"^Gender\s*:?\s+(Male|Female)$")
def _gender(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return (Prop("gender", m.group(1).lower()),)


@_rule("ethnicity", r"^(?:ethnicity|Tribe|Subtribe)\s*:?\s+(.+)$")
def _ethnicity(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("ethnicity", m.group(1))


@_rule(
    "ethnicity",
    r"^(Kurdish|Bosnian Serb|Bosnian Croat|Pashtun|Hazara|Tajik|Uzbek|Baloch|Arab)$",
    schemata=["Person"],
)
def _bare_ethnicity(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # a bare people's name on a person is an ethnicity ("Kurdish"), never a nationality
    return _props("ethnicity", m.group(1))


@_rule("country", r"^([A-Z][A-Za-z ,.'()-]+)$", schemata=["Organization"])
def _bare_country(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # an organisation's remark that is only a country name ("Switzerland")
    return _props("country", m.group(1)) if country_code(m.group(1)) else None


@_rule("height", r"^(?:Individual's\s+)?height\s+(?:is\s+)?(.+?)\.?$")
def _height(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # FtM ``height`` is a number in centimetres; OFAC gives feet and inches
    if feet := re.fullmatch(r"(\d)\s+feet\s+(\d{1,2})\s+inch(?:es)?", _clean(m.group(1))):
        cm = round((int(feet.group(1)) * 12 + int(feet.group(2))) * 2.54)
        return (Prop("height", str(cm)),)
    return None


# --- contact ------------------------------------------------------------------------------

_EMAIL = r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
_URL = r"(?:https?://|www\.)\S+"


@_rule("email", rf"^(?:Email Address|E-?mail)\s*:?\s*({_EMAIL})$")
def _email(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("email", m.group(1))


@_rule("email", rf"^({_EMAIL})(?:\s+\(email\))?$")
def _bare_email(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("email", m.group(1))


@_rule("website", r"^(?:Website|Web site|URL)\s*:?\s+(\S+?)\.?(?:\s+(.+))?$")
def _website(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # "Website www.alturath.org. Revival of Islamic Heritage Society Offices Worldwide"
    facts = _props("website", m.group(1))
    if facts and m.group(2):
        return (*facts, Prop("notes", _clean(m.group(2))))
    return facts


@_rule("website", rf"^({_URL})(?:\s+\(website\))?$")
def _bare_website(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("website", m.group(1).rstrip("."))


_PHONE_LABEL = r"(?:Phone|Telephone|Tel\.?|Fax|Facsimile)(?:\s+(?:Number|No\.?))?"


@_rule("phone", rf"^{_PHONE_LABEL}\s*:?\s*(\+?[\d(][\d\s()./-]*(?:ext\.\s*\d+)?)$")
def _phone(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # several numbers may share one clause: "FAX 850 2 381 4431/4432" stays one value;
    # the importer normalises or keeps the raw text
    return _props("phone", m.group(1))


@_rule("telex", r"^(?:TELEX|TGMS|Cable)\s*:?\s+(.+)$")
def _telex(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # telex and telegraph addresses have no FtM property: kept as a note
    return _props("notes", m.group(0))


# --- crypto -------------------------------------------------------------------------------


@_rule("crypto_wallet", r"^Digital Currency Address\s*-\s*([A-Z0-9]{2,6})\s*:?\s+(\S+)$")
def _wallet(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return (Wallet(m.group(1).upper(), m.group(2)),)


# --- vessels and aircraft -------------------------------------------------------------


_IMO_LABEL = r"(?:Vessel Registration Identification|International Maritime Organization(?: No\.?)?)"


@_rule("vessel_imo", rf"^{_IMO_LABEL}\s+(?:IMO\s*)?\(?(\d+)\)?$")
def _imo(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # IMO numbers have seven digits; anything else OFAC calls a registration is kept as one
    if len(m.group(1)) == 7:
        return (Prop("imoNumber", f"IMO{m.group(1)}"),)
    return (Prop("registrationNumber", m.group(1)),)


@_rule("vessel_mmsi", r"^MMSI\s*:?\s+(\d{9})$")
def _mmsi(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return (Prop("mmsi", m.group(1)),)


@_rule("vessel_flag", r"^(Former|Other|Previous)\s+Vessel\s+Flag\s+(.+)$")
def _vessel_flag(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    prop = "flag" if m.group(1).lower() == "other" else "pastFlags"
    value = _clean(m.group(2))
    if value.lower() in ("none identified", "unknown"):
        # OFAC records that a former flag could not be identified: nothing to keep
        return (Prop("notes", m.group(0)),)
    return (Prop(prop, value),) if _country_of(value) else None


@_rule("vessel_call_sign", r"^(?:Other|Former|Previous)\s+Vessel\s+Call\s+Sign\s+(\S+)$")
def _vessel_call_sign(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("callSign", m.group(1))


@_rule("vessel_type", r"^(Other|Former|Previous)\s+Vessel\s+Type\s+(.+)$")
def _vessel_type(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("type" if m.group(1).lower() == "other" else "pastTypes", m.group(2))


@_rule("vessel_build", r"^Vessel Year of Build\s+(.+)$")
def _vessel_build(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    date = parse_date(m.group(1))
    return (Prop("buildDate", date),) if date else None


@_rule(
    "aircraft_serial",
    r"^Aircraft (?:Manufacturer'?s Serial Number(?:\s*\(MSN\))?|Serial Identification)\s*:?\s+(.+)$",
)
def _aircraft_msn(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("serialNumber", m.group(1))


@_rule("aircraft_serial", r"^Aircraft Construction Number(?:\s*\([^)]*\))?\s*:?\s+(.+)$")
def _aircraft_construction(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # OFAC names it "also called L/N or S/N or F/N": the builder's own serial for the airframe
    return _props("serialNumber", m.group(1))


@_rule("aircraft_build", r"^Aircraft Manufacture Date\s+(.+)$")
def _aircraft_build(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    date = parse_date(m.group(1))
    return (Prop("buildDate", date),) if date else None


@_rule("aircraft_model", r"^Aircraft Model\s+(.+)$")
def _aircraft_model(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("model", m.group(1))


@_rule("aircraft_operator", r"^Aircraft Operator\s+(.+)$")
def _aircraft_operator(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return (Relation("operator", "Aircraft Operator", _clean(m.group(1))),)


@_rule("aircraft_tail", r"^Aircraft Tail Number\s+(\S+)$")
def _aircraft_tail(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("registrationNumber", m.group(1))


@_rule("aircraft_tail", r"^(?:Previous|Former) Aircraft Tail Number\s+(\S+)$")
def _aircraft_previous_tail(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # an aircraft is listed under its tail number, so an earlier one is an earlier name
    return _props("previousName", m.group(1))


@_rule("aircraft_transponder", r"^Aircraft Mode S Transponder Code\s+(\S+)$")
def _aircraft_transponder(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # the 24-bit ICAO address; FtM's ``icaoCode`` is the type designator, so: a note
    return (Prop("notes", m.group(0)),)


# --- relations -----------------------------------------------------------------------------


_LINK_ROLES = (
    r"Linked To|Subsidiary Of|Owned By|Owned or Controlled By|Parent Company"
    r"|Associated with|Assocated with|Affiliated with"
)


@_rule("link", rf"^({_LINK_ROLES})\s*:?\s+(.+)$")
def _link(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    role = m.group(1)
    if role.lower() == "assocated with":  # OFAC's own typo, once
        role = "Associated with"
    return (Relation("link", role, _clean(m.group(2))),)


_RELATIVES = (
    r"(?:half-|step-)?(?:brother|sister|son|daughter|father|mother|child|nephew|niece|cousin|uncle|aunt)"
    r"(?:-in-law)?|wife|husband|spouse|grandson|granddaughter"
)


@_rule("family", rf"^({_RELATIVES}) of (.+)$", schemata=["Person"])
def _family(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return (Relation("family", m.group(1).lower(), _clean(m.group(2))),)


_RANK = r"(?:(?:eldest|oldest|youngest|first|second|third|younger|elder)\s+)?"


@_rule("family", rf"^(.+?)'s\s+{_RANK}({_RELATIVES})$", schemata=["Person"])
def _family_possessive(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return (Relation("family", m.group(2).lower(), _clean(m.group(1))),)


# --- organisations ---------------------------------------------------------------------------


@_rule("established", r"^Organization Established Date\s*:?\s+(.+)$")
def _established(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # the same forms as a date of birth, ranges included ("01 Jan 2015 to 31 Dec 2015")
    return _props("incorporationDate", *parse_dob(m.group(1)))


@_rule("organization_type", r"^Organization Type\s*:\s*(.+)$")
def _organization_type(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("sector", m.group(1))


@_rule("link", r"^Organization\s*:\s*(.+)$", schemata=["Person"])
def _organization_of_person(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # "Organization: Basque Fatherland and Liberty (ETA)" on a person: the group they belong to
    return (Relation("link", "Member of", _clean(m.group(1))),)


@_rule("target_type", r"^Target Type\s*:?\s+(.+)$")
def _target_type(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return _props("classification", m.group(1))


@_rule(
    "offices",
    r"^(?:(?:and\s+)?(?:all|other)\s+(?:other\s+)?(?:offices|locations|branches)\b.*|only\s+.+|.+\s+only)$",
)
def _offices(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    # "all offices worldwide": the designation covers every branch; a note on the target
    return (Prop("notes", m.group(0)),)


# --- the sanction itself ------------------------------------------------------------------

_SANCTION_INFO = (
    r"Additional Sanctions Information\s*-"
    r"|Secondary sanctions risk:"
    r"|Transactions Prohibited For Persons Owned or Controlled By U\.?S\.? Financial Institutions:"
    r"|Executive Order \d+ (?:Directive Determination|information|Determination)"
    r"|CAATSA Section \d+ Information:"
    r"|IFCA Determination\s*-"
    r"|Effective Date \("
    r"|Listing Date \("
    r"|For more information on directives"
    r"|This designation refers to"
)


@_rule("sanction_info", rf"^(?:{_SANCTION_INFO}).*$")
def _sanction_info(m: re.Match[str], schema: str) -> tuple[Fact, ...] | None:
    return (SanctionNote(_clean(m.group(0))),)


# --- identity and registration documents -------------------------------------------------
#
# A document clause is "<label> [No.|Number|#|:] <number> [(<country>)] [issued <date>]
# [expires <date>]". The label decides the entity (Passport or Identification) and the
# target property that also carries the number. Labels are listed as OFAC spells them.

_P: Literal["Passport"] = "Passport"
_I: Literal["Identification"] = "Identification"

#: (label pattern, canonical type, schema, target property)
_DOCUMENT_LABELS: list[tuple[str, str, Literal["Passport", "Identification"], str | None]] = [
    (r"Diplomatic Passport", "Diplomatic Passport", _P, "passportNumber"),
    (r"British National Overseas Passport", "British National Overseas Passport", _P, "passportNumber"),
    (r"Stateless Person Passport", "Stateless Person Passport", _P, "passportNumber"),
    (r"Passport Booklet", "Passport Booklet", _P, "passportNumber"),
    (r"Passport(?: Laissez-Passer)?", "Passport", _P, "passportNumber"),
    (r"Travel Document Number", "Travel Document", _I, "idNumber"),
    (r"Seafarer's Identification Document", "Seafarer's Identification Document", _I, "idNumber"),
    (r"SSN", "SSN", _I, "socialSecurityNumber"),
    (r"Social Security Number", "SSN", _I, "socialSecurityNumber"),
    (r"SWIFT/BIC", "SWIFT/BIC", _I, "swiftBic"),
    (r"(?:LEI|Legal Entity Identifier)", "LEI", _I, "leiCode"),
    (r"D-U-N-S Number", "D-U-N-S Number", _I, "dunsCode"),
    (r"(?:United|Unified) Social Credit Code(?: Certificate)?(?:\s*\(USCCC?\))?", "USCC", _I, "uscCode"),
    (r"V\.A\.T\. Number", "V.A.T. Number", _I, "vatCode"),
    (r"Tax ID No\.", "Tax ID No.", _I, "taxNumber"),
    (r"Tax Identification Number", "Tax ID No.", _I, "taxNumber"),
    (r"Paraguayan tax identification number", "Tax ID No.", _I, "taxNumber"),
    (r"Romanian Tax Registration", "Romanian Tax Registration", _I, "taxNumber"),
    (r"NIT\s*#?", "NIT #", _I, "taxNumber"),
    (r"R\.?F\.?C\.?", "R.F.C.", _I, "taxNumber"),
    (r"RUC\s*#?", "RUC #", _I, "taxNumber"),
    (r"RIF\s*#?", "RIF #", _I, "taxNumber"),
    (r"RTN", "RTN", _I, "taxNumber"),
    (r"RSIN", "RSIN", _I, "taxNumber"),
    (r"C\.U\.I\.T\.", "C.U.I.T.", _I, "taxNumber"),
    (r"C\.I\.F\.", "C.I.F.", _I, "taxNumber"),
    (r"US FEIN", "US FEIN", _I, "taxNumber"),
    (r"(?:Italian )?Fiscal Code", "Fiscal Code", _I, "taxNumber"),
    (r"Numero Unico de Identificacao Tributaria \(NUIT\)", "NUIT", _I, "taxNumber"),
    (r"INN", "INN", _I, "innCode"),
    (r"OGRN", "OGRN", _I, "ogrnCode"),
    (r"Cedula(?: No\.)?", "Cedula No.", _I, "idNumber"),
    (r"C\.U\.R\.P\.", "C.U.R.P.", _I, "idNumber"),
    (r"C\.U\.I\.P\.", "C.U.I.P.", _I, "idNumber"),
    (r"C\.U\.I\.", "C.U.I.", _I, "idNumber"),
    (r"D\.N\.I\.", "D.N.I.", _I, "idNumber"),
    (r"N\.I\.E\.", "N.I.E.", _I, "idNumber"),
    (r"I\.F\.E\.", "I.F.E.", _I, "idNumber"),
    (r"CNP \(Personal Numerical Code\)", "CNP", _I, "idNumber"),
    (r"LE Number", "LE Number", _I, "idNumber"),
    (r"Credencial electoral", "Credencial electoral", _I, "idNumber"),
    (r"Electoral Registry", "Electoral Registry No.", _I, "idNumber"),
    (r"Cartilla de Servicio Militar Nacional", "Cartilla de Servicio Militar Nacional", _I, "idNumber"),
    (r"(?:Tazkira )?National ID(?: Card)?", "National ID No.", _I, "idNumber"),
    (r"National Foreign ID Number(?: RNE:)?", "National Foreign ID Number", _I, "idNumber"),
    (
        r"(?:Kenyan|Bosnian Personal|Moroccan Personal|Personal|Stateless Person|Refugee) ID(?: Card)?",
        "Personal ID",
        _I,
        "idNumber",
    ),
    (r"(?:Turkish )?Identification Number", "Identification Number", _I, "idNumber"),
    (r"UAE Identification", "UAE Identification", _I, "idNumber"),
    (r"Citizen's Card Number", "Citizen's Card Number", _I, "idNumber"),
    (r"Numero de Identidad", "Numero de Identidad", _I, "idNumber"),
    (r"Identity Card", "Identity Card", _I, "idNumber"),
    (r"Residency Number", "Residency Number", _I, "idNumber"),
    (r"Romanian Permanent Resident(?: CAN)?", "Romanian Permanent Resident", _I, "idNumber"),
    (r"Birth Certificate Number", "Birth Certificate Number", _I, "idNumber"),
    (r"Driver's License", "Driver's License No.", _I, "idNumber"),
    (r"VisaNumberID", "Visa Number", _I, "idNumber"),
    (r"SRE Permit", "SRE Permit No.", _I, "idNumber"),
    (r"Public Security and Immigration", "Public Security and Immigration No.", _I, "idNumber"),
    (r"Immigration", "Immigration No.", _I, "idNumber"),
    (r"Temporary suspension of deportation", "Temporary suspension of deportation", _I, "idNumber"),
    (r"Pilot License Number", "Pilot License Number", _I, "licenseNumber"),
    (r"Afghan Money Service Provider License Number", "Money Service Provider License", _I, "licenseNumber"),
    (r"Trade License", "Trade License No.", _I, "licenseNumber"),
    (r"Tourism License", "Tourism License No.", _I, "licenseNumber"),
    (r"Tarjeta Profesional", "Tarjeta Profesional", _I, "licenseNumber"),
    (r"License", "License", _I, "licenseNumber"),
    (r"Business (?:Registration )?(?:Document|Number)", "Business Registration", _I, "registrationNumber"),
    (r"MSB Registration Number", "MSB Registration Number", _I, "registrationNumber"),
    (r"(?:UK )?Company (?:Number|ID:?)", "Company Number", _I, "registrationNumber"),
    (r"Commercial Registry Number", "Commercial Registry Number", _I, "registrationNumber"),
    (r"(?:Romanian )?C\.R\.", "C.R. No.", _I, "registrationNumber"),
    (r"Folio Mercantil", "Folio Mercantil No.", _I, "registrationNumber"),
    (r"Matricula Mercantil", "Matricula Mercantil No.", _I, "registrationNumber"),
    (
        r"(?:Dubai |Istanbul )?Chamber of Comm(?:erce|\.)(?: Membership)?",
        "Chamber of Commerce Number",
        _I,
        "registrationNumber",
    ),
    (r"Public Registration Number", "Public Registration Number", _I, "registrationNumber"),
    (r"Government Gazette Number", "Government Gazette Number", _I, "registrationNumber"),
    (r"Certificate of Incorporation Number", "Certificate of Incorporation Number", _I, "registrationNumber"),
    (r"Legal Entity Number", "Legal Entity Number", _I, "registrationNumber"),
    (r"Enterprise Number", "Enterprise Number", _I, "registrationNumber"),
    (r"Branch Unit Number", "Branch Unit Number", _I, "registrationNumber"),
    (r"Registered Charity", "Registered Charity No.", _I, "registrationNumber"),
    (r"Central Registration System Number", "Central Registration System Number", _I, "registrationNumber"),
    (r"Registration (?:ID|Number)", "Registration Number", _I, "registrationNumber"),
    (r"File Number", "File Number", _I, "registrationNumber"),
    (r"BIK \(RU\)", "BIK", _I, None),
    (r"MICEX Code", "MICEX Code", _I, None),
    (r"ISIN", "ISIN", _I, None),
    (r"UN/LOCODE", "UN/LOCODE", _I, None),
    (r"Serial No\.", "Serial No.", _I, None),
]

_NUMBER_WORD = r"(?:\s*(?:No\.?|Nr\.?|Number|#|:))*"
_DOCUMENT_RE = re.compile(
    r"^(?P<label>"
    + "|".join(f"(?:{label})" for label, *_ in _DOCUMENT_LABELS)
    + r")"
    + _NUMBER_WORD
    + r"\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
_DOCUMENT_LABEL_RES = [
    (re.compile(rf"(?:{label})$", re.IGNORECASE), doc_type, schema, prop)
    for label, doc_type, schema, prop in _DOCUMENT_LABELS
]
_ISSUED_EXPIRES = re.compile(
    r"[\s,]*\b(issued|expires|expired|Issue Date|Expire Date)\b\s*:?\s*", re.IGNORECASE
)


def _document(text: str) -> Document | None:
    m = _DOCUMENT_RE.match(text)
    if m is None:
        return None
    label = m.group("label")
    for label_re, doc_type, schema, prop in _DOCUMENT_LABEL_RES:
        if label_re.match(label):
            return _document_parts(m.group("rest"), doc_type, schema, prop)
    return None  # pragma: no cover - the combined pattern only matches listed labels


def _document_parts(
    rest: str, doc_type: str, schema: Literal["Passport", "Identification"], prop: str | None
) -> Document | None:
    """Split "<number> (<country>) issued <date> expires <date> ..." into its parts."""
    head, issued, expires, remark = rest, None, None, None
    parts = _ISSUED_EXPIRES.split(rest)
    if len(parts) > 1:
        head, tail = parts[0], parts[1:]
        leftovers = []
        for keyword, value in zip(tail[::2], tail[1::2], strict=True):
            when = _DATE_AT_START.match(value)
            date = parse_date(when.group(0)) if when else None
            after = value[when.end() :] if when else value
            if date and keyword.lower().startswith("issue"):
                issued = issued or date
            elif date:
                expires = expires or date
            leftovers.append(after if date else f"{keyword} {value}")
        remark = _clean(" ".join(leftovers).strip(" ,.)")) or None
    head, country = _take_country(head.strip())
    # a bracket that is not a country qualifies the number: "77704 (Jalisco)", "(Abogado)"
    # (a bracket straight after the number is its check digit: "D489833(9)", kept)
    while (m := re.search(r"\s+\(([^()]+)\)\s*$", head)) and re.search(r"\d", head[: m.start()]):
        remark = _clean(f"{m.group(1)} {remark or ''}")
        head = head[: m.start()]
    number = _clean(head).rstrip(",.:-").strip()
    # prose after the number: "59 531 at Commercial Registry ...", "OR801168 and Kuwaiti ..."
    if (m := re.search(r"\s+[a-z]{2,}\b.*$", number)) and re.search(r"\d", number[: m.start()]):
        remark = _clean(f"{m.group(0)} {remark or ''}")
        number = number[: m.start()]
    # a place name after the number qualifies it too: "181301-1 Cali", "405885 Bogota"
    if (m := re.search(r"\s+((?:[A-Z][a-z]{2,}\s*)+)$", number)) and re.search(r"\d", number[: m.start()]):
        remark = _clean(f"{m.group(1)} {remark or ''}")
        number = number[: m.start()]
    # a document without a number ("Passport issued in Sarajevo") is not a document; codes
    # made of letters only exist for a few kinds (SWIFT/BIC, MICEX, UN/LOCODE)
    if not re.search(r"\d", number) and not (
        doc_type in _LETTER_CODES and re.fullmatch(r"[A-Z][A-Z0-9 ]{2,10}", number)
    ):
        return None
    return Document(schema, doc_type, number, country, issued, expires, prop, remark)


_LETTER_CODES = frozenset({"SWIFT/BIC", "MICEX Code", "UN/LOCODE"})


def _take_country(head: str) -> tuple[str, str | None]:
    """Take a trailing "(Country)" or ", Country" off a document number."""
    if (m := re.search(r"\s*\(([^()]+)\)\s*$", head)) and _country_of(m.group(1)):
        return head[: m.start()], _clean(m.group(1))
    if (m := re.search(r",\s*([A-Za-z][A-Za-z .'-]+)$", head)) and _country_of(m.group(1)):
        return head[: m.start()], _clean(m.group(1))
    return head, None


# ---------------------------------------------------------------------------------------
# Persons: positions and honorifics
#
# Older listings put a person's role in the remarks as bare text ("Minister of Finance",
# "Brigadier General", "Former Director of the Central Intelligence Organization"). They
# are recognised by the words a role contains; only for persons, and only after every
# other rule has failed, so an ID or date clause is never taken for a role.

_HONORIFICS = {
    "maulana", "mullah", "mulawi", "maulawi", "moulana", "mawlawi", "mufti", "sheikh", "shaykh",
    "haji", "hajji", "hojjatoleslam", "ayatollah", "dr", "dr.", "doctor", "professor", "qari",
    "ustad", "ustadz", "engineer", "imam", "hafiz", "sayyid",
}  # fmt: skip

_ROLE_WORDS = (
    r"minister|ministry|director|directorate|general|president|vice|chairman|chairperson|chair|chairwoman"
    r"|commander|commanding|command|head|chief|member|secretary|deputy|manager|governor|representative"
    r"|official|officer|leader|leading|advis[eo]r|aide|ambassador|prosecutor|judge|magistrate|colonel"
    r"|col|major|lieutenant|lt|brigadier|brig|admiral|marshal|captain|speaker|senator|mayor|rector"
    r"|founder|co-founder|owner|treasurer|counse(?:l)?lor|consul|attorney|registrar|employee|executive"
    r"|ceo|cfo|coordinator|spokes(?:man|person)|figure|constituent|politburo|parliament|assembly"
    r"|envoy|inspector|commissioner|emir|amir|financier|facilitator|businessman|dealer|agent"
    r"|editor|dean|professor|militant|operative|recruiter|commissar|staff|mp|delegate|indictee"
    r"|fugitive|operations|operational|factional|ideological|military|intelligence|police|army"
    r"|board|committee|council|commission|party|bank|corporation|company|institution|association"
    r"|ombudsman|minster|superintendent|partner|diplomat|chef|led|oversaw|commanded|#\d"
)
_ROLE_LABEL = re.compile(r"^(?:Title|Position|Rank|Occupation|Alternate Title)\s*[:,]?\s+(.+)$", re.I)
_ROLE_RE = re.compile(rf"(?:^|\b)(?:{_ROLE_WORDS})\b", re.IGNORECASE)


def _person_role(text: str) -> tuple[str, tuple[Fact, ...]] | None:
    t = _clean(text)
    words = [w.strip(".,").lower() for w in re.split(r"\s+or\s+|\s+and\s+|\s+", t)]
    if words and all(w in _HONORIFICS for w in words if w):
        return "title", tuple(Prop("title", w.strip(".,")) for w in re.split(r"\s+or\s+|\s+and\s+", t))
    if m := _ROLE_LABEL.match(t):
        roles = re.split(r",?\s*Alternate Title\s*[:,]?\s*", m.group(1), flags=re.IGNORECASE)
        return "position", tuple(Prop("position", _clean(r)) for r in roles if _clean(r))
    if _ROLE_RE.search(t):
        return "position", (Prop("position", t),)
    return None


# ---------------------------------------------------------------------------------------
# Free text kept as a note
#
# A few kinds of clause are plainly understood but have no FollowTheMoney property:
# custody and arrest status, where a person is believed to be, how OFAC derived data.
# They are recognised (so they are not reported as unparsed) and kept as notes.

_NOTE_RE = re.compile(
    r"^(?:arrested|currently|in custody|believed|possibly located|wanted by|from:?|operations in"
    r"|also operations|also identified|named in|founded by|holder of|\(|interpol|chinese commercial code"
    r"|passport and national id|passport issued|u\.s\.a\. passport|passport place of issue"
    r"|driver's license is)\b.*|<head office>",
    re.IGNORECASE | re.DOTALL,
)


# ---------------------------------------------------------------------------------------
# Entry points


def parse_clause(text: str, schema: str = "Person") -> Clause:
    """Classify one clause and read its facts. ``schema`` is the target's FtM schema
    (Person, Organization, Vessel, Airplane): some rules only apply to persons."""
    raw = text.strip()
    alt = bool(_ALT_PREFIX.match(raw))
    body = _ALT_PREFIX.sub("", raw).strip()
    # a clause may end with its own full stop ("... 5 feet 9 inches.")
    candidates = [body] if not body.endswith(".") else [body, body[:-1].rstrip()]
    for candidate in candidates:
        for rule in _RULES:
            if rule.schemata is not None and schema not in rule.schemata:
                continue
            m = rule.pattern.match(candidate)
            if m is None:
                continue
            facts = rule.handler(m, schema)
            if facts:
                return Clause(raw, rule.kind, facts, alt)
        document = _document(candidate)
        if document is not None:
            return Clause(raw, "document", (document,), alt)
    if schema == "Person" and (role := _person_role(body)) is not None:
        kind, facts = role
        return Clause(raw, kind, facts, alt)
    if _NOTE_RE.match(body):
        return Clause(raw, "note", (Prop("notes", body),), alt)
    return Clause(raw, None, (), alt)


def parse_remarks(text: str, schema: str = "Person") -> list[Clause]:
    """Split a Remarks text into clauses and parse each one."""
    return [parse_clause(clause, schema) for clause in split_clauses(text)]


# ---------------------------------------------------------------------------------------
# Helpers

#: country spellings OFAC uses that FtM does not recognise
_COUNTRY_SPELLINGS = {"bosnia-herzegovina": "ba"}


def country_code(name: str) -> str | None:
    """An ISO country code for a country name as OFAC prints it, or None.

    No fuzzy matching: "Sinaloa" must not become Singapore.
    """
    value = _clean(name)
    code = _COUNTRY_SPELLINGS.get(value.lower())
    if code is not None:
        return code
    cleaned = registry.country.clean(value)
    return str(cleaned) if cleaned else None


def _country_of(name: str) -> str | None:
    """The country name as printed (trimmed) if it is a country, else None."""
    return _clean(name) if country_code(name) else None
