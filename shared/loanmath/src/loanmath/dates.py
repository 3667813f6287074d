"""Calendar arithmetic: month stepping with month-end clipping, business-day adjustment."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from loanmath.errors import InvalidLoanTermsError

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def is_month_end(day: date) -> bool:
    return day.day == days_in_month(day.year, day.month)


def add_months(anchor: date, months: int, *, day_of_month: int | None = None) -> date:
    """`anchor` moved by `months`, keeping its day of month, clipped to the month's length.

    Always step from the original anchor (never from the previous result), so a series
    anchored on the 31st runs Jan 31, Feb 28 (29), Mar 31: the short month does not stick.
    """
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    wanted = anchor.day if day_of_month is None else day_of_month
    return date(year, month, min(wanted, days_in_month(year, month)))


def add_months_month_end(anchor: date, months: int) -> date:
    """Like add_months, but a month-end anchor maps to month ends (Reg Z App. J (b)(3)(iv))."""
    if is_month_end(anchor):
        return add_months(anchor, months, day_of_month=31)
    return add_months(anchor, months)


def is_leap(year: int) -> bool:
    return calendar.isleap(year)


class BusinessDayConvention(StrEnum):
    NONE = "none"
    FOLLOWING = "following"
    MODIFIED_FOLLOWING = "modified-following"
    PRECEDING = "preceding"


@dataclass(frozen=True)
class HolidayCalendar:
    """Non-business days: the weekend (Monday=0 … Sunday=6) plus listed holidays."""

    holidays: frozenset[date] = frozenset()
    weekend: frozenset[int] = field(default_factory=lambda: frozenset({5, 6}))

    @classmethod
    def of(cls, holidays: Iterable[date], weekend: Iterable[int] = (5, 6)) -> HolidayCalendar:
        return cls(frozenset(holidays), frozenset(weekend))

    def __post_init__(self) -> None:
        if len(self.weekend) >= 7:
            raise InvalidLoanTermsError("calendar", "every weekday cannot be a weekend day")

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays


_ONE_DAY = timedelta(days=1)


def adjust(day: date, convention: BusinessDayConvention, cal: HolidayCalendar) -> date:
    """Moves a due date off non-business days by the named convention."""
    if convention is BusinessDayConvention.NONE or cal.is_business_day(day):
        return day
    if convention is BusinessDayConvention.PRECEDING:
        return _walk(day, -_ONE_DAY, cal)
    following = _walk(day, _ONE_DAY, cal)
    if convention is BusinessDayConvention.MODIFIED_FOLLOWING and following.month != day.month:
        return _walk(day, -_ONE_DAY, cal)
    return following


def _walk(day: date, step: timedelta, cal: HolidayCalendar) -> date:
    for _ in range(3660):
        day += step
        if cal.is_business_day(day):
            return day
    raise InvalidLoanTermsError("calendar", "no business day within ten years")


@dataclass(frozen=True)
class BusinessDayAdjustment:
    convention: BusinessDayConvention = BusinessDayConvention.FOLLOWING
    calendar: HolidayCalendar = field(default_factory=HolidayCalendar)

    def apply(self, day: date) -> date:
        return adjust(day, self.convention, self.calendar)
