"""OFAC SDN list, legacy delimited format: ``sdn.csv`` with ``alt.csv``, ``add.csv`` and
``sdn_comments.csv`` beside it.

The files have no header row, rows end in CRLF, ``-0-`` (often followed by a space) means
empty, and ``sdn.csv`` ends with a DOS end-of-file byte (``\\x1a``). The four files are
linked by ``ent_num``. One record is built per ``sdn.csv`` row: the target (Person,
Organization, Vessel or Airplane) with its Sanction, Addresses, identity documents,
crypto wallets and links.

Encoding: every byte of the four July 2021 files is ASCII (OFAC transliterates names), so
the files are decoded as strict UTF-8, which accepts ASCII and any future UTF-8 file. A
byte that is not valid UTF-8 means the file is not what OFAC publishes (or was re-saved
as cp1252/latin-1 somewhere on the way): guessing a legacy code page would silently turn
names into something else, so it is reported as an error naming the line instead.

Most of the value is in the Remarks column; ``ofac_remarks`` parses it, this module turns
the facts into FollowTheMoney properties and entities and measures what share of the
clauses was understood.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

from followthemoney import EntityProxy, model, registry

from proscribe.sources import ofac_remarks as remarks
from proscribe.sources.base import (
    ListFormatError,
    ParsedList,
    Progress,
    Record,
    file_checksum,
    hashed_id,
    make_id,
)

FORMAT = "ofac-csv"
DATASET = "us_ofac_sdn"

AUTHORITY = "US Department of the Treasury, Office of Foreign Assets Control"
SOURCE_URL = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id={}"

SDN_FILE, ALT_FILE, ADD_FILE, COMMENTS_FILE = "sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"

#: the number of columns of each file (OFAC's dat_spec, checked against the July 2021 files)
COLUMNS = {SDN_FILE: 12, ALT_FILE: 5, ADD_FILE: 6, COMMENTS_FILE: 2}

#: SDN_Type -> FtM schema. Entities (``-0-``) become Organization: OFAC does not say whether
#: an entity is a company, a government body or an armed group, and Organization claims no
#: more than that (Company would assert a commercial legal person).
SCHEMATA = {"individual": "Person", "": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}

#: how many records between two progress calls
PROGRESS_EVERY = 500

_EOF = "\x1a"
_EMPTY = "-0-"


# ---------------------------------------------------------------------------------------
# Finding the files


@dataclass(frozen=True)
class ListFiles:
    """The files of one OFAC legacy delimited list; only ``sdn`` is required."""

    sdn: Path
    alt: Path | None = None
    add: Path | None = None
    comments: Path | None = None

    @property
    def present(self) -> list[Path]:
        """The files that exist, sdn.csv first (the order of the checksum)."""
        return [p for p in (self.sdn, self.alt, self.add, self.comments) if p is not None]


def _find(folder: Path, name: str) -> Path | None:
    """A file in ``folder`` whose name is ``name`` in any case (OFAC also publishes SDN.CSV)."""
    try:
        for child in folder.iterdir():
            if child.name.lower() == name and child.is_file():
                return child
    except OSError:
        return None
    return None


#: a dated capture of sdn.csv, as an archive of OFAC's history names them ("sdn-2022-03-04T184805Z.csv")
_SDN_CAPTURE = re.compile(r"^sdn[-_.].*\.csv$", re.IGNORECASE)


def is_sdn_name(name: str) -> bool:
    """True for ``sdn.csv`` (any case) and for a dated capture of it (``sdn-2022-03-04.csv``)."""
    return name.lower() == SDN_FILE or _SDN_CAPTURE.match(name) is not None


def sniff(path: Path) -> bool:
    """True for a folder holding sdn.csv (any case), or for a file named sdn.csv (or sdn-DATE.csv)."""
    path = Path(path)
    if path.is_dir():
        return _find(path, SDN_FILE) is not None
    return path.is_file() and is_sdn_name(path.name)


def locate(path: Path) -> ListFiles:
    """The list's files for a folder or an sdn.csv path; raises ListFormatError if no sdn.csv."""
    path = Path(path)
    if path.is_dir():
        folder = path
        sdn = _find(folder, SDN_FILE)
        if sdn is None:
            raise ListFormatError(path, "no sdn.csv in this folder")
    elif path.is_file():
        if not is_sdn_name(path.name):
            raise ListFormatError(path, "not an OFAC sdn.csv file, nor a folder holding one")
        if path.name.lower() != SDN_FILE:
            # a dated capture (sdn-2022-03-04.csv) stands alone: an alt.csv beside it is not its own
            return ListFiles(path)
        folder, sdn = path.parent, path
    else:
        raise ListFormatError(path, "no such file or folder")
    return ListFiles(sdn, _find(folder, ALT_FILE), _find(folder, ADD_FILE), _find(folder, COMMENTS_FILE))


