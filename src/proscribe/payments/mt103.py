"""SWIFT MT103 (single customer credit transfer), read from FIN text.

A file holds one or more messages, each either with its FIN blocks
(``{1:F01BANKBEBBAXXX...}{2:I103BANKDEFFXXXXN}{4:`` ... ``-}``) or as the bare text block: tag lines
(``:20:REF``) ending with a line ``-``, messages separated by a line ``$``. Every field of block 4
is read; a tag MT103 does not have, a missing mandatory field (20, 23B, 32A, 50a, 59a, 71A), a bad
value date, currency, amount or BIC, or a text block that never ends stops the whole file, with
the line and the field named. Options 52 to 57 are read whichever letter (A BIC, B location,
C account, D name and address) the sender used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

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

__all__ = ["looks_like_mt103", "parse_mt103"]

#: every tag MT103 (and MT103 STP / REMIT) may carry in block 4
KNOWN_TAGS = frozenset(
    """13C 20 23B 23E 26T 32A 33B 36 50A 50F 50K 51A 52A 52B 52C 52D 53A 53B 53C 53D 54A 54B 54C 54D
    55A 55B 55C 55D 56A 56B 56C 56D 57A 57B 57C 57D 59 59A 59F 70 71A 71F 71G 72 77B 77T""".split()
)
REPEATABLE = frozenset({"13C", "23E", "71F"})
#: field -> role of the party it names, by the field's number
ROLES = {
    "50": "debtor",
    "52": "debtor_agent",
    "53": "senders_correspondent",
    "54": "receivers_correspondent",
    "55": "third_reimbursement_institution",
    "56": "intermediary_agent_1",
    "57": "creditor_agent",
    "59": "creditor",
}
MANDATORY = {
    "20": "sender's reference",
    "23B": "bank operation code",
    "32A": "value date, currency and interbank settled amount",
    "50": "ordering customer (50A, 50F or 50K)",
    "59": "beneficiary customer (59, 59A or 59F)",
    "71A": "details of charges",
}
BANK_OPERATION_CODES = frozenset({"CRED", "CRTS", "SPAY", "SPRI", "SSTD"})
CHARGES = frozenset({"OUR", "SHA", "BEN"})
#: 72 and 70 codes that carry a licence number
LICENCE_CODES = frozenset({"LICENCE", "LICENSE", "LIC"})

_TAG_LINE = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_FIN_BLOCK4 = re.compile(r"\{4:[ \t]*\r?\n(.*?)(?:\r?\n-\})", re.DOTALL)


def looks_like_mt103(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:200]
    return head.startswith("{1:") or head.startswith(":20:") or head.startswith("{4:")


@dataclass
class _Field:
    tag: str
    lines: list[str]
    line: int  # 1-based line in the file

    @property
    def where(self) -> str:
        return f"line {self.line}"


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _split(text: str, source: str) -> list[tuple[str, int, str, str]]:
    """The messages in the file: (block 4 text, its first line, the whole message text, header)."""
    out: list[tuple[str, int, str, str]] = []
    if "{4:" in text:
        starts = [m.start() for m in re.finditer(r"\{1:", text)] or [text.index("{4:")]
        starts.append(len(text))
        for a, b in pairwise(starts):
            chunk = text[a:b]
            if "{4:" not in chunk:
                raise input_error(
                    source, f"line {_line_of(text, a)}", "block 4", "the message has no text block"
                )
            m = _FIN_BLOCK4.search(chunk)
            if m is None:
                where = f"line {_line_of(text, a + chunk.index('{4:'))}"
                raise input_error(
                    source,
                    where,
                    "block 4",
                    "the text block never ends (no '-}'): the message looks truncated",
                )
            header = chunk[: chunk.index("{4:")]
            out.append((m.group(1), _line_of(text, a + m.start(1)), chunk.strip(), header))
        return out
    # bare text blocks, separated by '$' lines, each ending with a '-' line
    lines = text.splitlines()
    block: list[str] = []
    first = 1
    for number, line in enumerate([*lines, "$"], start=1):
        if line.strip() == "$":
            if any(x.strip() for x in block):
                body = list(block)
                while body and not body[-1].strip():
                    body.pop()
                if not body or body[-1].strip() != "-":
                    raise input_error(
                        source,
                        f"line {first + len(body) - 1 if body else first}",
                        "block 4",
                        "the text block does not end with a '-' line: the message looks truncated",
                    )
                lead = 0
                while not body[lead].strip():
                    lead += 1
                out.append(("\n".join(body[lead:-1]), first + lead, "\n".join(body).strip(), ""))
            block = []
            first = number + 1
            continue
        block.append(line)
    return out


def _fields(body: str, first_line: int, source: str) -> list[_Field]:
    fields: list[_Field] = []
    for i, raw in enumerate(body.splitlines()):
        line = raw.rstrip("\r")
        number = first_line + i
        m = _TAG_LINE.match(line)
        if m:
            tag = m.group(1)
            if tag not in KNOWN_TAGS:
                raise input_error(source, f"line {number}", tag, f"MT103 has no field :{tag}:")
            fields.append(_Field(tag, [m.group(2)], number))
        elif not fields:
            if line.strip():
                raise input_error(
                    source, f"line {number}", "block 4", f"text before the first field: {line.strip()[:40]!r}"
                )
        else:
            fields[-1].lines.append(line)
    return fields


def _value_date(text: str, source: str, where: str) -> date:
    try:
        yy, mm, dd = int(text[0:2]), int(text[2:4]), int(text[4:6])
        return date(2000 + yy if yy < 80 else 1900 + yy, mm, dd)
    except ValueError as exc:
        raise input_error(source, where, "32A", f"{text[:6]!r} is not a date as YYMMDD") from exc


def _account_and_rest(lines: list[str]) -> tuple[str | None, list[str]]:
    """A leading ``/account`` line (or ``/D/account``, ``/C/account``) and the lines after it."""
    if lines and lines[0].startswith("/"):
        acct = lines[0][1:]
        if len(acct) > 2 and acct[1] == "/" and acct[0] in "CD":
            acct = acct[2:]
        return acct.strip().lstrip("/") or None, lines[1:]
    return None, lines


def _party_50f_59f(role: str, f: _Field, source: str) -> Party:
    """Option F: numbered lines, 1 name, 2 address, 3 country/town, 4-8 birth and identity."""
    account: str | None = None
    identifiers: list[str] = []
    lines = [x for x in f.lines if x.strip()]
    if lines and not re.match(r"^\d/", lines[0]):
        first = lines.pop(0)
        if first.startswith("/"):
            account = check_account(first[1:].strip() or None, source, f.where, f.tag)
        else:
            identifiers.append(first.strip())  # e.g. NIDN/BE/12345678
    names: list[str] = []
    address: list[str] = []
    country: str | None = None
    birth: str | None = None
    for line in lines:
        m = re.match(r"^(\d)/(.*)$", line)
        if m is None:
            raise input_error(source, f.where, f.tag, f"option F lines start with a number and '/': {line!r}")
        n, value = m.group(1), m.group(2).strip()
        if n == "1":
            names.append(value)
        elif n == "2":
            address.append(value)
        elif n == "3":
            cc, _, town = value.partition("/")
            if not re.fullmatch(r"[A-Z]{2}", cc):
                raise input_error(
                    source, f.where, f.tag, f"line 3/ must start with a country code, not {cc!r}"
                )
            country = cc
            if town:
                address.append(town)
        elif n == "4":
            birth = value
        else:
            identifiers.append(value)
    return Party(
        role,
        f.tag,
        " ".join(names),
        tuple(address),
        country,
        None,
        account,
        tuple(identifiers),
        "person" if birth else None,
        _iso_birth(birth),
    )


def _iso_birth(value: str | None) -> str | None:
    if value and re.fullmatch(r"\d{8}", value):
        return f"{value[0:4]}-{value[4:6]}-{value[6:8]}"
    return None


def _party(f: _Field, source: str) -> Party:
    number, option = f.tag[:2], f.tag[2:]
    role = ROLES[number]
    if option == "F":
        return _party_50f_59f(role, f, source)
    lines = [x for x in f.lines if x.strip()]
    account, rest = _account_and_rest(lines)
    account = check_account(account, source, f.where, f.tag)
    if option == "A":
        if not rest:
            raise input_error(source, f.where, f.tag, "option A needs a BIC")
        bic = check_bic(rest[0], source, f.where, f.tag)
        return Party(role, f.tag, "", (), bic_country(bic), bic, account)
    if option == "C":
        return Party(role, f.tag, "", (), None, None, account)
    if option == "B":
        return Party(role, f.tag, "", tuple(rest), None, None, account)
    # option D, 50K and plain 59: name and address lines
    if option not in ("", "D", "K"):
        raise input_error(source, f.where, f.tag, f"option {option} is not read")
    name = rest[0].strip() if rest else ""
    address = tuple(x.strip() for x in rest[1:])
    country = None
    if address:
        m = re.match(r"^([A-Z]{2})/", address[-1])
        if m:
            country = m.group(1)
    return Party(role, f.tag, name, address, country, None, account)


def _header_agents(header: str, source: str, where: str) -> list[Party]:
    """Sender (block 1) and receiver (block 2), which are banks in the chain like any other."""
    out: list[Party] = []
    if not header:
        return out
    b2 = re.search(r"\{2:([IO])(\d{3})", header)
    if b2 and b2.group(2) != "103":
        raise input_error(source, where, "block 2", f"message type {b2.group(2)} is not an MT103")
    b1 = re.search(r"\{1:F01([A-Z0-9]{12})", header)
    if b1:
        bic = b1.group(1)[:8]
        out.append(Party("sender", "block 1", "", (), bic_country(bic), bic))
    if b2:
        # input messages name the receiver right after the type; output messages the sender's LT
        m = re.search(r"\{2:I103([A-Z0-9]{12})", header)
        if m:
            bic = m.group(1)[:8]
            out.append(Party("receiver", "block 2", "", (), bic_country(bic), bic))
    return out


def _codes(lines: list[str]) -> list[tuple[str, str]]:
    """Field 72 (or 70) as (code, text) pairs: ``/CODE/text`` lines with ``//`` continuations."""
    out: list[tuple[str, str]] = []
    for line in lines:
        s = line.strip()
        if s.startswith("//") and out:
            code, text = out[-1]
            out[-1] = (code, f"{text} {s[2:].strip()}".strip())
            continue
        m = re.match(r"^/([A-Z0-9]{1,8})/(.*)$", s)
        if m:
            out.append((m.group(1), m.group(2).strip()))
        elif out:
            code, text = out[-1]
            out[-1] = (code, f"{text} {s}".strip())
        else:
            out.append(("", s))
    return out


