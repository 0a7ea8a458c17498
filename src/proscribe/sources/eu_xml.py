"""The EU Financial Sanctions Files, XML edition (``xmlFullSanctionsList_1_1``).

The file is ``export`` (namespace ``http://eu.europa.ec/fpi/fsd/export``, with a
``generationDate`` attribute) holding one ``sanctionEntity`` per listing. Each becomes
one record: the target has id ``eu-fsf-<logicalId>`` and is a Person
(``subjectType code="person"``), an Organization (``"enterprise"``) or a Vessel (an
enterprise carrying an identification of type ``imo``: the EU lists ships as
enterprises). Adjacent entities: one Sanction, Addresses, Passports and
Identifications.

Names. Every ``nameAlias`` is a name; the first strong one (``strong`` not "false")
becomes ``name`` and supplies ``firstName``/``middleName``/``lastName``; other strong
ones (often the same name in another script, ``nameLanguage``) are ``alias``; weak ones
(``strong="false"``) are ``weakAlias``. ``gender``, ``title`` and ``function``
(-> ``position``) are read from every alias of a person.

Identifications by ``identificationTypeCode``: passport -> Passport and
``passportNumber``; imo -> ``imoNumber``; swiftbic -> ``swiftBic``; regnumber ->
Identification and ``registrationNumber``; fiscalcode -> Identification and
``taxNumber``; any other code -> Identification and ``idNumber``. Country code "00"
("UNKNOWN") is the EU's blank and is skipped.

Birth dates (``birthdate``): the full ``birthdate`` attribute when given, otherwise
``year`` refined by ``monthOfYear`` and ``dayOfMonth``, or every year of
``yearRangeFrom``..``yearRangeTo``. ``circa="true"`` keeps the date and is counted in
``stats["circa_birth_dates"]``. A date in a calendar other than Gregorian is not put
in ``birthDate`` (it would be wrong); it is kept in ``notes`` with a warning.

The Sanction: ``program`` = each regulation's ``programme``; ``listingDate`` =
``designationDate``, or, when the EU leaves it blank (older listings), the earliest
regulation ``publicationDate`` (counted in ``stats["listing_date_from_regulation"]``);
``reason`` = ``designationDetails``; ``unscId`` = ``unitedNationId``; ``authorityId`` =
``logicalId``; ``recordId`` = ``euReferenceNumber``; ``description`` = the regulation
titles; ``sourceUrl`` = the regulations' ``publicationUrl``.

Addresses with only a country set the target's ``country`` instead of an Address
entity; address ``contactInfo`` (PHONE/FAX, EMAIL, WEB) goes to the target's ``phone``,
``email`` and ``website``.

Fatal (``ListFormatError``): malformed, truncated or hostile XML, a root other than
``export`` in the FSF namespace, a ``sanctionEntity`` without ``logicalId`` or without
any name, two entities sharing a ``logicalId``, and a file with no entities.
Warnings: a value FollowTheMoney cannot read (left out), an unknown ``subjectType``
(the target becomes a LegalEntity), a non-Gregorian birth date, an entity with only
weak names, and an unreadable ``generationDate`` (``as_of`` is then None).
"""

from __future__ import annotations

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
from proscribe.sources.xmlsafe import XmlRecords, clean_text, peek_root

FORMAT = "eu-xml"
DATASET = "eu_fsf"

PREFIX = "eu-fsf"
AUTHORITY = "European Union"
SANCTION_COUNTRY = "eu"
#: where the files are announced; used as sourceUrl when a listing names no regulation URL
SOURCE_URL = "https://webgate.ec.europa.eu/fsd/fsf"

NS = "http://eu.europa.ec/fpi/fsd/export"
ROOT = f"{{{NS}}}export"
ENTITY = f"{{{NS}}}sanctionEntity"

