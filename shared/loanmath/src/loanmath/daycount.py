"""Interest bases: how much of a year a period is worth."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from loanmath.dates import is_leap, is_month_end
from loanmath.errors import InvalidLoanTermsError


class InterestBasis(StrEnum):
    PERIODIC = "periodic"  # annual rate / periods per year; every regular period equal
    THIRTY_360_US = "30/360"  # US (SIA) 30/360 with the end-of-February rules
    THIRTY_360_EU = "30e/360"  # European 30E/360 (ISDA 2006 4.16(g))
    ACTUAL_360 = "actual/360"
    ACTUAL_365 = "actual/365"  # Actual/365 Fixed
    ACTUAL_ACTUAL = "actual/actual"  # Actual/Actual ISDA

    @classmethod
    def parse(cls, text: str, field: str = "interest_basis") -> InterestBasis:
        key = text.strip().lower().replace("act/", "actual/").replace("_", "-")
        key = _ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise InvalidLoanTermsError(
                field, f"unknown interest basis {text!r}; expected one of {choices}"
            ) from None


_ALIASES = {
    "30/360-us": "30/360",
    "30u/360": "30/360",
    "30/360-eu": "30e/360",
    "30/360-european": "30e/360",
    "actual/365-fixed": "actual/365",
    "actual/actual-isda": "actual/actual",
}

_D360 = Decimal(360)
_D365 = Decimal(365)
_D366 = Decimal(366)


def _is_last_of_february(day: date) -> bool:
    return day.month == 2 and is_month_end(day)


def days_30_360_us(start: date, end: date) -> int:
    """30/360 US: Feb-end and 31st rules as in the SIA Standard Securities Calculation Methods."""
    d1, d2 = start.day, end.day
    if _is_last_of_february(start):
        if _is_last_of_february(end):
            d2 = 30
        d1 = 30
    if d2 == 31 and d1 >= 30:
        d2 = 30
    if d1 == 31:
        d1 = 30
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def days_30e_360(start: date, end: date) -> int:
    d1, d2 = min(start.day, 30), min(end.day, 30)
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def year_fraction(basis: InterestBasis, start: date, end: date) -> Decimal:
    """The accrual fraction of a year between two dates (start excluded, end included)."""
    if end < start:
        raise InvalidLoanTermsError("dates", f"period ends {end} before it starts {start}")
    if basis is InterestBasis.ACTUAL_360:
        return Decimal((end - start).days) / _D360
    if basis is InterestBasis.ACTUAL_365:
        return Decimal((end - start).days) / _D365
    if basis is InterestBasis.THIRTY_360_US:
        return Decimal(days_30_360_us(start, end)) / _D360
    if basis is InterestBasis.THIRTY_360_EU:
        return Decimal(days_30e_360(start, end)) / _D360
    if basis is InterestBasis.ACTUAL_ACTUAL:
        return _actual_actual_isda(start, end)
    raise InvalidLoanTermsError("interest_basis", "periodic has no day count")


def _actual_actual_isda(start: date, end: date) -> Decimal:
    """Days falling in leap years count 1/366, the others 1/365 (ISDA 2006 4.16(b))."""
    if start.year == end.year:
        return Decimal((end - start).days) / (_D366 if is_leap(start.year) else _D365)
    total = Decimal((date(start.year + 1, 1, 1) - start).days) / (
        _D366 if is_leap(start.year) else _D365
    )
    total += Decimal(end.year - start.year - 1)
    total += Decimal((end - date(end.year, 1, 1)).days) / (_D366 if is_leap(end.year) else _D365)
    return total
