"""Money and rates on the wire: decimal strings, never floats.

An amount is a decimal string with exactly the currency's minor digits ("1250.00" in EUR,
"1250" in JPY, "1250.000" in KWD); the currency travels beside it as an ISO 4217 code.
A rate is a decimal string of any precision ("0.1268"). Python code may pass ``Decimal``;
floats and ints are refused because they cannot say how many minor digits they mean.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, StringConstraints, WithJsonSchema

from loanmath.currencies import minor_units

_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_DECIMAL_RE = re.compile(r"^\d+(\.\d+)?$")


class MoneyFormatError(ValueError):
    """An amount that does not have exactly its currency's minor digits."""


def minor_digits(currency: str) -> int:
    """Digits after the decimal point for an ISO 4217 code, from loanmath's one table."""
    digits = minor_units(currency) if _CURRENCY_RE.match(currency) else None
    if digits is None:
        raise MoneyFormatError(f"{currency!r} is not an ISO 4217 currency with minor units")
    return digits


def check_amount(amount: Decimal, currency: str, where: str = "amount") -> None:
    digits = minor_digits(currency)
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or -exponent != digits:
        places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        raise MoneyFormatError(
            f"{where}: {format_decimal(amount)!r} has {places} decimal places "
            f"but {currency} amounts need exactly {digits}"
        )


def from_minor_units(units: int, currency: str) -> Decimal:
    """Exact conversion from integer minor units (the ledger's storage) to a wire amount."""
    return Decimal(units).scaleb(-minor_digits(currency))


def to_minor_units(amount: Decimal, currency: str) -> int:
    check_amount(amount, currency)
    return int(amount.scaleb(minor_digits(currency)))


def format_decimal(value: Decimal) -> str:
    return format(value, "f")


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float | int):
        raise ValueError(
            f"{value!r} is a JSON number; money and rates must be decimal strings like '1250.00'"
        )
    if isinstance(value, Decimal):
        if not value.is_finite() or value < 0:
            raise ValueError(f"{value!r} must be a finite, non-negative decimal")
        return value
    if isinstance(value, str) and _DECIMAL_RE.match(value):
        return Decimal(value)
    raise ValueError(f"{value!r} is not a non-negative decimal string like '1250.00'")


class _AmountMarker:
    """Marks a field as money so the event can check its minor digits against its currency."""


AMOUNT_MARKER = _AmountMarker()
_DECIMAL_SCHEMA = {"type": "string", "pattern": _DECIMAL_RE.pattern}

Amount = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal),
    PlainSerializer(format_decimal, return_type=str),
    WithJsonSchema(
        {**_DECIMAL_SCHEMA, "description": "Amount with exactly the currency's minor digits"}
    ),
    AMOUNT_MARKER,
]
Rate = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal),
    PlainSerializer(format_decimal, return_type=str),
    WithJsonSchema({**_DECIMAL_SCHEMA, "description": "Decimal fraction: 0.1268 is 12.68%"}),
]
CurrencyCode = Annotated[str, StringConstraints(pattern=_CURRENCY_RE.pattern)]
