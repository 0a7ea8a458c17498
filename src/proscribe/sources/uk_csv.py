"""The UK Sanctions List (FCDO), CSV edition.

The first line is a preamble, ``Report Date: dd-Mon-yyyy`` (the ``as_of`` date); the
header follows, then one row per name of a designation. Rows are grouped by
``Unique ID`` (e.g. RUS1901) into one record, target id ``gb-fcdo-<Unique ID>``:
``Designation Type`` Individual -> Person, Entity -> Organization, Ship -> Vessel.
The file is read as UTF-8 (a byte-order mark is skipped) with quoted fields that may
span lines; rows of one designation need not be next to each other.

Names. ``Name 6`` is the surname or the whole name of an entity or ship, ``Name 1`` ..
``Name 5`` the given and other names; a name is written ``Name 1 .. Name 5 Name 6``.
``Name type`` is read case-insensitively (the FCDO spells it several ways): the first
"Primary name" row gives ``name`` (and, for a person, ``firstName`` = Name 1,
``middleName`` = Name 2..5, ``lastName`` = Name 6); "Primary name variation" rows and
"Alias" rows are ``alias``, except an alias whose ``Alias strength`` says low quality
(or weak), which is a ``weakAlias``. ``Name non-latin script`` is an ``alias`` kept in
its script.

Dates are dd/mm/yyyy. In ``D.O.B`` an unknown day or month is written ``00`` or
``dd``/``mm``: the date is then kept to the month or the year ("00/00/1968" -> 1968).

Every row repeats the designation's other columns; values are merged across rows, so
a designation with two addresses (two rows) gets both. An address with only a country
sets the target's ``country`` instead of an Address entity.

The Sanction: ``program`` = ``Regime Name``; ``provisions`` = ``Sanctions Imposed``
split on ``|``; ``listingDate``/``startDate`` = ``Date Designated``; ``reason`` =
``UK Statement of Reasons``; ``unscId`` = ``UN Reference Number``; ``authorityId`` =
``Unique ID``; ``recordId`` = ``OFSI Group ID``; ``description`` = the designation
source ("Designation source: UN").

Fatal (``ListFormatError``): a file that is empty, not UTF-8, has no header row or
lacks a required column (Unique ID, Name 6, Name type, Designation Type, Regime
Name), malformed quoting or a quoted field left open at the end of the file
(truncation), a row without ``Unique ID``, a designation without any name, and a file
with no designations.
Warnings: a value FollowTheMoney cannot read (left out, e.g. a mistyped date), an
unknown ``Designation Type`` (the target becomes a LegalEntity) or ``Name type``, a
designation whose rows disagree on its type, no "Primary name" row (the first name
is used), rows with a different number of cells than the header, and a missing or
unreadable ``Report Date`` (``as_of`` is then None).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from followthemoney import model

from proscribe.sources.base import (
    ListFormatError,
    ParsedList,
    Progress,
    Record,
    file_checksum,
    hashed_id,
    make_id,
)
from proscribe.sources.building import ImportLog, Listing, gather, list_stats
from proscribe.sources.xmlsafe import clean_text

FORMAT = "uk-csv"
DATASET = "gb_fcdo_sanctions"

PREFIX = "gb-fcdo"
AUTHORITY = "UK Foreign, Commonwealth and Development Office"
SANCTION_COUNTRY = "gb"
SOURCE_URL = "https://www.gov.uk/government/publications/the-uk-sanctions-list"

REQUIRED_COLUMNS = ("Unique ID", "Name 6", "Name type", "Designation Type", "Regime Name")
GIVEN_NAME_COLUMNS = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5")
ADDRESS_COLUMNS = tuple(f"Address Line {n}" for n in range(1, 7))
SCHEMA = {"individual": "Person", "entity": "Organization", "ship": "Vessel"}
WEAK_MARKERS = ("low", "weak")
#: free-text columns kept in the target's notes, with the label they get there
NOTE_COLUMNS = {
    "Other Information": "",
    "Subsidiaries": "Subsidiaries: ",
    "Parent company": "Parent company: ",
    "Current owner/operator (s)": "Current owner/operator: ",
    "Previous owner/operator (s)": "Previous owner/operator: ",
    "Length of ship": "Length of ship: ",
}
#: columns copied to one target property (skipped when the target's schema lacks it)
TARGET_COLUMNS = {
    "Title": "title",
    "Nationality(/ies)": "nationality",
    "Position": "position",
    "Gender": "gender",
    "Town of birth": "birthPlace",
    "Country of birth": "birthCountry",
    "Phone number": "phone",
    "Website": "website",
    "Email address": "email",
    "Type of entity": "legalForm",
    "Business registration number (s)": "registrationNumber",
    "IMO number": "imoNumber",
    "Current believed flag of ship": "flag",
    "Previous flags": "pastFlags",
    "Type of ship": "type",
    "Tonnage of ship": "tonnage",
    "Hull identification number (HIN)": "registrationNumber",
}

PREVIEW_BYTES = 4096

_REPORT_DATE = re.compile(r"Report Date:\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})", re.IGNORECASE)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
# day and month may be unknown ("00", "dd", "mm"); the year may not
_UK_DATE = re.compile(r"(\d{1,2}|dd|DD)/(\d{1,2}|mm|MM)/(\d{4})")


def sniff(path: Path) -> bool:
    try:
        if not path.is_file():
            return False
        with open(path, "rb") as fh:
            head = fh.read(PREVIEW_BYTES).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    lines = head.splitlines()
    return (
        len(lines) >= 2
        and lines[0].lstrip('"').startswith("Report Date:")
        and "Unique ID" in lines[1]
        and "Name 6" in lines[1]
    )


def read(path: Path, *, dataset: str | None = None, progress: Progress | None = None) -> ParsedList:
    """Parse and validate a UK Sanctions List CSV file (see the module docstring)."""
    log = ImportLog()
    table = _read_table(path, log)
    records = gather(
        path,
        (
            (f"Unique ID {uid}", _record(path, uid, rows, dataset or DATASET, log))
            for uid, rows in table.designations.items()
        ),
        progress,
        id_label="Unique ID",
        empty="no designations in the file",
    )
    return ParsedList(
        dataset=dataset or DATASET,
        format=FORMAT,
        source=str(path),
        checksum=file_checksum(path),
        records=records,
        as_of=table.as_of,
        stats={**list_stats(records, log), "rows": table.rows},
        warnings=log.messages(),
    )


# --- bookkeeping -------------------------------------------------------------------------


# --- the table ---------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    cells: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass
class _Table:
    as_of: date | None
    rows: int
    designations: dict[str, list[_Row]]


def _read_table(path: Path, log: ImportLog) -> _Table:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return _parse_table(path, csv.reader(fh, strict=True), log)
    except OSError as exc:
        raise ListFormatError(path, f"cannot be read ({exc.strerror or exc})") from exc


def _next_row(path: Path, reader: Any) -> tuple[int, list[str] | None]:
    """The next row and the line it starts on; csv errors become ListFormatError there."""
    start = reader.line_num + 1
    try:
        return start, next(reader)
    except StopIteration:
        return start, None
    except UnicodeDecodeError as exc:
        # text is decoded in chunks, so the line is where reading stopped, not the exact byte
        raise ListFormatError(path, "not UTF-8 text", f"near line {start}") from exc
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            reason = "a quoted field is still open at the end of the file; the file looks truncated"
        else:
            reason = f"malformed CSV ({exc})"
        raise ListFormatError(path, reason, f"line {start}") from exc


def _parse_table(path: Path, reader: Any, log: ImportLog) -> _Table:
    line, first = _next_row(path, reader)
    if first is None:
        raise ListFormatError(path, "the file is empty; expected the UK Sanctions List CSV")
    as_of = _report_date(first, log)
    header: list[str] | None = first if as_of is None and _looks_like_header(first) else None
    if header is None:
        line, header = _next_row(path, reader)
    if header is None:
        raise ListFormatError(path, "no header row after the Report Date line", f"line {line}")
    columns = [clean_text(cell) for cell in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise ListFormatError(path, f"required columns missing: {', '.join(missing)}", f"line {line}")
    # a column name given twice: the first one counts (assigned last when walking backwards)
    index = {name: i for i, name in reversed(list(enumerate(columns))) if name}

    designations: dict[str, list[_Row]] = {}
    count = 0
    while True:
        line, cells = _next_row(path, reader)
        if cells is None:
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            log.warn(f"line {line}", f"{len(cells)} cells where the header has {len(columns)}")
        row = _Row(line, {name: cells[i].strip() for name, i in index.items() if i < len(cells)})
        if not row["Unique ID"]:
            raise ListFormatError(path, "a row has no Unique ID", f"line {line}")
        designations.setdefault(row["Unique ID"], []).append(row)
        count += 1
    return _Table(as_of, count, designations)


def _looks_like_header(cells: list[str]) -> bool:
    return "Unique ID" in (clean_text(cell) for cell in cells)


def _report_date(cells: list[str], log: ImportLog) -> date | None:
    text = clean_text(cells[0]) if cells else ""
    match = _REPORT_DATE.match(text)
    month = _MONTHS.get(match.group(2).lower()) if match else None
    if match and month:
        try:
            return date(int(match.group(3)), month, int(match.group(1)))
        except ValueError:
            pass
    log.warn("line 1", f"no readable 'Report Date: dd-Mon-yyyy' line (found {text[:40]!r}); as_of left empty")
    return None


def _uk_date(text: str) -> str:
    """dd/mm/yyyy -> ISO, as far as it is known; anything else is returned as is (FtM judges it)."""
    match = _UK_DATE.fullmatch(text.strip())
    if not match:
        return text
    day, month, year = match.groups()
    if not month.isdigit() or int(month) == 0:
        return year
    if not day.isdigit() or int(day) == 0:
        return f"{year}-{int(month):02d}"
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _values(rows: list[_Row], column: str) -> list[str]:
    """The distinct values of a column across a designation's rows, in file order."""
    return list(dict.fromkeys(value for row in rows if (value := row[column])))


