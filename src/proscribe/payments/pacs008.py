"""ISO 20022 pacs.008 (FI to FI customer credit transfer), versions 08 to 13.

Elements are read by local name, so a document in any of those namespaces (or in none, as test
files often are) reads the same; a document in another message's namespace is refused. The
message may be the ``Document`` itself or sit inside an envelope with a business application
header. One message holds one or more ``CdtTrfTxInf``; each becomes a ``PaymentMessage``.

XML comes from outside, so it is parsed by defusedxml with DTDs forbidden: no entity expansion,
no external entity or DTD is ever fetched (the same stance as ``sources/xmlsafe.py``).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

from proscribe.payments.claims import find_license
from proscribe.payments.messages import (
    FreeText,
    Party,
    PaymentMessage,
    bic_country,
    check_account,
    check_amount,
    check_bic,
    check_currency,
    input_error,
)
from proscribe.sources.xmlsafe import clean_text, local_name

__all__ = ["SUPPORTED_VERSIONS", "looks_like_pacs008", "parse_pacs008"]

SUPPORTED_VERSIONS = frozenset({"08", "09", "10", "11", "12", "13"})
_NS = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:([a-z]{4})\.(\d{3})\.(\d{3})\.(\d{2})$")

#: party elements of a transaction and the roles they play
PARTY_ROLES = (
    ("UltmtDbtr", "ultimate_debtor"),
    ("InitgPty", "initiating_party"),
    ("Dbtr", "debtor"),
    ("Cdtr", "creditor"),
    ("UltmtCdtr", "ultimate_creditor"),
)
AGENT_ROLES = (
    ("InstgAgt", "instructing_agent"),
    ("InstdAgt", "instructed_agent"),
    ("PrvsInstgAgt1", "previous_instructing_agent_1"),
    ("PrvsInstgAgt2", "previous_instructing_agent_2"),
    ("PrvsInstgAgt3", "previous_instructing_agent_3"),
    ("IntrmyAgt1", "intermediary_agent_1"),
    ("IntrmyAgt2", "intermediary_agent_2"),
    ("IntrmyAgt3", "intermediary_agent_3"),
    ("DbtrAgt", "debtor_agent"),
    ("CdtrAgt", "creditor_agent"),
)
REQUIRED_PARTIES = ("Dbtr", "DbtrAgt", "CdtrAgt", "Cdtr")


def looks_like_pacs008(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith("<")


def _child(elem: Element | None, *path: str) -> Element | None:
    """The first descendant along ``path`` of local names, whatever the namespace."""
    node = elem
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if local_name(c.tag) == name), None)
    return node


def _children(elem: Element | None, name: str) -> list[Element]:
    return [c for c in elem if local_name(c.tag) == name] if elem is not None else []


def _text(elem: Element | None, *path: str) -> str:
    node = _child(elem, *path)
    return clean_text(node.text) if node is not None else ""


def _parse_xml(text: str, source: str) -> Element:
    try:
        root: Element = fromstring(
            text.encode("utf-8"), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
        return root
    except DTDForbidden as exc:
        raise input_error(
            source, "line 1", "DOCTYPE", "DTDs and entity declarations are refused in payment messages"
        ) from exc
    except EntitiesForbidden as exc:
        raise input_error(
            source, "line 1", "DOCTYPE", f"declares the entity {exc.name!r}; entities are refused"
        ) from exc
    except ExternalReferenceForbidden as exc:
        raise input_error(source, "line 1", "DOCTYPE", "refers to an external resource; refused") from exc
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        message = str(exc).split(":", 1)[0]
        truncated = any(h in message for h in ("no element found", "unclosed token", "unexpected end"))
        reason = (
            "the XML stops before it is complete: the message looks truncated"
            if truncated
            else (f"not well-formed XML ({message})")
        )
        raise input_error(source, f"line {line}, column {column + 1}", "XML", reason) from exc


def _version(elem: Element, source: str) -> str:
    tag = elem.tag
    if not tag.startswith("{"):
        return ""
    ns = tag[1:].split("}", 1)[0]
    m = _NS.match(ns)
    if m is None or m.group(1) != "pacs" or m.group(2) != "008" or m.group(4) not in SUPPORTED_VERSIONS:
        raise input_error(
            source,
            "FIToFICstmrCdtTrf",
            "namespace",
            f"{ns!r} is not pacs.008.001.08 to .13",
        )
    return f"pacs.008.001.{m.group(4)}"


def _iso_date(value: str, source: str, where: str, name: str) -> date:
    problem = f"{value!r} is not a date as YYYY-MM-DD"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise input_error(source, where, name, problem)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise input_error(source, where, name, problem) from exc


def _address(elem: Element | None) -> tuple[tuple[str, ...], str | None]:
    if elem is None:
        return (), None
    parts: list[str] = []
    for name in (
        "Dept",
        "SubDept",
        "StrtNm",
        "BldgNb",
        "BldgNm",
        "Flr",
        "PstBx",
        "Room",
        "PstCd",
        "TwnNm",
        "TwnLctnNm",
        "DstrctNm",
        "CtrySubDvsn",
    ):
        value = _text(elem, name)
        if value:
            parts.append(value)
    parts.extend(clean_text(a.text) for a in _children(elem, "AdrLine") if clean_text(a.text))
    country = _text(elem, "Ctry") or None
    return tuple(parts), country.upper() if country else None


def _account(tx: Element, name: str, source: str, where: str) -> str | None:
    acct = _child(tx, name)
    if acct is None:
        return None
    iban = _text(acct, "Id", "IBAN")
    if iban:
        return check_account(iban, source, where, f"{name}/Id/IBAN", iban_only=True)
    return _text(acct, "Id", "Othr", "Id") or None


def _party(tx: Element, tag: str, role: str, where: str, source: str) -> Party | None:
    elem = _child(tx, tag)
    if elem is None:
        return None
    field = f"{where}/{tag}"
    # pacs.008 wraps parties in Pty from version 13 on for some roles; read through it
    pty = _child(elem, "Pty")
    inner = pty if pty is not None else elem
    address, country = _address(_child(inner, "PstlAdr"))
    identifiers: list[str] = []
    kind = None
    bic: str | None = None
    birth: str | None = None
    org = _child(inner, "Id", "OrgId")
    prv = _child(inner, "Id", "PrvtId")
    if org is not None:
        kind = "organization"
        any_bic = _text(org, "AnyBIC")
        if any_bic:
            bic = check_bic(any_bic, source, field, f"{tag}/Id/OrgId/AnyBIC")
        if _text(org, "LEI"):
            identifiers.append(_text(org, "LEI"))
        identifiers.extend(_text(o, "Id") for o in _children(org, "Othr") if _text(o, "Id"))
    if prv is not None:
        kind = "person"
        birth = _text(prv, "DtAndPlcOfBirth", "BirthDt") or None
        identifiers.extend(_text(o, "Id") for o in _children(prv, "Othr") if _text(o, "Id"))
    country = country or (_text(inner, "CtryOfRes").upper() or None)
    account = _account(tx, f"{tag}Acct", source, field)
    return Party(
        role, field, _text(inner, "Nm"), address, country, bic, account, tuple(identifiers), kind, birth
    )


def _agent(
    holder: Element, tag: str, role: str, where: str, source: str, tx: Element | None = None
) -> Party | None:
    elem = _child(holder, tag)
    if elem is None:
        return None
    field = f"{where}/{tag}"
    fin = _child(elem, "FinInstnId")
    if fin is None:
        raise input_error(
            source, field, f"{tag}/FinInstnId", "an agent needs its financial institution identification"
        )
    bic_text = _text(fin, "BICFI") or _text(fin, "BIC")
    bic = check_bic(bic_text, source, field, f"{tag}/FinInstnId/BICFI") if bic_text else None
    address, country = _address(_child(fin, "PstlAdr"))
    identifiers = [
        v for v in (_text(fin, "ClrSysMmbId", "MmbId"), _text(fin, "LEI"), _text(fin, "Othr", "Id")) if v
    ]
    account = _account(tx, f"{tag}Acct", source, field) if tx is not None else None
    return Party(
        role,
        field,
        _text(fin, "Nm"),
        address,
        country or bic_country(bic),
        bic,
        account,
        tuple(identifiers),
        "organization",
    )


def _amount(
    tx: Element, name: str, where: str, source: str, required: bool
) -> tuple[Decimal | None, str | None]:
    elem = _child(tx, name)
    if elem is None:
        if required:
            raise input_error(source, where, name, "the interbank settlement amount is missing")
        return None, None
    currency = check_currency(elem.get("Ccy", ""), source, where, f"{name}/@Ccy")
    amount = check_amount(clean_text(elem.text), currency, source, where, name, decimal_comma=False)
    return amount, currency


def _transaction(
    tx: Element, number: int, header: Element | None, raw: str, source: str, version: str
) -> PaymentMessage:
    where = f"CdtTrfTxInf[{number}]"
    for tag in REQUIRED_PARTIES:
        if _child(tx, tag) is None:
            raise input_error(source, where, tag, "the element is missing")
    amount, currency = _amount(tx, "IntrBkSttlmAmt", where, source, required=True)
    assert amount is not None and currency is not None  # required=True raised otherwise
    instructed, instructed_ccy = _amount(tx, "InstdAmt", where, source, required=False)
    settle = _text(tx, "IntrBkSttlmDt") or _text(header, "IntrBkSttlmDt")
    value_date = _iso_date(settle, source, where, "IntrBkSttlmDt") if settle else None
    pmt = _child(tx, "PmtId")
    end_to_end = _text(pmt, "EndToEndId")
    if pmt is None or not end_to_end:
        raise input_error(source, where, "PmtId/EndToEndId", "the end-to-end identification is missing")
    references = {
        k: v
        for k, v in {
            "message_id": _text(header, "MsgId"),
            "instruction_id": _text(pmt, "InstrId"),
            "end_to_end_id": end_to_end,
            "transaction_id": _text(pmt, "TxId"),
            "uetr": _text(pmt, "UETR").lower(),
            "version": version,
        }.items()
        if v
    }
    parties: list[Party] = []
    for tag, role in AGENT_ROLES[:2]:  # instructing / instructed agents may sit in the group header
        p = _agent(tx, tag, role, where, source) or (
            _agent(header, tag, role, "GrpHdr", source) if header is not None else None
        )
        if p:
            parties.append(p)
    for tag, role in PARTY_ROLES:
        p = _party(tx, tag, role, where, source)
        if p:
            parties.append(p)
    for tag, role in AGENT_ROLES[2:]:
        p = _agent(tx, tag, role, where, source, tx)
        if p:
            parties.append(p)
    free: list[FreeText] = []
    rmt = _child(tx, "RmtInf")
    for u in _children(rmt, "Ustrd"):
        if clean_text(u.text):
            free.append(FreeText("RmtInf/Ustrd", clean_text(u.text)))
    for strd in _children(rmt, "Strd"):
        for extra in _children(strd, "AddtlRmtInf"):
            if clean_text(extra.text):
                free.append(FreeText("RmtInf/Strd/AddtlRmtInf", clean_text(extra.text)))
    for tag in ("InstrForCdtrAgt", "InstrForNxtAgt"):
        for instr in _children(tx, tag):
            if _text(instr, "InstrInf"):
                free.append(FreeText(f"{tag}/InstrInf", _text(instr, "InstrInf")))
    regulatory: list[str] = []
    for rr in _children(tx, "RgltryRptg"):
        for det in _children(rr, "Dtls"):
            regulatory.extend(clean_text(i.text) for i in _children(det, "Inf") if clean_text(i.text))
    for value in regulatory:
        free.append(FreeText("RgltryRptg/Dtls/Inf", value))
    purpose_code = _text(tx, "Purp", "Cd").upper() or None
    purpose_prtry = _text(tx, "Purp", "Prtry")
    if purpose_prtry:
        free.append(FreeText("Purp/Prtry", purpose_prtry))
    claim = find_license([*regulatory, purpose_prtry]) or find_license(f.text for f in free)
    reference = end_to_end if end_to_end.upper() != "NOTPROVIDED" else (_text(pmt, "TxId") or end_to_end)
    return PaymentMessage(
        message_type="pacs.008",
        source=source,
        location=where,
        reference=reference,
        amount=amount,
        currency=currency,
        value_date=value_date,
        parties=parties,
        free_text=free,
        references=references,
        instructed_amount=instructed,
        instructed_currency=instructed_ccy,
        charges=_text(tx, "ChrgBr") or None,
        purpose_code=purpose_code,
        license_claim=claim,
        raw=raw,
    )


def parse_pacs008(text: str, source: str) -> list[PaymentMessage]:
    """Every credit transfer in a pacs.008 file; the first malformed one stops the file."""
    root = _parse_xml(text, source)
    messages = [e for e in root.iter() if local_name(e.tag) == "FIToFICstmrCdtTrf"]
    if not messages:
        raise input_error(
            source,
            f"<{local_name(root.tag)}>",
            "FIToFICstmrCdtTrf",
            "not a pacs.008 message (no FIToFICstmrCdtTrf)",
        )
    out: list[PaymentMessage] = []
    number = 0
    for msg in messages:
        version = _version(msg, source)
        header = _child(msg, "GrpHdr")
        if header is None or not _text(header, "MsgId"):
            raise input_error(
                source, "GrpHdr", "GrpHdr/MsgId", "the group header or its message id is missing"
            )
        txs = _children(msg, "CdtTrfTxInf")
        if not txs:
            raise input_error(source, "FIToFICstmrCdtTrf", "CdtTrfTxInf", "the message holds no transaction")
        declared = _text(header, "NbOfTxs")
        if declared and declared != str(len(txs)):
            raise input_error(
                source,
                "GrpHdr",
                "GrpHdr/NbOfTxs",
                f"says {declared} transactions; the message holds {len(txs)}",
            )
        for tx in txs:
            number += 1
            out.append(_transaction(tx, number, header, text, source, version))
    return out