# ---------------------------------------------------------------------------------------
# Reading rows


def _decoded_lines(fh: IO[bytes], path: Path) -> Iterator[str]:
    """The file's lines as text, line endings kept (the csv module wants them).

    Strict UTF-8 per line so an undecodable byte is reported with its line number. The
    DOS end-of-file byte OFAC appends is dropped when it ends the file.
    """
    previous: bytes | None = None
    number = 0
    for raw in fh:
        if previous is not None:
            yield _decode(previous, path, number)
        previous = raw
        number += 1
    if previous is not None:
        last = previous.rstrip(_EOF.encode())
        if last.strip():
            yield _decode(last, path, number)


def _decode(raw: bytes, path: Path, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start]
        raise ListFormatError(
            path,
            f"byte 0x{bad:02x} at column {exc.start + 1} is not valid UTF-8 "
            "(OFAC publishes ASCII; the file may have been re-encoded)",
            location=f"line {number}",
        ) from exc


def _cell(value: str) -> str:
    value = value.strip()
    return "" if value == _EMPTY else value


def read_rows(path: Path, columns: int, data: bytes | None = None) -> Iterator[tuple[int, list[str]]]:
    """Rows of one OFAC file as (line number, cells), ``-0-`` turned into "".

    ``data``, when given, is the file's content (a version read from an archive); ``path`` then
    only names it in messages.

    Raises ListFormatError naming the line for a wrong number of columns, a quoted field
    that never ends (a truncated file), or a field that runs over a line end (OFAC never
    writes one; it is what an unbalanced quote looks like further on).
    """
    with open(path, "rb") if data is None else io.BytesIO(data) as fh:
        reader = csv.reader(_decoded_lines(fh, path), strict=True)
        while True:
            start = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ListFormatError(
                    path, f"malformed CSV row ({exc}); is the file truncated?", location=f"line {start}"
                ) from exc
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if reader.line_num != start:
                raise ListFormatError(
                    path,
                    "a quoted field runs over the end of the line (unbalanced quote)",
                    location=f"line {start}",
                )
            if len(row) != columns:
                raise ListFormatError(
                    path, f"expected {columns} columns, found {len(row)}", location=f"line {start}"
                )
            yield start, [_cell(c) for c in row]


def _ent_num(value: str, path: Path, line: int) -> str:
    if not value.isdigit():
        raise ListFormatError(path, f"ent_num {value!r} is not a number", location=f"line {line}")
    return str(int(value))


# ---------------------------------------------------------------------------------------
# Rows as data


@dataclass
class SdnRow:
    line: int
    ent_num: str
    name: str
    sdn_type: str
    program: str
    title: str
    call_sign: str
    vess_type: str
    tonnage: str
    grt: str
    vess_flag: str
    vess_owner: str
    remarks: str
    #: Remarks_Extended from sdn_comments.csv, when the remarks ran over 1,000 characters
    remarks_extended: str = ""
    alts: list[list[str]] = field(default_factory=list)
    addresses: list[list[str]] = field(default_factory=list)

    @property
    def schema(self) -> str:
        return SCHEMATA[self.sdn_type]

    @property
    def full_remarks(self) -> str:
        # OFAC cuts Remarks at 1,000 characters, mid-word, and carries on in
        # sdn_comments.csv: the two join with nothing between them ("PROMO RAI" + "Z S.A.S.")
        return self.remarks + self.remarks_extended