# --- one designation ---------------------------------------------------------------------


def _record(path: Path, uid: str, rows: list[_Row], dataset: str, log: ImportLog) -> Record:
    where = f"designation {uid} (line {rows[0].line})"
    target = model.make_entity(_schema(rows, where, log))
    target.id = make_id(PREFIX, uid)
    listing = Listing(uid, where, target, log)

    if not _names(listing, rows):
        raise ListFormatError(path, "a designation has no name", where)
    for column, prop in TARGET_COLUMNS.items():
        for value in _values(rows, column):
            listing.put_target(prop, value)
    for column, label in NOTE_COLUMNS.items():
        for value in _values(rows, column):
            listing.put(target, "notes", f"{label}{value}")
    for value in _values(rows, "D.O.B"):
        listing.put_target("birthDate", _uk_date(value))
    for value in _values(rows, "Year Built"):
        listing.put_target("buildDate", value)
    updated = sorted(_uk_date(value) for value in _values(rows, "Last Updated"))
    if updated:
        listing.put(target, "modifiedAt", updated[-1])

    for row in rows:
        _address(listing, row)
    for number in _values(rows, "Passport number"):
        _document(listing, "Passport", number, _values(rows, "Passport additional information"))
    for number in _values(rows, "National Identifier number"):
        _document(
            listing, "Identification", number, _values(rows, "National Identifier additional information")
        )
    _sanction(listing, rows)
    return listing.record(dataset)