#: subjectType code -> schema (an enterprise with an IMO number is turned into a Vessel)
SUBJECT_SCHEMA = {"person": "Person", "enterprise": "Organization"}
#: identificationTypeCode -> (adjacent schema or None, target property)
IDENTIFICATION = {
    "passport": ("Passport", "passportNumber"),
    "imo": (None, "imoNumber"),
    "swiftbic": (None, "swiftBic"),
    "regnumber": ("Identification", "registrationNumber"),
    "fiscalcode": ("Identification", "taxNumber"),
}
DEFAULT_IDENTIFICATION = ("Identification", "idNumber")
#: identification flags worth telling a reviewer about, as the EU names them
DOCUMENT_FLAGS = {
    "diplomatic": "diplomatic",
    "knownExpired": "known to be expired",
    "knownFalse": "known to be false",
    "reportedLost": "reported lost",
    "revokedByIssuer": "revoked by the issuer",
}
CONTACT_PROPERTY = {"PHONE": "phone", "FAX": "phone", "EMAIL": "email", "WEB": "website"}
UNKNOWN_COUNTRY = frozenset({"", "00"})

#: a year range wider than this is suspicious; only its two ends are kept
MAX_YEAR_SPAN = 10


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _attr(elem: Element, name: str) -> str:
    return clean_text(elem.get(name))


def sniff(path: Path) -> bool:
    peek = peek_root(path)
    return peek.name == "export" and peek.namespace == NS and "sanctionEntity" in peek.head


def read(path: Path, *, dataset: str | None = None, progress: Progress | None = None) -> ParsedList:
    """Parse and validate an EU FSF XML file (see the module docstring)."""
    log = ImportLog()
    reader = XmlRecords(path, (ENTITY,), expected_root=ROOT)
    records = gather(
        path,
        (
            (f"sanctionEntity #{i}", _record(path, elem, i, dataset or DATASET, log))
            for i, elem in enumerate(reader, 1)
        ),
        progress,
        id_label="logicalId",
        empty="no sanctionEntity in the file",
    )
    return ParsedList(
        dataset=dataset or DATASET,
        format=FORMAT,
        source=str(path),
        checksum=file_checksum(path),
        records=records,
        as_of=stated_date(reader.root_attrib.get("generationDate", ""), log, "export", "generationDate"),
        stats=list_stats(records, log),
        warnings=log.messages(),
    )


# --- bookkeeping -------------------------------------------------------------------------


def _country(elem: Element) -> str:
    code = _attr(elem, "countryIso2Code")
    return "" if code.upper() in UNKNOWN_COUNTRY else code


# --- one listing -------------------------------------------------------------------------


class _Name:
    def __init__(self, elem: Element) -> None:
        self.elem = elem
        self.first, self.middle, self.last = (_attr(elem, a) for a in ("firstName", "middleName", "lastName"))
        self.whole = _attr(elem, "wholeName") or " ".join(
            p for p in (self.first, self.middle, self.last) if p
        )
        self.strong = _attr(elem, "strong").lower() != "false"


def _record(path: Path, elem: Element, index: int, dataset: str, log: ImportLog) -> Record:
    logical_id = _attr(elem, "logicalId")
    where = f"sanctionEntity #{index} (logicalId {logical_id or 'missing'})"
    if not logical_id:
        raise ListFormatError(path, "a sanctionEntity has no logicalId", where)
    names = [name for name in map(_Name, elem.findall(_q("nameAlias"))) if name.whole]
    if not names:
        raise ListFormatError(path, "a sanctionEntity has no name", where)

    target = model.make_entity(_schema(elem, where, log))
    target.id = make_id(PREFIX, logical_id)
    listing = Listing(logical_id, where, target, log)

    _names(listing, names)
    for remark in elem.findall(_q("remark")):
        listing.put(target, "notes", remark.text)
    for citizenship in elem.findall(_q("citizenship")):
        listing.put_target(
            "nationality" if target.schema.name == "Person" else "country", _country(citizenship)
        )
    for address in elem.findall(_q("address")):
        _address(listing, address)
    for ident in elem.findall(_q("identification")):
        _identification(listing, ident)
    for birth in elem.findall(_q("birthdate")):
        if target.schema.name == "Person":
            _birth(listing, birth)
        else:
            log.counts["birth_dates_on_non_person"] += 1
    _sanction(listing, elem)
    return listing.record(dataset)