def _read_sdn(path: Path, data: bytes | None = None) -> dict[str, SdnRow]:
    rows: dict[str, SdnRow] = {}
    for line, cells in read_rows(path, COLUMNS[SDN_FILE], data):
        ent_num = _ent_num(cells[0], path, line)
        if ent_num in rows:
            raise ListFormatError(
                path,
                f"ent_num {ent_num} appears twice (first at line {rows[ent_num].line})",
                location=f"line {line}",
            )
        sdn_type = cells[2].lower()
        if sdn_type not in SCHEMATA:
            raise ListFormatError(path, f"unknown SDN_Type {cells[2]!r}", location=f"line {line}")
        if not cells[1]:
            raise ListFormatError(path, f"ent_num {ent_num} has no name", location=f"line {line}")
        rows[ent_num] = SdnRow(
            line=line,
            ent_num=ent_num,
            name=cells[1],
            sdn_type=sdn_type,
            program=cells[3],
            title=cells[4],
            call_sign=cells[5],
            vess_type=cells[6],
            tonnage=cells[7],
            grt=cells[8],
            vess_flag=cells[9],
            vess_owner=cells[10],
            remarks=cells[11],
        )
    if not rows:
        raise ListFormatError(path, "the file holds no records")
    return rows


def _linked_rows(path: Path, columns: int, sdn: dict[str, SdnRow]) -> Iterator[tuple[SdnRow, int, list[str]]]:
    """Rows of alt/add/comments with the sdn row they belong to; an unknown ent_num is an error."""
    for line, cells in read_rows(path, columns):
        ent_num = _ent_num(cells[0], path, line)
        row = sdn.get(ent_num)
        if row is None:
            raise ListFormatError(path, f"ent_num {ent_num} is not in sdn.csv", location=f"line {line}")
        yield row, line, cells


_ALT_TYPES = {"aka", "fka", "nka"}


def _attach(files: ListFiles, sdn: dict[str, SdnRow]) -> None:
    if files.alt is not None:
        for row, line, cells in _linked_rows(files.alt, COLUMNS[ALT_FILE], sdn):
            if cells[2].lower() not in _ALT_TYPES:
                raise ListFormatError(files.alt, f"unknown alt_type {cells[2]!r}", location=f"line {line}")
            if not cells[3]:
                raise ListFormatError(files.alt, "alias without a name", location=f"line {line}")
            row.alts.append(cells)
    if files.add is not None:
        for row, _line, cells in _linked_rows(files.add, COLUMNS[ADD_FILE], sdn):
            row.addresses.append(cells)
    if files.comments is not None:
        for row, _line, cells in _linked_rows(files.comments, COLUMNS[COMMENTS_FILE], sdn):
            row.remarks_extended += cells[1]


# ---------------------------------------------------------------------------------------
# Names

_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


@dataclass(frozen=True)
class PersonName:
    """A person's name as OFAC writes it ("LAST, First[, Jr.]") and in natural order."""

    full: str
    first: str | None = None
    last: str | None = None
    suffix: str | None = None


def person_name(raw: str) -> PersonName:
    """Natural order: "BENSOUDA, Fatou" -> "Fatou BENSOUDA", "KNOWLES, JR., Samuel" -> "Samuel KNOWLES JR.".

    The publisher's casing is kept (the surname's capitals say which part it is). A name
    without a comma ("ABU ZUBAYDAH") is a single name and stays as it is.
    """
    raw = " ".join(raw.split())  # OFAC sometimes doubles a space ("Abd  Al Rahman")
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) < 2:
        return PersonName(raw)
    last, rest = parts[0], parts[1:]
    suffixes = [p for p in rest if p.lower() in _SUFFIXES]
    given = [p for p in rest if p.lower() not in _SUFFIXES]
    if not given:
        return PersonName(raw)
    first = " ".join(given)
    suffix = " ".join(suffixes) or None
    full = " ".join(p for p in (first, last, suffix) if p)
    return PersonName(full, first, last, suffix)


def _name_key(name: str) -> str:
    """How names are compared when resolving "Linked To: NAME": case, spacing and a final
    full stop do not matter (the remarks' closing "." may have eaten or added one)."""
    return re.sub(r"\s+", " ", name).strip().rstrip(".").strip().casefold()