def _schema(rows: list[_Row], where: str, log: ImportLog) -> str:
    kinds = _values(rows, "Designation Type")
    if len(kinds) > 1:
        log.warn(where, f"rows disagree on Designation Type ({', '.join(kinds)}); the first is used")
    kind = kinds[0] if kinds else ""
    schema = SCHEMA.get(kind.casefold())
    if schema is None:
        log.warn(where, f"Designation Type {kind!r} unknown; the target is a LegalEntity")
        return "LegalEntity"
    return schema


def _full_name(row: _Row) -> str:
    return " ".join(part for part in (*(row[c] for c in GIVEN_NAME_COLUMNS), row["Name 6"]) if part)


def _names(listing: Listing, rows: list[_Row]) -> bool:
    """Set name, name parts and aliases; False when no row carries a name at all."""
    named = [row for row in rows if _full_name(row)]
    if not named:
        return False
    primary = next((row for row in named if row["Name type"].casefold() == "primary name"), None)
    if primary is None:
        listing.log.warn(listing.where, "no 'Primary name' row; the first name given is used")
        primary = named[0]
    target = listing.target
    listing.put(target, "name", _full_name(primary))
    if target.schema.name == "Person":
        listing.put(target, "firstName", primary["Name 1"])
        for column in GIVEN_NAME_COLUMNS[1:]:
            listing.put(target, "middleName", primary[column])
        listing.put(target, "lastName", primary["Name 6"])
    for row in named:
        _alias(listing, row)
    for script in _values(rows, "Name non-latin script"):
        if listing.put(target, "alias", script):
            listing.log.counts["original_script_names"] += 1
    return True


