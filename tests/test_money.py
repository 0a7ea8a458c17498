"""The one currency table: ISO 4217 codes and minor units, names from CLDR."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import get_currency_precision

from proscribe.money import CURRENCIES, currency_name, is_currency, minor_unit, quantum


def test_every_code_is_a_currency_cldr_knows() -> None:
    # a mistyped code in the table (USS for USD) would have no name of its own
    unnamed = sorted(c for c in CURRENCIES if currency_name(c) == c)
    assert unnamed == []
    assert currency_name("EUR") == "Euro" and currency_name("EUR", "fr") == "euro"


def test_minor_units_follow_iso_4217_not_cldr_display_digits() -> None:
    # CLDR shows the Iraqi dinar without decimals; ISO 4217 (and so SWIFT's rule C03) gives it 3
    assert get_currency_precision("IQD") == 0 and minor_unit("IQD") == 3
    assert (minor_unit("USD"), minor_unit("JPY"), minor_unit("KWD"), minor_unit("CLF")) == (2, 0, 3, 4)
    assert quantum("JPY") == Decimal(1) and quantum("BHD") == Decimal("0.001")
    assert is_currency("USD") and not is_currency("usd") and not is_currency("XAU")