class NameIndex:
    """OFAC names -> ent_num, to resolve the names remarks mention (Linked To, wife of, ...).

    Primary names are tried first; aliases only when the primary names give nothing. A
    name shared by several listings resolves to none of them.
    """

    def __init__(self, rows: Iterable[SdnRow]) -> None:
        self.primary: dict[str, set[str]] = {}
        self.aliases: dict[str, set[str]] = {}
        self.schema: dict[str, str] = {}
        for row in rows:
            self.schema[row.ent_num] = row.schema
            for name in self._forms(row.name, row.schema):
                self.primary.setdefault(_name_key(name), set()).add(row.ent_num)
            for alt in row.alts:
                for name in self._forms(alt[3], row.schema):
                    self.aliases.setdefault(_name_key(name), set()).add(row.ent_num)

    @staticmethod
    def _forms(name: str, schema: str) -> list[str]:
        return [name, person_name(name).full] if schema == "Person" else [name]

    def resolve(self, name: str, exclude: str | None = None) -> str | None:
        key = _name_key(name)
        for table in (self.primary, self.aliases):
            found = table.get(key, set()) - {exclude}
            if len(found) == 1:
                return next(iter(found))
            if found:
                return None
        return None


# ---------------------------------------------------------------------------------------
# Values

_PROGRAM = re.compile(r"[^\[\]]+")


def programs(value: str) -> list[str]:
    """Program tags: OFAC writes "SDGT] [IRGC] [IFSR" (outer brackets dropped)."""
    return [p.strip() for p in _PROGRAM.findall(value) if p.strip()]


def phone_number(value: str, country: str | None = None) -> str | None:
    """An E.164 phone number from how OFAC writes phones, or None.

    OFAC mostly writes international numbers without the plus ("982188526300"), with a
    00 prefix ("0097282851500"), or with the code in brackets ("(218) (0)214778301"). A
    number starting with a single 0 is national: it is read as dialled in ``country``
    (the listing's one country) if given, else given up.
    """
    text = re.split(r"[/]|ext\.", value)[0].replace("(0)", "")
    digits = re.sub(r"\D", "", text)
    if text.strip().startswith("+"):
        candidate = "+" + digits
    elif digits.startswith("00"):
        candidate = "+" + digits[2:]
    elif digits.startswith("0"):
        if country is None:
            return None
        cleaned = registry.phone.clean(digits, format=country)
        return str(cleaned) if cleaned else None
    elif len(digits) < 9:
        return None
    else:
        candidate = "+" + digits
    cleaned = registry.phone.clean(candidate)
    return str(cleaned) if cleaned else None


_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}"
_POSTAL_CODE = rf"(?:[A-Z]{{1,2}}-)?\d[\d-]{{2,}}\d|{_UK_POSTCODE}"
_POSTAL_TAIL = re.compile(
    rf"^(?:(?P<rest>.*?)[\s,]+)?(?:(?:C\.P\.|CP|Codigo Postal)\s*)?(?P<postal>{_POSTAL_CODE})$"
)


@dataclass(frozen=True)
class AddressParts:
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None


def split_city(value: str) -> AddressParts:
    """Split OFAC's "City/State/Province/Postal Code" column where it can be done safely.

    A trailing postal code (digits, "CH-8022", "C.P. 06600", a UK postcode) is taken off;
    what remains is "City" or "City, State/Province" (OFAC's own order). Anything with
    more commas is kept whole as the city, which is what screening reads anyway.
    """
    value = value.strip()
    postal = None
    m = _POSTAL_TAIL.match(value)
    if m is not None:
        postal = m.group("postal")
        value = (m.group("rest") or "").strip(" ,")
    parts = [p.strip() for p in value.split(",")]
    if len(parts) == 2 and all(parts):
        return AddressParts(parts[0], parts[1], postal)
    return AddressParts(value or None, None, postal)


# ---------------------------------------------------------------------------------------
# Building records


