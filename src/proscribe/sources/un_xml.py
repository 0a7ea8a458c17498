"""The UN Security Council Consolidated List (``consolidated.xml``).

The file is ``CONSOLIDATED_LIST`` (with ``dateGenerated``) holding
``INDIVIDUALS/INDIVIDUAL`` and ``ENTITIES/ENTITY``. Each listing becomes one record:
a Person or an Organization with id ``unsc-<REFERENCE_NUMBER>`` (e.g. ``unsc-QDi.001``),
plus one Sanction, its Address entities and its Passport/Identification entities.

Names. ``FIRST_NAME`` .. ``FOURTH_NAME`` are joined, in the publisher's order, into
``name``. The order of the parts is not the same across regimes, so the split into
name parts is kept modest:

* DPRK listings (``UN_LIST_TYPE`` "DPRK") write the family name first ("KIM JONG SIK"):
  ``FIRST_NAME`` becomes ``lastName`` and the remaining parts ``firstName``.
* Everywhere else ``FIRST_NAME`` is the given name and the last part present is taken as
  ``lastName``; parts in between (often a father's and grandfather's name in Arabic
  naming) become ``middleName``. A single-part name sets only ``name``.

``NAME_ORIGINAL_SCRIPT`` is kept, in its script, as an ``alias``. Alias quality maps
Good / a.k.a. / (blank) to ``alias``, Low to ``weakAlias`` and f.k.a. to ``previousName``.
A date or place of birth given on an alias is added to the person's own birth facts:
the UN attaches them to the identity the person used, and a screener needs them all.

Dates of birth: EXACT gives a full date or a year; APPROXIMATELY gives a year (FtM has
no "circa", the count is in ``stats``); BETWEEN gives every year from ``FROM_YEAR`` to
``TO_YEAR``. When only a ``NOTE`` carries the date ("Nov. 1973"), a month and year or a
year are read from it; anything else (a Hijri date, "30-35 years old") is a warning and
the text is kept in ``notes``.

Addresses: an address with a street, city, region or postcode becomes an Address
entity linked through ``addressEntity``; one that only names a country (most UN
addresses) sets the target's ``country`` instead, because a bare country is not an
address anyone can match on.

Fatal (``ListFormatError``): malformed, truncated or hostile XML (see
:mod:`proscribe.sources.xmlsafe`), a root other than ``CONSOLIDATED_LIST``, a listing
without ``REFERENCE_NUMBER`` or without any name part, two listings sharing a
``REFERENCE_NUMBER``, and a file with no listings at all.
Warnings (``ParsedList.warnings``, counted in ``stats["warnings"]``): a date, country or
other typed value that FollowTheMoney cannot read (the value is left out), a date of
birth only given as unreadable text (kept in ``notes``), and an unreadable
``dateGenerated`` (``as_of`` is then None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from xml.etree.ElementTree import Element

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
from proscribe.sources.building import ImportLog, Listing, gather, list_stats, stated_date
from proscribe.sources.xmlsafe import XmlRecords, child_text, clean_text, peek_root

FORMAT = "un-xml"
DATASET = "un_sc_sanctions"

PREFIX = "unsc"
AUTHORITY = "United Nations Security Council"
SOURCE_URL = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
#: FtM knows "un" as the United Nations; the UN imposes these sanctions itself
SANCTION_COUNTRY = "un"

ROOT = "CONSOLIDATED_LIST"
RECORD_TAGS = ("INDIVIDUAL", "ENTITY")
NAME_TAGS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
#: list types that write the family name first
FAMILY_NAME_FIRST = frozenset({"DPRK"})

ALIAS_PROPERTY = {
    "good": "alias",
    "a.k.a.": "alias",
    "": "alias",
    "low": "weakAlias",
    "f.k.a.": "previousName",
}
PASSPORT_WORDS = ("passport", "passeport", "pasaporte")
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}

#: keep at most this many warning messages; the count in stats is always complete

_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_MONTH_YEAR = re.compile(r"([A-Za-z]+)\.?\s+(\d{4})")
_MONTH_ONLY = re.compile(r"([A-Za-z]+)\.?")
_A_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
#: a BETWEEN range wider than this is suspicious; only its two ends are kept
MAX_YEAR_SPAN = 10


def sniff(path: Path) -> bool:
    return peek_root(path).name == ROOT


def read(path: Path, *, dataset: str | None = None, progress: Progress | None = None) -> ParsedList:
    """Parse and validate a UN consolidated list file (see the module docstring)."""
    log = ImportLog()
    reader = XmlRecords(path, RECORD_TAGS, expected_root=ROOT)
    records = gather(
        path,
        (
            (f"{elem.tag} #{i}", _record(path, elem, i, dataset or DATASET, log))
            for i, elem in enumerate(reader, 1)
        ),
        progress,
        id_label="REFERENCE_NUMBER",
        empty="no INDIVIDUAL or ENTITY listings in the file",
    )
    return ParsedList(
        dataset=dataset or DATASET,
        format=FORMAT,
        source=str(path),
        checksum=file_checksum(path),
        records=records,
        as_of=stated_date(
            reader.root_attrib.get("dateGenerated", ""), log, "CONSOLIDATED_LIST", "dateGenerated"
        ),
        stats=list_stats(records, log),
        warnings=log.messages(),
    )


# --- bookkeeping -------------------------------------------------------------------------


def _iso_date(text: str) -> str:
    """The ``YYYY[-MM[-DD]]`` prefix of a UN date ("2015-04-07-04:00" carries a time zone)."""
    match = _ISO_DATE.match(text)
    return match.group(0) if match else text


def _texts(elem: Element, path: str) -> list[str]:
    return [text for text in (clean_text(child.text) for child in elem.findall(path)) if text]


# --- one listing -------------------------------------------------------------------------


def _record(path: Path, elem: Element, index: int, dataset: str, log: ImportLog) -> Record:
    ref = child_text(elem, "REFERENCE_NUMBER")
    dataid = child_text(elem, "DATAID")
    label = ref or (f"DATAID {dataid}" if dataid else "no id")
    where = f"{elem.tag} #{index} ({label})"
    if not ref:
        raise ListFormatError(path, "a listing has no REFERENCE_NUMBER", where)
    parts = [part for part in (child_text(elem, tag) for tag in NAME_TAGS) if part]
    if not parts:
        raise ListFormatError(path, "a listing has no name", where)

    person = elem.tag == "INDIVIDUAL"
    target = model.make_entity("Person" if person else "Organization")
    target.id = make_id(PREFIX, ref)
    listing = Listing(ref, where, target, log)
    list_type = child_text(elem, "UN_LIST_TYPE")

    listing.put(target, "name", " ".join(parts))
    if person:
        _name_parts(listing, parts, family_first=list_type in FAMILY_NAME_FIRST)
    if listing.put(target, "alias", child_text(elem, "NAME_ORIGINAL_SCRIPT")):
        log.counts["original_script_names"] += 1
    listing.put(target, "notes", child_text(elem, "COMMENTS1"))
    updated = sorted(_iso_date(text) for text in _texts(elem, "LAST_DAY_UPDATED/VALUE"))
    if updated:
        listing.put(target, "modifiedAt", updated[-1])

    alias_tag = "INDIVIDUAL_ALIAS" if person else "ENTITY_ALIAS"
    for alias in elem.findall(alias_tag):
        _alias(listing, alias, person)
    for address in elem.findall("INDIVIDUAL_ADDRESS" if person else "ENTITY_ADDRESS"):
        _address(listing, address)
    if person:
        _person_facts(listing, elem)

    _sanction(listing, elem, list_type, dataid)
    return listing.record(dataset)


def _name_parts(listing: Listing, parts: list[str], *, family_first: bool) -> None:
    if len(parts) < 2:
        return
    target = listing.target
    if family_first:
        listing.put(target, "lastName", parts[0])
        listing.put(target, "firstName", " ".join(parts[1:]))
        return
    listing.put(target, "firstName", parts[0])
    for middle in parts[1:-1]:
        listing.put(target, "middleName", middle)
    listing.put(target, "lastName", parts[-1])


def _alias(listing: Listing, alias: Element, person: bool) -> None:
    name = child_text(alias, "ALIAS_NAME")
    if not name:
        return
    quality = child_text(alias, "QUALITY").lower()
    prop = ALIAS_PROPERTY.get(quality)
    if prop is None:
        listing.log.warn(listing.where, f"alias quality {quality!r} unknown; {name!r} kept as an alias")
        prop = "alias"
    listing.put(listing.target, prop, name)
    if person:
        listing.put(listing.target, "birthDate", _iso_date(child_text(alias, "DATE_OF_BIRTH")))
        listing.put(listing.target, "birthPlace", child_text(alias, "CITY_OF_BIRTH"))
        listing.put(listing.target, "birthCountry", child_text(alias, "COUNTRY_OF_BIRTH"))


def _address(listing: Listing, elem: Element) -> None:
    street, city, state, postcode, country = (
        child_text(elem, tag) for tag in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
    )
    target = listing.target
    if not (street or city or state or postcode):
        if country:
            listing.put(target, "country", country)
            listing.log.counts["country_only_addresses"] += 1
        return
    full = ", ".join(part for part in (street, city, state, postcode, country) if part)
    address = model.make_entity("Address")
    address.id = hashed_id(f"{PREFIX}-addr", listing.source_id, full)
    if not listing.attach(address):
        return
    listing.put(address, "full", full)
    listing.put(address, "street", street)
    listing.put(address, "city", city)
    listing.put(address, "state", state)
    listing.put(address, "postalCode", postcode)
    listing.put(address, "country", country)
    listing.put(address, "remarks", child_text(elem, "NOTE"))
    target.add("addressEntity", address.id)
    listing.put(target, "address", full)
    listing.put(target, "country", country)


def _person_facts(listing: Listing, elem: Element) -> None:
    target = listing.target
    for title in _texts(elem, "TITLE/VALUE"):
        listing.put(target, "title", title)
    for position in _texts(elem, "DESIGNATION/VALUE"):
        listing.put(target, "position", position)
    for nationality in _texts(elem, "NATIONALITY/VALUE"):
        listing.put(target, "nationality", nationality)
    listing.put(target, "gender", child_text(elem, "GENDER"))
    for dob in elem.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        _birth_date(listing, dob)
    for pob in elem.findall("INDIVIDUAL_PLACE_OF_BIRTH"):
        _birth_place(listing, pob)
    for doc in elem.findall("INDIVIDUAL_DOCUMENT"):
        _document(listing, doc)


def _birth_date(listing: Listing, elem: Element) -> None:
    kind = child_text(elem, "TYPE_OF_DATE").upper()
    exact, year, note = child_text(elem, "DATE"), child_text(elem, "YEAR"), child_text(elem, "NOTE")
    first, last = child_text(elem, "FROM_YEAR"), child_text(elem, "TO_YEAR")
    if kind == "APPROXIMATELY":
        listing.log.counts["approximate_birth_dates"] += 1
    if exact:
        listing.put(listing.target, "birthDate", _iso_date(exact))
    elif first or last:
        listing.log.counts["birth_year_ranges"] += 1
        for value in _year_range(listing, first, last):
            listing.put(listing.target, "birthDate", value)
    elif year:
        listing.put(listing.target, "birthDate", _with_month(year, note))
    elif note:
        _birth_date_note(listing, note)


def _year_range(listing: Listing, first: str, last: str) -> Iterable[str]:
    if not (first.isdigit() and last.isdigit()) or int(last) < int(first):
        listing.log.warn(
            listing.where, f"birth year range {first!r}-{last!r} not understood; ends kept as given"
        )
        return [value for value in (first, last) if value]
    if int(last) - int(first) > MAX_YEAR_SPAN:
        listing.log.warn(listing.where, f"birth year range {first}-{last} is wide; only its ends are kept")
        return [first, last]
    return [str(y) for y in range(int(first), int(last) + 1)]


def _month(word: str) -> int | None:
    return MONTHS.get(word.lower())


def _with_month(year: str, note: str) -> str:
    """``YEAR`` refined by a note that only names a month (QDi.395: 1958 with note "Sep.")."""
    match = _MONTH_ONLY.fullmatch(note)
    month = _month(match.group(1)) if match else None
    return f"{year}-{month:02d}" if month else year


def _birth_date_note(listing: Listing, note: str) -> None:
    match = _MONTH_YEAR.fullmatch(note)
    month = _month(match.group(1)) if match else None
    if match and month:
        listing.put(listing.target, "birthDate", f"{match.group(2)}-{month:02d}")
        return
    year = _A_YEAR.search(note)
    if year:
        listing.put(listing.target, "birthDate", year.group(1))
        return
    listing.log.warn(listing.where, f"date of birth {note!r} not understood; kept in notes")
    listing.put(listing.target, "notes", f"Date of birth as published: {note}")


def _birth_place(listing: Listing, elem: Element) -> None:
    street, city, state, country = (
        child_text(elem, tag) for tag in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")
    )
    if street or city or state:
        listing.put(listing.target, "birthPlace", ", ".join(p for p in (street, city, state, country) if p))
    listing.put(listing.target, "birthCountry", country)


def _document(listing: Listing, elem: Element) -> None:
    kind, detail = child_text(elem, "TYPE_OF_DOCUMENT"), child_text(elem, "TYPE_OF_DOCUMENT2")
    number = child_text(elem, "NUMBER")
    if not (kind or detail or number):
        return
    if not number:
        # the UN sometimes describes a document without its number; nothing to screen on
        listing.log.counts["documents_without_number"] += 1
        return
    is_passport = any(word in f"{kind} {detail}".lower() for word in PASSPORT_WORDS)
    doc_type = (detail or kind).rstrip(": ")
    doc = model.make_entity("Passport" if is_passport else "Identification")
    doc.id = hashed_id(f"{PREFIX}-{'passport' if is_passport else 'id'}", listing.source_id, doc_type, number)
    if not listing.attach(doc):
        return
    doc.add("holder", listing.target.id)
    listing.put(doc, "number", number)
    listing.put(doc, "type", doc_type)
    listing.put(doc, "country", child_text(elem, "ISSUING_COUNTRY"))
    listing.put(doc, "country", child_text(elem, "COUNTRY_OF_ISSUE"))
    listing.put(doc, "startDate", _iso_date(child_text(elem, "DATE_OF_ISSUE")))
    listing.put(doc, "authority", child_text(elem, "CITY_OF_ISSUE"))
    listing.put(doc, "summary", child_text(elem, "NOTE"))
    listing.put(listing.target, "passportNumber" if is_passport else "idNumber", number)


def _sanction(listing: Listing, elem: Element, list_type: str, dataid: str) -> None:
    sanction = model.make_entity("Sanction")
    sanction.id = hashed_id(f"{PREFIX}-sanction", listing.source_id)
    sanction.add("entity", listing.target.id)
    listing.put(sanction, "authority", AUTHORITY)
    listing.put(sanction, "program", list_type)
    # the listing date is when the sanction started; one warning if it is unreadable
    if listing.put(sanction, "listingDate", _iso_date(child_text(elem, "LISTED_ON"))):
        sanction.add("startDate", sanction.get("listingDate"), cleaned=True)
    listing.put(sanction, "unscId", listing.source_id)
    listing.put(sanction, "authorityId", listing.source_id)
    listing.put(sanction, "recordId", dataid)
    listing.put(sanction, "country", SANCTION_COUNTRY)
    listing.put(sanction, "sourceUrl", SOURCE_URL)
    listing.attach(sanction)