def _schema(elem: Element, where: str, log: ImportLog) -> str:
    subject = elem.find(_q("subjectType"))
    code = _attr(subject, "code").lower() if subject is not None else ""
    schema = SUBJECT_SCHEMA.get(code)
    if schema is None:
        log.warn(where, f"subjectType {code!r} unknown; the target is a LegalEntity")
        return "LegalEntity"
    imo = any(_attr(i, "identificationTypeCode").lower() == "imo" for i in elem.findall(_q("identification")))
    return "Vessel" if schema == "Organization" and imo else schema


def _names(listing: Listing, names: list[_Name]) -> None:
    primary = next((name for name in names if name.strong), None)
    if primary is None:
        listing.log.warn(listing.where, "only weak names; the first is used as the name")
        primary = names[0]
    listing.put(listing.target, "name", primary.whole)
    person = listing.target.schema.name == "Person"
    if person:
        listing.put(listing.target, "firstName", primary.first)
        listing.put(listing.target, "middleName", primary.middle)
        listing.put(listing.target, "lastName", primary.last)
    for name in names:
        if name is not primary:
            listing.put(listing.target, "alias" if name.strong else "weakAlias", name.whole)
        if person:
            listing.put(listing.target, "gender", _attr(name.elem, "gender"))
            listing.put(listing.target, "title", _attr(name.elem, "title"))
            listing.put(listing.target, "position", _attr(name.elem, "function"))


def _address(listing: Listing, elem: Element) -> None:
    for contact in elem.findall(_q("contactInfo")):
        prop = CONTACT_PROPERTY.get(_attr(contact, "key").upper())
        if prop:
            listing.put_target(prop, _attr(contact, "value"))
    street, po_box, place, city, postcode, region = (
        _attr(elem, a) for a in ("street", "poBox", "place", "city", "zipCode", "region")
    )
    country = _country(elem)
    if not (street or po_box or place or city or postcode or region):
        listing.put_target("country", country)
        if country:
            listing.log.counts["country_only_addresses"] += 1
        return
    country_name = _attr(elem, "countryDescription") if country else ""
    full = ", ".join(p for p in (street, po_box, place, city, postcode, region, country_name) if p)
    address = model.make_entity("Address")
    address.id = hashed_id(f"{PREFIX}-addr", listing.source_id, full)
    if not listing.attach(address):
        return
    listing.put(address, "full", full)
    listing.put(address, "street", street)
    listing.put(address, "postOfficeBox", po_box)
    listing.put(address, "city", city or place)
    listing.put(address, "postalCode", postcode)
    listing.put(address, "region", region)
    listing.put(address, "country", country)
    for remark in elem.findall(_q("remark")):
        listing.put(address, "remarks", remark.text)
    if listing.put_target("addressEntity", address.id):
        listing.put_target("address", full)
    listing.put_target("country", country)


def _identification(listing: Listing, elem: Element) -> None:
    number = _attr(elem, "number") or _attr(elem, "latinNumber")
    code = _attr(elem, "identificationTypeCode").lower()
    if not number:
        listing.log.counts["identifications_without_number"] += 1
        return
    schema, prop = IDENTIFICATION.get(code, DEFAULT_IDENTIFICATION)
    listing.put_target(prop, number)
    if schema is None:
        return
    doc = model.make_entity(schema)
    doc.id = hashed_id(f"{PREFIX}-{code or 'id'}", listing.source_id, code, number)
    if not listing.attach(doc):
        return
    doc.add("holder", listing.target.id)
    listing.put(doc, "number", number)
    listing.put(doc, "type", _attr(elem, "identificationTypeDescription") or code)
    listing.put(doc, "country", _country(elem))
    listing.put(doc, "authority", _attr(elem, "issuedBy"))
    listing.put(doc, "startDate", _attr(elem, "issueDate"))
    flags = [text for attr, text in DOCUMENT_FLAGS.items() if _attr(elem, attr).lower() == "true"]
    remarks = [clean_text(r.text) for r in elem.findall(_q("remark"))]
    listing.put(doc, "summary", "; ".join(p for p in (*flags, *remarks) if p))