@dataclass
class Stats:
    """What was measured while building the records."""

    by_schema: Counter[str] = field(default_factory=Counter)
    aliases: int = 0
    weak_aliases: int = 0
    addresses: int = 0
    address_rows: int = 0
    addresses_empty: int = 0
    documents: int = 0
    wallets: int = 0
    links: int = 0
    links_resolved: int = 0
    clauses: int = 0
    understood: int = 0
    note_only: int = 0
    rejected_values: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    unparsed: Counter[str] = field(default_factory=Counter)
    unresolved_names: Counter[str] = field(default_factory=Counter)

    def merge(self, other: Stats) -> None:
        """Add what ``other`` measured (the figures of a record built earlier and reused)."""
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, Counter):
                mine.update(theirs)
            else:
                setattr(self, f.name, mine + theirs)

    def as_dict(self, records: int) -> dict[str, Any]:
        share = self.understood / self.clauses if self.clauses else 1.0
        return {
            "records": records,
            "by_schema": dict(sorted(self.by_schema.items())),
            "aliases": self.aliases,
            "weak_aliases": self.weak_aliases,
            "addresses": self.addresses,
            "address_rows": self.address_rows,
            "addresses_empty": self.addresses_empty,
            "documents": self.documents,
            "crypto_wallets": self.wallets,
            "links": self.links,
            "links_resolved": self.links_resolved,
            "remark_clauses": self.clauses,
            "remark_clauses_understood": self.understood,
            "remark_understood_share": round(share, 5),
            # understood, but with no FtM property to hold them: kept in ``notes``
            "remark_clauses_note_only": self.note_only,
            # values FtM would not accept (an unknown country, a national phone number)
            "remark_values_rejected": self.rejected_values,
            "remark_kinds": dict(self.kinds.most_common()),
            "unparsed_remark_kinds": dict(self.unparsed.most_common(20)),
            "unresolved_names": dict(self.unresolved_names.most_common(20)),
        }