def _alias(listing: Listing, row: _Row) -> None:
    name = _full_name(row)
    if name in listing.target.get("name"):
        return  # the primary name, or a row repeating it for another address
    kind = row["Name type"].casefold()
    if kind not in ("primary name", "primary name variation", "alias"):
        listing.log.warn(listing.where, f"Name type {row['Name type']!r} unknown; {name!r} kept as an alias")
    strength = row["Alias strength"].casefold()
    weak = kind == "alias" and any(marker in strength for marker in WEAK_MARKERS)
    listing.put(listing.target, "weakAlias" if weak else "alias", name)


def _address(listing: Listing, row: _Row) -> None:
    lines = [row[column] for column in ADDRESS_COLUMNS if row[column]]
    postcode, country = row["Address Postal Code"], row["Address Country"]
    if not (lines or postcode):
        # counted once per designation: every name row repeats the same country
        before = len(listing.target.get("country", quiet=True))
        listing.put_target("country", country)
        if len(listing.target.get("country", quiet=True)) > before:
            listing.log.counts["country_only_addresses"] += 1
        return
    full = ", ".join(part for part in (*lines, postcode, country) if part)
    address = model.make_entity("Address")
    address.id = hashed_id(f"{PREFIX}-addr", listing.source_id, full)
    if not listing.attach(address):
        return  # the same address repeated on another name row
    listing.put(address, "full", full)
    listing.put(address, "street", lines[0] if lines else "")
    listing.put(address, "postalCode", postcode)
    listing.put(address, "country", country)
    if listing.put_target("addressEntity", address.id):
        listing.put_target("address", full)
    listing.put_target("country", country)


def _document(listing: Listing, schema: str, number: str, details: list[str]) -> None:
    doc = model.make_entity(schema)
    doc.id = hashed_id(f"{PREFIX}-{'passport' if schema == 'Passport' else 'id'}", listing.source_id, number)
    if not listing.attach(doc):
        return
    doc.add("holder", listing.target.id)
    listing.put(doc, "number", number)
    listing.put(doc, "type", "Passport" if schema == "Passport" else "National identifier")
    # the additional information is per designation, not per document: kept on each
    listing.put(doc, "summary", "; ".join(details))
    listing.put_target("passportNumber" if schema == "Passport" else "idNumber", number)


def _sanction(listing: Listing, rows: list[_Row]) -> None:
    sanction = model.make_entity("Sanction")
    sanction.id = hashed_id(f"{PREFIX}-sanction", listing.source_id)
    sanction.add("entity", listing.target.id)
    listing.put(sanction, "authority", AUTHORITY)
    listing.put(sanction, "country", SANCTION_COUNTRY)
    listing.put(sanction, "sourceUrl", SOURCE_URL)
    listing.put(sanction, "authorityId", listing.source_id)
    for value in _values(rows, "OFSI Group ID"):
        listing.put(sanction, "recordId", value)
    for value in _values(rows, "UN Reference Number"):
        listing.put(sanction, "unscId", value)
    for value in _values(rows, "Regime Name"):
        listing.put(sanction, "program", value)
    for value in _values(rows, "Sanctions Imposed"):
        for provision in value.split("|"):
            listing.put(sanction, "provisions", provision)
    for value in _values(rows, "UK Statement of Reasons"):
        listing.put(sanction, "reason", value)
    for value in _values(rows, "Designation source"):
        listing.put(sanction, "description", f"Designation source: {value}")
    for value in _values(rows, "Date Designated"):
        if listing.put(sanction, "listingDate", _uk_date(value)):
            sanction.add("startDate", sanction.get("listingDate"), cleaned=True)
    listing.attach(sanction)