def _birth(listing: Listing, elem: Element) -> None:
    target = listing.target
    calendar = _attr(elem, "calendarType").upper()
    dates = _birth_dates(listing, elem)
    if calendar not in ("", "GREGORIAN"):
        for value in dates:
            listing.log.warn(
                listing.where, f"birth date {value!r} is in the {calendar} calendar; kept in notes"
            )
            listing.put(target, "notes", f"Date of birth ({calendar} calendar): {value}")
    else:
        for value in dates:
            listing.put(target, "birthDate", value)
    if dates and _attr(elem, "circa").lower() == "true":
        listing.log.counts["circa_birth_dates"] += 1
    city, place, region = (_attr(elem, a) for a in ("city", "place", "region"))
    country = _country(elem)
    if city or place or region:
        country_name = _attr(elem, "countryDescription") if country else ""
        listing.put(target, "birthPlace", ", ".join(p for p in (place, city, region, country_name) if p))
    listing.put(target, "birthCountry", country)


def _birth_dates(listing: Listing, elem: Element) -> list[str]:
    full, year = _attr(elem, "birthdate"), _attr(elem, "year")
    if full:
        return [full]
    if year:
        month, day = _attr(elem, "monthOfYear"), _attr(elem, "dayOfMonth")
        if not month.isdigit():
            return [year]
        if not day.isdigit():
            return [f"{year}-{int(month):02d}"]
        return [f"{year}-{int(month):02d}-{int(day):02d}"]
    first, last = _attr(elem, "yearRangeFrom"), _attr(elem, "yearRangeTo")
    if not (first or last):
        return []
    if not (first.isdigit() and last.isdigit()) or int(last) < int(first):
        listing.log.warn(
            listing.where, f"birth year range {first!r}-{last!r} not understood; ends kept as given"
        )
        return [value for value in (first, last) if value]
    if int(last) - int(first) > MAX_YEAR_SPAN:
        listing.log.warn(listing.where, f"birth year range {first}-{last} is wide; only its ends are kept")
        return [first, last]
    return [str(y) for y in range(int(first), int(last) + 1)]


def _sanction(listing: Listing, elem: Element) -> None:
    sanction = model.make_entity("Sanction")
    sanction.id = hashed_id(f"{PREFIX}-sanction", listing.source_id)
    sanction.add("entity", listing.target.id)
    listing.put(sanction, "authority", AUTHORITY)
    listing.put(sanction, "country", SANCTION_COUNTRY)
    listing.put(sanction, "authorityId", listing.source_id)
    listing.put(sanction, "recordId", _attr(elem, "euReferenceNumber"))
    listing.put(sanction, "unscId", _attr(elem, "unitedNationId"))
    listing.put(sanction, "reason", _attr(elem, "designationDetails"))
    regulations = elem.findall(_q("regulation"))
    for regulation in regulations:
        listing.put(sanction, "program", _attr(regulation, "programme"))
        listing.put(sanction, "description", _attr(regulation, "numberTitle"))
        for url in regulation.findall(_q("publicationUrl")):
            listing.put(sanction, "sourceUrl", url.text)
    if not sanction.get("sourceUrl"):
        listing.put(sanction, "sourceUrl", SOURCE_URL)
    listed = _attr(elem, "designationDate")
    if not listed:
        published = sorted(d for d in (_attr(r, "publicationDate") for r in regulations) if d)
        listed = published[0] if published else ""
        if listed:
            listing.log.counts["listing_date_from_regulation"] += 1
    if listing.put(sanction, "listingDate", listed):
        sanction.add("startDate", sanction.get("listingDate"), cleaned=True)
    listing.attach(sanction)