class _Builder:
    """Builds the record of one sdn.csv row."""

    def __init__(self, dataset: str, row: SdnRow, index: NameIndex, stats: Stats) -> None:
        self.dataset = dataset
        self.row = row
        self.index = index
        self.stats = stats
        self.target = model.make_entity(row.schema)
        self.target.id = make_id("ofac", row.ent_num)
        self.sanction = model.make_entity("Sanction")
        self.sanction.id = hashed_id("ofac-sanction", row.ent_num)
        self.adjacent: list[EntityProxy] = []

    # -- helpers --------------------------------------------------------------------------

    def note(self, text: str) -> None:
        self.target.add("notes", text)

    def add(self, prop: str, value: str, *, column: bool = False) -> bool:
        """Add a value to the target if its schema has the property and FtM accepts the
        value. Returns whether it was added as data.

        A value that cannot be added is kept as a note when it comes from a column
        (``column=True``); values read from the remarks need no note, because the raw
        remarks are in ``notes`` already.
        """
        schema = self.target.schema
        prop_ = schema.get(prop)
        cleaned: str | None
        if prop_ is None:
            cleaned = None
        elif prop_.type == registry.country:
            cleaned = remarks.country_code(value)
        elif prop_.type == registry.phone:
            cleaned = phone_number(value, self.home_country())
        else:
            # the property's format matters: an SSN is kept as digits, a BIC is checked
            cleaned = prop_.type.clean(value, format=prop_.format)
        if prop_ is None or not cleaned:
            if column:
                self.note(f"{prop}: {value}")
            return False
        self.target.add(prop_, cleaned, cleaned=True)
        return True

    def home_country(self) -> str | None:
        """The target's one country, when its addresses and nationality agree on one."""
        countries = set(self.target.get("country")) | set(self.target.get("nationality", quiet=True))
        return countries.pop() if len(countries) == 1 else None

    def entity(self, schema: str, *id_parts: str) -> EntityProxy:
        """A new adjacent entity, or the one already made from the same parts: OFAC
        sometimes repeats a document or a link within one listing."""
        entity_id = hashed_id(f"ofac-{schema.lower()}", self.row.ent_num, *id_parts)
        for ent in self.adjacent:
            if ent.id == entity_id:
                return ent
        ent = model.make_entity(schema)
        ent.id = entity_id
        self.adjacent.append(ent)
        return ent

    # -- the parts ------------------------------------------------------------------------

    def build(self) -> Record:
        row = self.row
        self.names()
        self.columns()
        self.sanction_entity()
        for cells in row.alts:
            self.alias(cells)
        # addresses before remarks: their countries help read national phone numbers
        for cells in row.addresses:
            self.address(cells)
        self.parse_remarks()
        self.adjacent.insert(0, self.sanction)
        self.stats.by_schema[row.schema] += 1
        return Record(self.dataset, row.ent_num, self.target, self.adjacent)

    def names(self) -> None:
        row = self.row
        if row.schema == "Person":
            name = person_name(row.name)
            self.target.add("name", name.full)
            self.target.add("firstName", name.first)
            self.target.add("lastName", name.last)
            self.target.add("nameSuffix", name.suffix)
        else:
            self.target.add("name", row.name)

    def columns(self) -> None:
        row = self.row
        self.target.add("topics", "sanction")
        self.target.add("program", programs(row.program))
        self.target.add("programId", programs(row.program))
        if row.title:
            # OFAC's Title is the person's role ("Commander", "Minister of Finance")
            self.add("position", row.title, column=True)
        if row.call_sign:
            self.add("callSign", row.call_sign, column=True)
        if row.vess_type:
            self.add("type", row.vess_type, column=True)
        if row.tonnage:
            self.add("tonnage", row.tonnage.replace(",", ""), column=True)
        if row.grt:
            self.add("grossRegisteredTonnage", row.grt.replace(",", ""), column=True)
        if row.vess_flag and row.vess_flag.lower() != "none identified":
            self.add("flag", row.vess_flag, column=True)
        if row.vess_owner:
            self.relation(remarks.Relation("owner", "Vessel Owner", row.vess_owner), column=True)
        if row.full_remarks:
            self.note(row.full_remarks)

    def sanction_entity(self) -> None:
        row, s = self.row, self.sanction
        s.add("entity", self.target.id)
        s.add("authority", AUTHORITY)
        s.add("authorityId", row.ent_num)
        s.add("program", programs(row.program))
        s.add("programId", programs(row.program))
        s.add("country", "us")
        # a listing on the SDN list blocks all property and interests in property
        s.add("provisions", "Block")
        s.add("sourceUrl", SOURCE_URL.format(row.ent_num))

    def alias(self, cells: list[str]) -> None:
        _ent, _num, alt_type, alt_name, alt_remarks = cells
        name = person_name(alt_name).full if self.row.schema == "Person" else alt_name
        kind = alt_type.lower()
        if kind == "fka":
            self.target.add("previousName", name)
        else:
            self.target.add("alias", name)
        if kind == "nka":
            # "now known as": the name in use today, kept with the aliases and said so
            self.note(f"n.k.a. {name}")
        if alt_remarks:
            self.note(f"{alt_type} {name}: {alt_remarks}")
        self.stats.aliases += 1

    def address(self, cells: list[str]) -> None:
        _ent, add_num, street, city_col, country_col, add_remarks = cells
        self.stats.address_rows += 1
        if country_col.lower() == "undetermined":
            country_col = ""  # OFAC's word for an unknown country
        if not (street or city_col or country_col or add_remarks):
            # OFAC gives many listings an address row with every field "-0-" (or only an
            # "undetermined" country): a placeholder that says nothing, so no Address
            # entity is made for it; it is counted
            self.stats.addresses_empty += 1
            return
        addr = model.make_entity("Address")
        addr.id = hashed_id("ofac-addr", self.row.ent_num, add_num)
        parts = split_city(city_col)
        addr.add("street", street)
        addr.add("city", parts.city)
        addr.add("state", parts.state)
        addr.add("postalCode", parts.postal_code)
        addr.add("remarks", add_remarks)
        country = remarks.country_code(country_col) if country_col else None
        if country_col.lower().startswith("region:"):
            # "Region: Crimea", "Region: Kafia Kingi": a disputed area, not a country
            addr.add("region", country_col.split(":", 1)[1].strip())
        elif country is not None:
            addr.add("country", country)
            self.target.add("country", country)
        full = ", ".join(p for p in (street, city_col, country_col) if p)
        addr.add("full", full)
        self.target.add("addressEntity", addr.id)
        self.target.add("address", full)
        self.adjacent.append(addr)
        self.stats.addresses += 1

    # -- remarks --------------------------------------------------------------------------

    def parse_remarks(self) -> None:
        if not self.row.full_remarks:
            return
        for clause in remarks.parse_remarks(self.row.full_remarks, self.row.schema):
            self.stats.clauses += 1
            if not clause.understood:
                self.stats.unparsed[clause.leading_word] += 1
                continue
            self.stats.understood += 1
            self.stats.kinds[str(clause.kind)] += 1
            if clause.kind == "note":
                self.stats.note_only += 1
            for fact in clause.facts:
                self.fact(fact)

    def fact(self, fact: remarks.Fact) -> None:
        if isinstance(fact, remarks.Prop):
            # a "notes" fact is text with no FtM property: the raw remarks already hold it
            if fact.prop != "notes" and not self.add(fact.prop, fact.value):
                self.stats.rejected_values += 1
        elif isinstance(fact, remarks.WeakAlias):
            name = fact.name
            if self.row.schema == "Person":
                name = person_name(name).full
            self.target.add("weakAlias", name)
            self.stats.weak_aliases += 1
        elif isinstance(fact, remarks.SanctionNote):
            self.sanction.add("provisions", fact.text)
        elif isinstance(fact, remarks.Document):
            self.document(fact)
        elif isinstance(fact, remarks.Wallet):
            self.wallet(fact)
        elif isinstance(fact, remarks.Relation):
            self.relation(fact)

    def _holds_documents(self) -> bool:
        # Identification.holder and CryptoWallet.holder take a LegalEntity
        return self.target.schema.is_a("LegalEntity")

    def document(self, doc: remarks.Document) -> None:
        if doc.prop is not None and self.target.schema.get(doc.prop) is not None:
            self.add(doc.prop, doc.number)
        if not self._holds_documents():
            return  # a vessel or aircraft cannot hold an Identification; the number is in notes
        country = remarks.country_code(doc.country) if doc.country else None
        ent = self.entity(doc.schema, doc.doc_type, doc.number, doc.country or "")
        ent.add("holder", self.target.id)
        ent.add("number", doc.number)
        ent.add("type", doc.doc_type)
        ent.add("country", country)
        ent.add("startDate", doc.issued)
        ent.add("endDate", doc.expires)
        ent.add("description", doc.remark)
        if doc.schema == "Passport":
            ent.add("passportNumber", doc.number)
        self.stats.documents += 1

    def wallet(self, wallet: remarks.Wallet) -> None:
        ent = self.entity("CryptoWallet", wallet.currency, wallet.address)
        ent.add("publicKey", wallet.address)
        ent.add("currency", wallet.currency)
        if self._holds_documents():
            ent.add("holder", self.target.id)
        self.stats.wallets += 1

    def relation(self, rel: remarks.Relation, *, column: bool = False) -> None:
        self.stats.links += 1
        other = self.index.resolve(rel.name, exclude=self.row.ent_num)
        if other is None:
            # FtM links need an entity at both ends; a name OFAC does not list stays text
            # (in the raw remarks, or as a note when it came from a column)
            if column:
                self.note(f"{rel.role}: {rel.name}")
            self.stats.unresolved_names[rel.name] += 1
            return
        self.stats.links_resolved += 1
        other_id = make_id("ofac", other)
        other_schema = self.index.schema[other]
        if rel.kind in ("operator", "owner") and other_schema in ("Person", "Organization"):
            self.target.add("operator" if rel.kind == "operator" else "owner", other_id)
            return
        if rel.kind == "family" and self.row.schema == "Person" and other_schema == "Person":
            family = self.entity("Family", other)
            family.add("person", self.target.id)
            family.add("relative", other_id)
            family.add("relationship", rel.role)
            return
        link = self.entity("UnknownLink", rel.role, other)
        link.add("subject", self.target.id)
        link.add("object", other_id)
        link.add("role", rel.role)


