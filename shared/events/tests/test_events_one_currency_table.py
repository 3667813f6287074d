"""One ISO 4217 table: the event contract and the loan mathematics agree on every currency's
minor digits, and both refuse a code that is no currency."""

from __future__ import annotations

import pytest

from lending_events import minor_digits
from lending_events.money import MoneyFormatError
from loanmath import Currency, UnknownCurrencyError
from loanmath.currencies import ISO_4217_MINOR_UNITS

# From the ISO 4217 list of current currencies and funds (Table A.1).
PUBLISHED = {"BIF": 0, "CLF": 4, "XPF": 0, "UYW": 4, "UYI": 0, "VUV": 0, "DJF": 0, "GNF": 0,
             "KMF": 0, "JPY": 0, "KRW": 0, "ISK": 0, "TND": 3, "LYD": 3, "IQD": 3, "KWD": 3,
             "EUR": 2, "USD": 2, "CNY": 2, "IDR": 2, "HUF": 2, "XCD": 2, "ZWG": 2}


@pytest.mark.parametrize(("code", "digits"), sorted(PUBLISHED.items()))
def test_a_loan_in_any_currency_has_the_same_minor_digits_on_the_wire_and_in_the_math(
        code: str, digits: int) -> None:
    assert minor_digits(code) == digits
    assert Currency.of(code).exponent == digits


def test_the_contract_and_the_math_read_one_table() -> None:
    assert len(ISO_4217_MINOR_UNITS) > 150
    for code, digits in ISO_4217_MINOR_UNITS.items():
        assert minor_digits(code) == digits == Currency.of(code).exponent, code


@pytest.mark.parametrize("code", ["XYZ", "XAU", "XXX", "HRK"])
def test_a_code_with_no_current_minor_unit_is_refused_by_both(code: str) -> None:
    with pytest.raises(MoneyFormatError):
        minor_digits(code)
    with pytest.raises(UnknownCurrencyError):
        Currency.of(code)
