"""Month stepping, day counts, frequencies and business days."""

from datetime import date
from decimal import Decimal

import pytest

from loanmath import (
    BusinessDayConvention,
    Frequency,
    HolidayCalendar,
    InterestBasis,
    InvalidLoanTermsError,
    add_months,
    year_fraction,
)
from loanmath.dates import adjust


def test_a_series_anchored_on_the_31st_clips_in_short_months_and_returns_to_the_31st() -> None:
    monthly = Frequency.parse("monthly")
    dates = [monthly.step(date(2027, 1, 31), k) for k in range(1, 5)]
    assert dates == [date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)]


def test_in_a_leap_year_the_31st_falls_due_on_29_february() -> None:
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2028, 1, 31), 2) == date(2028, 3, 31)


def test_a_loan_started_on_29_february_keeps_the_29th() -> None:
    monthly = Frequency.parse("monthly")
    assert monthly.step(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert monthly.step(date(2028, 2, 29), 13) == date(2029, 3, 29)


@pytest.mark.parametrize(
    ("text", "per_year"),
    [
        ("daily", Decimal(365)),
        ("weekly", Decimal(52)),
        ("biweekly", Decimal(26)),
        ("semi-monthly", Decimal(24)),
        ("monthly", Decimal(12)),
        ("quarterly", Decimal(4)),
        ("every-10-days", Decimal("36.5")),
        ("every-4-weeks", Decimal(13)),
        ("every 2 months", Decimal(6)),
        ("6m", Decimal(2)),
    ],
)
def test_frequencies_know_their_periods_per_year(text: str, per_year: Decimal) -> None:
    assert Frequency.parse(text).periods_per_year == per_year


@pytest.mark.parametrize("text", ["hourly", "every-0-days", "every-13-months", ""])
def test_unknown_frequencies_are_refused(text: str) -> None:
    with pytest.raises(InvalidLoanTermsError) as info:
        Frequency.parse(text)
    assert info.value.field == "frequency"


def test_semi_monthly_dates_run_on_the_15th_and_the_month_end() -> None:
    semi = Frequency.parse("semi-monthly")
    dates = [semi.step(date(2028, 1, 31), k) for k in range(1, 6)]
    assert dates == [
        date(2028, 2, 15),
        date(2028, 2, 29),
        date(2028, 3, 15),
        date(2028, 3, 31),
        date(2028, 4, 15),
    ]


def test_semi_monthly_dates_from_the_1st_run_on_the_1st_and_the_16th() -> None:
    semi = Frequency.parse("semi-monthly")
    assert [semi.step(date(1978, 3, 1), k) for k in range(4)] == [
        date(1978, 3, 1),
        date(1978, 3, 16),
        date(1978, 4, 1),
        date(1978, 4, 16),
    ]


def test_actual_actual_isda_splits_a_period_across_leap_and_common_years() -> None:
    """Hand-checked (the rule of ISDA 2006 Definitions 4.16(b)): 1 Nov 2003 to 1 May 2004
    has 61 days in 2003 (Nov 30 + Dec 31) and 121 in leap 2004 (Jan 31 + Feb 29 + Mar 31
    + Apr 30): 61/365 + 121/366 = 0.167123... + 0.330601... = 0.4977243805674."""
    fraction = year_fraction(InterestBasis.ACTUAL_ACTUAL, date(2003, 11, 1), date(2004, 5, 1))
    assert fraction == Decimal(61) / 365 + Decimal(121) / 366
    assert round(fraction, 13) == Decimal("0.4977243805674")


def test_actual_bases_count_calendar_days_including_29_february() -> None:
    """Hand-checked: 1 Feb 2028 to 1 Mar 2028 is 29 days (2028 is a leap year)."""
    start, end = date(2028, 2, 1), date(2028, 3, 1)
    assert year_fraction(InterestBasis.ACTUAL_365, start, end) == Decimal(29) / 365
    assert year_fraction(InterestBasis.ACTUAL_360, start, end) == Decimal(29) / 360
    assert year_fraction(InterestBasis.ACTUAL_ACTUAL, start, end) == Decimal(29) / 366


@pytest.mark.parametrize(
    ("start", "end", "us_days", "eu_days"),
    [
        # Hand-checked with 360(Y2-Y1) + 30(M2-M1) + (D2-D1) after each variant's rules:
        # US: D1 Feb-end -> 30; D2 = 31 and D1 >= 30 -> 30.  30E: any 31 -> 30.
        (date(2027, 1, 31), date(2027, 2, 28), 28, 28),  # US: 30(1) + 28-30; EU same
        (date(2027, 2, 28), date(2027, 3, 31), 30, 32),  # US: D1=30, D2=30; EU: 28 -> 30
        (date(2027, 2, 28), date(2028, 2, 29), 360, 361),  # US: both Feb-end -> 30/30
        (date(2027, 3, 15), date(2027, 3, 31), 16, 15),  # US keeps D2=31 when D1 < 30
        (date(2027, 3, 30), date(2027, 3, 31), 0, 0),
    ],
)
def test_30_360_us_and_european_variants(
    start: date, end: date, us_days: int, eu_days: int
) -> None:
    assert year_fraction(InterestBasis.THIRTY_360_US, start, end) == Decimal(us_days) / 360
    assert year_fraction(InterestBasis.THIRTY_360_EU, start, end) == Decimal(eu_days) / 360


def test_interest_basis_names_and_aliases_parse() -> None:
    assert InterestBasis.parse("30/360-eu") is InterestBasis.THIRTY_360_EU
    assert InterestBasis.parse("ACT/365") is InterestBasis.ACTUAL_365
    with pytest.raises(InvalidLoanTermsError):
        InterestBasis.parse("actual/364")


def test_business_day_conventions_move_weekend_and_holiday_due_dates() -> None:
    cal = HolidayCalendar.of([date(2027, 5, 31)])  # a Monday holiday
    saturday = date(2027, 5, 29)
    assert adjust(saturday, BusinessDayConvention.FOLLOWING, cal) == date(2027, 6, 1)
    assert adjust(saturday, BusinessDayConvention.MODIFIED_FOLLOWING, cal) == date(2027, 5, 28)
    assert adjust(saturday, BusinessDayConvention.PRECEDING, cal) == date(2027, 5, 28)
    assert adjust(date(2027, 5, 27), BusinessDayConvention.FOLLOWING, cal) == date(2027, 5, 27)