# ---------------------------------------------------------------------------------------
# Entry point


class _RecordingIndex:
    """The name index as one builder sees it, noting every question asked and its answer."""

    def __init__(self, index: NameIndex) -> None:
        self.index = index
        self.asked: list[tuple[str, str | None, str | None, str | None]] = []
        self.schema = _SchemaView(self)

    def resolve(self, name: str, exclude: str | None = None) -> str | None:
        found = self.index.resolve(name, exclude)
        self.asked.append((name, exclude, found, self.index.schema.get(found) if found else None))
        return found


class _SchemaView:
    def __init__(self, owner: _RecordingIndex) -> None:
        self.owner = owner

    def __getitem__(self, ent_num: str) -> str:
        return self.owner.index.schema[ent_num]


@dataclass
class _Built:
    record: Record
    checksum: str
    stats: Stats
    asked: list[tuple[str, str | None, str | None, str | None]]


class BuildCache:
    """Records built from earlier versions of the list, reused when a row has not changed.

    Replaying hundreds of versions of sdn.csv rebuilds the same rows again and again. A row's
    record depends on the row (with its aliases, addresses and remarks) and on the answers the
    name index gave when the remarks named other listings; a cached record is reused only when the
    row is the same and every such question gets the same answer from this version's index. Only
    the rows of the last version read are kept.
    """

    def __init__(self) -> None:
        self._built: dict[tuple[Any, ...], _Built] = {}
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(dataset: str, row: SdnRow) -> tuple[Any, ...]:
        return (
            dataset,
            row.ent_num,
            row.name,
            row.sdn_type,
            row.program,
            row.title,
            row.call_sign,
            row.vess_type,
            row.tonnage,
            row.grt,
            row.vess_flag,
            row.vess_owner,
            row.remarks,
            row.remarks_extended,
            tuple(tuple(a) for a in row.alts),
            tuple(tuple(a) for a in row.addresses),
        )

    def build(
        self, dataset: str, row: SdnRow, index: NameIndex, stats: Stats, keep: dict[Any, Any]
    ) -> Record:
        key = self.key(dataset, row)
        built = self._built.get(key)
        if built is not None and all(
            index.resolve(name, exclude) == found and (found is None or index.schema.get(found) == schema)
            for name, exclude, found, schema in built.asked
        ):
            self.hits += 1
        else:
            self.misses += 1
            own = Stats()
            recording = _RecordingIndex(index)
            record = _Builder(dataset, row, recording, own).build()  # type: ignore[arg-type]
            record.validate()
            built = _Built(record, record.checksum(), own, recording.asked)
        stats.merge(built.stats)
        keep[key] = built
        built.record.known_checksum = built.checksum
        return built.record

    def keep_only(self, kept: dict[tuple[Any, ...], _Built]) -> None:
        self._built = kept


