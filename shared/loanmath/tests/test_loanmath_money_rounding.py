"""Money in minor units with ISO 4217 exponents, and the one rounding rule."""

from decimal import Decimal

import pytest

from loanmath import (
    Currency,
    CurrencyMismatchError,
    InvalidLoanTermsError,
    Money,
    RoundingMode,
    UnknownCurrencyError,
    round_minor,
    round_to_multiple,
)


@pytest.mark.parametrize(
    ("code", "exponent"), [("USD", 2), ("CNY", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3)]
)
def test_currencies_carry_their_iso_4217_exponent(code: str, exponent: int) -> None:
    assert Currency.of(code).exponent == exponent


def test_an_unknown_currency_is_refused_by_name() -> None:
    with pytest.raises(UnknownCurrencyError) as info:
        Currency.of("XYZ")
    assert info.value.field == "currency"


@pytest.mark.parametrize(
    ("text", "code", "minor", "wire"),
    [
        ("1250.00", "USD", 125000, "1250.00"),
        ("1250", "USD", 125000, "1250.00"),
        ("0.05", "USD", 5, "0.05"),
        ("1500", "JPY", 1500, "1500"),
        ("12.345", "KWD", 12345, "12.345"),
        ("-0.07", "EUR", -7, "-0.07"),
    ],
)
def test_amounts_parse_to_minor_units_and_print_with_the_currency_digits(
    text: str, code: str, minor: int, wire: str
) -> None:
    money = Money.parse(text, code)
    assert money.minor == minor
    assert str(money) == wire
    assert money.amount == Decimal(wire)


@pytest.mark.parametrize(("text", "code"), [("0.001", "USD"), ("1.5", "JPY"), ("abc", "USD")])
def test_amounts_needing_rounding_or_malformed_are_refused(text: str, code: str) -> None:
    with pytest.raises(InvalidLoanTermsError):
        Money.parse(text, code, "principal")


def test_money_of_different_currencies_does_not_mix() -> None:
    with pytest.raises(CurrencyMismatchError):
        _ = Money.parse("1", "USD") + Money.parse("1", "EUR")


@pytest.mark.parametrize(
    ("value", "mode", "expected"),
    [
        ("2.5", RoundingMode.HALF_UP, 3),
        ("2.5", RoundingMode.HALF_EVEN, 2),
        ("3.5", RoundingMode.HALF_EVEN, 4),
        ("2.9", RoundingMode.DOWN, 2),
        ("2.1", RoundingMode.UP, 3),
        ("-2.5", RoundingMode.HALF_UP, -3),
        ("-2.9", RoundingMode.DOWN, -2),
        ("-2.1", RoundingMode.UP, -3),
        ("7", RoundingMode.UP, 7),
    ],
)
def test_rounding_to_the_minor_unit_follows_the_named_mode(
    value: str, mode: RoundingMode, expected: int
) -> None:
    assert round_minor(Decimal(value), mode) == expected


@pytest.mark.parametrize(
    ("value", "multiple", "mode", "expected"),
    [
        ("88849.2", 100, RoundingMode.HALF_UP, 88800),
        ("88850", 100, RoundingMode.HALF_UP, 88900),
        ("88801", 100, RoundingMode.UP, 88900),
        ("88899", 100, RoundingMode.DOWN, 88800),
        ("88899", 1, RoundingMode.DOWN, 88899),
    ],
)
def test_installments_can_be_rounded_to_a_multiple(
    value: str, multiple: int, mode: RoundingMode, expected: int
) -> None:
    assert round_to_multiple(Decimal(value), multiple, mode) == expected


def test_from_decimal_rounds_major_units_with_the_mode() -> None:
    usd = Currency.of("USD")
    assert Money.from_decimal(Decimal("1854.0247200054619"), usd, RoundingMode.HALF_UP).minor == (
        185402
    )
    assert Money.from_decimal(Decimal("0.125"), usd, RoundingMode.HALF_EVEN).minor == 12
