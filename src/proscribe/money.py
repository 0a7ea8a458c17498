"""Currencies and their minor units: the one table every layer uses.

The codes and minor units are those of ISO 4217 List One (the maintenance agency's list of active
codes), because that is what payment messages are checked against: SWIFT's rule C03 lets an amount
carry no more decimals than the currency's ISO 4217 minor unit. Funds codes and precious metals
(XAU, XDR...) are left out: they are not paid by wire.

Babel (CLDR) is used for what people read, currency names, and not for minor units: CLDR gives
the digits used in everyday display, which differ from ISO 4217 for sixteen active codes (IQD has 3
decimals in ISO 4217 and 0 in CLDR; COP, HUF, IDR, IRR have 2 in ISO 4217 and 0 in CLDR).
docs/decisions.md says more.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import get_currency_name

__all__ = ["CURRENCIES", "currency_name", "is_currency", "minor_unit", "quantum"]

#: ISO 4217 List One, active codes (funds and precious-metal codes left out)
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN
    MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR
    SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
    USD UYU UYI UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL""".split()
)

#: ISO 4217 minor units that are not 2 (every other active code has two decimals)
_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}


def is_currency(code: str) -> bool:
    """An active ISO 4217 code, written as such (three capital letters)."""
    return code in CURRENCIES


def minor_unit(currency: str) -> int:
    """Decimal places of the currency's minor unit (ISO 4217): 2 for USD, 0 for JPY, 3 for KWD."""
    return _MINOR_UNITS.get(currency, 2)


def quantum(currency: str) -> Decimal:
    """The smallest amount of the currency: 0.01 USD, 1 JPY, 0.001 KWD."""
    return Decimal(1).scaleb(-minor_unit(currency))


@lru_cache(maxsize=512)
def currency_name(code: str, locale: str = "en") -> str:
    """The currency's name for people ("US Dollar"), the code itself when CLDR does not know it."""
    name: str = get_currency_name(code, locale=locale)
    return name