def read(path: Path, *, dataset: str | None = None, progress: Progress | None = None) -> ParsedList:
    """Parse an OFAC legacy delimited list (a folder, or its sdn.csv) into records."""
    path = Path(path)
    files = locate(path)
    sdn = _read_sdn(files.sdn)
    _attach(files, sdn)
    return _parsed(sdn, str(path), file_checksum(*files.present), dataset, progress, None)


def read_sdn_bytes(
    data: bytes,
    name: str,
    *,
    dataset: str | None = None,
    progress: Progress | None = None,
    cache: BuildCache | None = None,
) -> ParsedList:
    """Parse the content of one sdn.csv alone (a version read from an archive, without unpacking it).

    ``name`` names the version in messages and in the store. ``cache`` reuses the records of rows
    that have not changed since the previous version read with it (see ``BuildCache``).
    """
    sdn = _read_sdn(Path(name), data)
    return _parsed(sdn, name, hashlib.sha256(data).hexdigest(), dataset, progress, cache)


def _parsed(
    sdn: dict[str, SdnRow],
    source: str,
    checksum: str,
    dataset: str | None,
    progress: Progress | None,
    cache: BuildCache | None,
) -> ParsedList:
    index = NameIndex(sdn.values())
    stats = Stats()
    dataset = dataset or DATASET
    records: list[Record] = []
    kept: dict[tuple[Any, ...], _Built] = {}
    pending = 0
    for row in sdn.values():
        if cache is not None:
            record = cache.build(dataset, row, index, stats, kept)
        else:
            record = _Builder(dataset, row, index, stats).build()
            record.validate()
        records.append(record)
        pending += 1
        if progress is not None and pending >= PROGRESS_EVERY:
            progress(pending)
            pending = 0
    if progress is not None and pending:
        progress(pending)
    if cache is not None:
        cache.keep_only(kept)
    warnings = []
    unresolved = sum(stats.unresolved_names.values())
    if unresolved:
        warnings.append(
            f"{unresolved} names in remarks (Linked To, relatives, owners) are not on the list;"
            " kept as text only"
        )
    if stats.unparsed:
        warnings.append(f"{sum(stats.unparsed.values())} remark clauses not understood; kept in notes only")
    return ParsedList(
        dataset=dataset,
        format=FORMAT,
        source=source,
        checksum=checksum,
        records=records,
        as_of=None,
        stats=stats.as_dict(len(records)),
        warnings=warnings,
    )
