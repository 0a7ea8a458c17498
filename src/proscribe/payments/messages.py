"""The payment message model both parsers fill: every party and agent, the money, the free text.

A SWIFT MT103 and an ISO 20022 pacs.008 transaction say the same things in different places, so
screening reads one model. Each party keeps the field it came from (``50K``,
``CdtTrfTxInf[2]/Cdtr``) so that a hit, and an error, can point at the place in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum import iban, numdb
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from proscribe.enforcement.errors import InputError
from proscribe.money import CURRENCIES, minor_unit

__all__ = [
    "AGENT_ROLES",
    "CURRENCIES",
    "INTEREST_ROLES",
    "FreeText",
    "Party",
    "PaymentMessage",
    "bic_country",
    "check_account",
    "check_amount",
    "check_bic",
    "check_currency",
    "input_error",
]

#: roles whose holder has an interest in the funds: a blocked one means the payment is blocked
INTEREST_ROLES = frozenset({"debtor", "creditor", "ultimate_debtor", "ultimate_creditor", "initiating_party"})
#: banks in the chain; a blocked bank that would hold or pass the funds has an interest in them too
AGENT_ROLES = frozenset(
    {
        "sender",
        "receiver",
        "debtor_agent",
        "creditor_agent",
        "instructing_agent",
        "instructed_agent",
        "intermediary_agent_1",
        "intermediary_agent_2",
        "intermediary_agent_3",
        "previous_instructing_agent_1",
        "previous_instructing_agent_2",
        "previous_instructing_agent_3",
        "senders_correspondent",
        "receivers_correspondent",
        "third_reimbursement_institution",
    }
)

_BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")


def input_error(source: str, where: str, field_name: str, reason: str) -> InputError:
    """The one error shape: ``FILE: PLACE: field FIELD: what is wrong``."""
    return InputError(f"{source}: {where}: field {field_name}: {reason}")


def check_currency(code: str, source: str, where: str, field_name: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", code or ""):
        raise input_error(
            source, where, field_name, f"the currency {code!r} is not a three-letter ISO 4217 code"
        )
    if code not in CURRENCIES:
        raise input_error(source, where, field_name, f"the currency {code!r} is not an ISO 4217 currency")
    return code


def check_amount(
    text: str, currency: str, source: str, where: str, field_name: str, *, decimal_comma: bool
) -> Decimal:
    """A positive amount with no more decimals than the currency has (SWIFT rule C03)."""
    raw = text.strip()
    pattern = r"\d{1,15},\d*" if decimal_comma else r"\d{1,18}(?:\.\d{1,5})?"
    if not re.fullmatch(pattern, raw):
        shape = "digits with a decimal comma (1234,56)" if decimal_comma else "digits with a decimal point"
        raise input_error(source, where, field_name, f"the amount {raw!r} is not {shape}")
    try:
        amount = Decimal(raw.replace(",", ".").rstrip(".") or "0")
    except InvalidOperation as exc:  # pragma: no cover - the pattern already guarantees digits
        raise input_error(source, where, field_name, f"the amount {raw!r} is not a number") from exc
    if amount <= 0:
        raise input_error(source, where, field_name, f"the amount {raw!r} must be greater than zero")
    digits = minor_unit(currency)
    # the digits as written count (SWIFT rule C03, ISO 4217 minor units): "100,00" is not a JPY amount
    written = len(re.split(r"[.,]", raw, maxsplit=1)[1]) if re.search(r"[.,]", raw) else 0
    if written > digits:
        raise input_error(
            source, where, field_name, f"the amount {raw} has {written} decimals; {currency} has {digits}"
        )
    return amount


#: the shape of an IBAN once spaces are taken out: country, two check digits, the national account
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


def _iban_country(text: str) -> bool:
    """True when ``text`` starts with the code of a country that issues IBANs (ISO 13616 registry)."""
    first = numdb.get("iban").info(text)[0]
    return bool(first[1])


def check_account(
    text: str | None, source: str, where: str, field_name: str, *, iban_only: bool = False
) -> str | None:
    """An account as written; an IBAN, or what has an IBAN's shape and country, must be a valid one.

    A mistyped IBAN is refused rather than screened: the account is evidence of who is paid, and
    a payment whose beneficiary account cannot be read is held for a person, never passed.
    ``iban_only`` is for fields that can only hold an IBAN (pacs.008 ``Acct/Id/IBAN``).
    """
    if not text:
        return None
    compact = re.sub(r"[\s-]", "", text).upper()
    shaped = bool(_IBAN_SHAPE.fullmatch(compact))
    if not iban_only and not (shaped and _iban_country(compact)):
        return text
    if not shaped:
        raise input_error(
            source,
            where,
            field_name,
            f"{text!r} is not an IBAN (a country code, two check digits, the account)",
        )
    try:
        iban.validate(compact)
    except InvalidChecksum as exc:
        raise input_error(
            source, where, field_name, f"the IBAN {text!r} has wrong check digits (a typing error?)"
        ) from exc
    except InvalidLength as exc:
        raise input_error(
            source, where, field_name, f"the IBAN {text!r} has the wrong length for its country"
        ) from exc
    except ValidationError as exc:
        raise input_error(source, where, field_name, f"{text!r} is not an IBAN") from exc
    return compact


def check_bic(text: str, source: str, where: str, field_name: str) -> str:
    bic = text.strip().upper()
    if not _BIC.match(bic):
        raise input_error(
            source, where, field_name, f"{text.strip()!r} is not a BIC (8 or 11 letters and digits)"
        )
    return bic


def bic_country(bic: str | None) -> str | None:
    """The country a BIC is registered in (its 5th and 6th characters)."""
    return bic[4:6] if bic and len(bic) >= 6 else None


@dataclass(frozen=True)
class Party:
    """Someone the payment names: a customer (debtor, creditor, ultimate party) or a bank (agent)."""

    role: str
    #: where it is in the message: an MT103 tag (``59F``) or a pacs.008 path (``CdtTrfTxInf[1]/Cdtr``)
    field: str
    name: str = ""
    address: tuple[str, ...] = ()
    #: ISO 3166 alpha-2, upper case, when the message gives or implies one
    country: str | None = None
    bic: str | None = None
    account: str | None = None
    #: other identifiers: LEI, clearing member id, national id, passport...
    identifiers: tuple[str, ...] = ()
    #: person or organization when the message says (pacs.008 PrvtId / OrgId), else None
    kind: str | None = None
    birth_date: str | None = None

    @property
    def is_agent(self) -> bool:
        return self.role in AGENT_ROLES

    @property
    def has_interest(self) -> bool:
        return self.role in INTEREST_ROLES

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "field": self.field,
            "name": self.name,
            "address": list(self.address),
            "country": self.country,
            "bic": self.bic,
            "account": self.account,
            "identifiers": list(self.identifiers),
            "kind": self.kind,
            "birth_date": self.birth_date,
        }


@dataclass(frozen=True)
class FreeText:
    """A free-text field: MT103 70 / 72 / 77B, pacs.008 RmtInf/Ustrd and the instructions to agents."""

    field: str
    text: str


@dataclass
class PaymentMessage:
    """One credit transfer: an MT103, or one CdtTrfTxInf of a pacs.008."""

    message_type: str  # "MT103" | "pacs.008"
    source: str
    #: where the transaction starts: "line 12" or "CdtTrfTxInf[2]"
    location: str
    #: the reference the payment is known by (MT103 :20:, pacs.008 EndToEndId or TxId)
    reference: str
    amount: Decimal
    currency: str
    value_date: date | None
    parties: list[Party] = field(default_factory=list)
    free_text: list[FreeText] = field(default_factory=list)
    #: every reference the message carries: message id, UETR, end-to-end id, instruction id...
    references: dict[str, str] = field(default_factory=dict)
    instructed_amount: Decimal | None = None
    instructed_currency: str | None = None
    charges: str | None = None
    #: an ISO 20022 external purpose code (pacs.008 Purp/Cd), upper case
    purpose_code: str | None = None
    #: the licence the sender says authorises the payment (field 72 /LICENCE/, RgltryRptg...)
    license_claim: str | None = None
    #: the message's own text, kept for the rejected-transaction report (31 CFR 501.604, OFAC FAQ 49)
    raw: str = ""

    def party(self, role: str) -> Party | None:
        return next((p for p in self.parties if p.role == role), None)

    @property
    def debtor_name(self) -> str:
        p = self.party("debtor")
        return p.name if p else ""

    @property
    def creditor_name(self) -> str:
        p = self.party("creditor")
        return p.name if p else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_type": self.message_type,
            "source": self.source,
            "location": self.location,
            "reference": self.reference,
            "amount": str(self.amount),
            "currency": self.currency,
            "value_date": self.value_date.isoformat() if self.value_date else None,
            "instructed_amount": str(self.instructed_amount) if self.instructed_amount is not None else None,
            "instructed_currency": self.instructed_currency,
            "charges": self.charges,
            "purpose_code": self.purpose_code,
            "license_claim": self.license_claim,
            "references": dict(self.references),
            "parties": [p.to_dict() for p in self.parties],
            "free_text": [{"field": f.field, "text": f.text} for f in self.free_text],
        }