def _message(body: str, first: int, raw: str, header: str, source: str) -> PaymentMessage:
    where = f"line {first}"
    fields = _fields(body, first, source)
    by_tag: dict[str, _Field] = {}
    seen_numbers: dict[str, _Field] = {}
    for f in fields:
        if f.tag in by_tag and f.tag not in REPEATABLE:
            raise input_error(
                source, f.where, f.tag, f"the field appears twice (first at {by_tag[f.tag].where})"
            )
        number = f.tag[:2]
        if number in ROLES and number in seen_numbers:
            other = seen_numbers[number]
            raise input_error(
                source,
                f.where,
                f.tag,
                f"a second option of field {number} (:{other.tag}: at {other.where})",
            )
        by_tag.setdefault(f.tag, f)
        if number in ROLES:
            seen_numbers[number] = f
    for key, what in MANDATORY.items():
        present = key in seen_numbers if key in ROLES else key in by_tag
        if not present:
            raise input_error(source, where, key, f"the mandatory field ({what}) is missing")

    ref = "\n".join(by_tag["20"].lines).strip()
    if not ref or len(ref) > 16:
        raise input_error(
            source, by_tag["20"].where, "20", f"the reference must be 1 to 16 characters, not {ref!r}"
        )
    op = by_tag["23B"].lines[0].strip()
    if op not in BANK_OPERATION_CODES:
        raise input_error(source, by_tag["23B"].where, "23B", f"{op!r} is not a bank operation code")
    f32 = by_tag["32A"]
    v32 = f32.lines[0].strip()
    m32 = re.fullmatch(r"(\d{6})([A-Z]{3}|.{0,3}?)(.*)", v32)
    if not v32 or len(v32) < 6 or m32 is None:
        raise input_error(source, f32.where, "32A", f"{v32!r} is not YYMMDD, currency and amount")
    value_date = _value_date(m32.group(1), source, f32.where)
    rest = v32[6:]
    currency = check_currency(rest[:3], source, f32.where, "32A currency")
    if not rest[3:]:
        raise input_error(source, f32.where, "32A amount", "the amount is missing")
    amount = check_amount(rest[3:], currency, source, f32.where, "32A amount", decimal_comma=True)
    instructed_amount = instructed_currency = None
    if "33B" in by_tag:
        f33 = by_tag["33B"]
        v33 = f33.lines[0].strip()
        instructed_currency = check_currency(v33[:3], source, f33.where, "33B currency")
        instructed_amount = check_amount(
            v33[3:], instructed_currency, source, f33.where, "33B amount", decimal_comma=True
        )
    charges = by_tag["71A"].lines[0].strip()
    if charges not in CHARGES:
        raise input_error(source, by_tag["71A"].where, "71A", f"{charges!r} is not OUR, SHA or BEN")

    parties = _header_agents(header, source, where)
    for f in fields:
        if f.tag[:2] in ROLES:
            parties.append(_party(f, source))
    free: list[FreeText] = []
    claim: str | None = None
    for tag in ("70", "72", "77B"):
        if tag in by_tag:
            lines = [x.strip() for x in by_tag[tag].lines if x.strip()]
            free.append(FreeText(tag, "\n".join(lines)))
            for code, text in _codes(lines):
                if code in LICENCE_CODES and claim is None:
                    claim = find_license([text]) or " ".join(text.split())
    if claim is None:
        claim = find_license(f.text for f in free)
    references = {"sender_reference": ref}
    uetr = re.search(r"\{121:([0-9a-fA-F-]{36})\}", header + raw)
    if uetr:
        references["uetr"] = uetr.group(1).lower()
    if "21" in by_tag:  # pragma: no cover - not an MT103 tag, kept for related references
        references["related_reference"] = by_tag["21"].lines[0].strip()
    return PaymentMessage(
        message_type="MT103",
        source=source,
        location=where,
        reference=ref,
        amount=amount,
        currency=currency,
        value_date=value_date,
        parties=parties,
        free_text=free,
        references=references,
        instructed_amount=instructed_amount,
        instructed_currency=instructed_currency,
        charges=charges,
        purpose_code=None,
        license_claim=claim,
        raw=raw,
    )


def parse_mt103(text: str, source: str) -> list[PaymentMessage]:
    """Every MT103 in ``text``; the first malformed one stops the file (nothing is half-read)."""
    messages = [
        _message(body, first, raw, header, source) for body, first, raw, header in _split(text, source)
    ]
    if not messages:
        raise input_error(source, "line 1", "block 4", "no MT103 message found")
    return messages
