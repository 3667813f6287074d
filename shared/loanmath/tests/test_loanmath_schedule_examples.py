"""Schedules against published figures and hand-checked cases (each one says which)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy_financial as npf
import pytest

from loanmath import (
    AmortizationMethod,
    BusinessDayAdjustment,
    BusinessDayConvention,
    Frequency,
    HolidayCalendar,
    InterestBasis,
    InvalidLoanTermsError,
    LoanTerms,
    Money,
    RoundingMode,
    Schedule,
    build_schedule,
)
from loanmath.schedule import level_installment

MONTHLY = Frequency.parse("monthly")


def usd(text: str) -> Money:
    return Money.parse(text, "USD")


def terms(**overrides: Any) -> LoanTerms:
    base = LoanTerms(usd("10000.00"), Decimal("0.12"), 12, MONTHLY, date(2027, 1, 15))
    return replace(base, **overrides)


def column(schedule: Schedule, name: str) -> list[str]:
    return [str(getattr(row, name)) for row in schedule.installments]


def assert_closes(schedule: Schedule) -> None:
    assert schedule.total_principal == schedule.principal
    assert schedule.installments[-1].balance_after.minor == 0


def test_the_level_payment_matches_numpy_financial_pmt_documented_example() -> None:
    """numpy-financial docs, `pmt`: "What is the monthly payment needed to pay off a
    $200,000 loan in 15 years at an annual interest rate of 7.5%?"
    npf.pmt(0.075/12, 12*15, 200000) = -1854.0247200054619, i.e. $1,854.02.
    https://numpy.org/numpy-financial/latest/pmt.html"""
    exact = level_installment(20_000_000, [Decimal("0.075") / 12] * 180)
    assert abs(exact / 100 - Decimal("1854.0247200054619")) < Decimal("1e-9")
    assert abs(float(exact) / 100 + npf.pmt(0.075 / 12, 12 * 15, 200000)) < 1e-9
    schedule = build_schedule(
        terms(principal=usd("200000.00"), annual_rate=Decimal("0.075"), term=180)
    )
    assert str(schedule.installments[0].total) == "1854.02"
    assert_closes(schedule)


def test_the_amortization_table_matches_numpy_financial_ipmt_documented_example() -> None:
    """numpy-financial docs, `ipmt`: "What is the amortization schedule for a 1 year loan
    of $2500 at 8.24% interest per year compounded monthly?" The documented table prints
    unrounded float columns; ours pays the rounded 217.75 (exact 217.7459...) and rounds
    interest to the cent each month, the last installment absorbing the residue. So every
    principal and interest cell agrees to within one cent, and the balance, which carries
    the 0.0041 a month paid above the exact payment, to within three (as does the last
    principal, which is that balance).
    https://numpy.org/numpy-financial/latest/ipmt.html"""
    published = [
        ("200.58", "17.17", "2299.42"), ("201.96", "15.79", "2097.46"),
        ("203.35", "14.40", "1894.11"), ("204.74", "13.01", "1689.37"),
        ("206.15", "11.60", "1483.22"), ("207.56", "10.18", "1275.66"),
        ("208.99", "8.76", "1066.67"), ("210.42", "7.32", "856.25"),
        ("211.87", "5.88", "644.38"), ("213.32", "4.42", "431.05"),
        ("214.79", "2.96", "216.26"), ("216.26", "1.49", "0.00"),
    ]  # fmt: skip
    schedule = build_schedule(terms(principal=usd("2500.00"), annual_rate=Decimal("0.0824")))
    cent = Decimal("0.01")
    for row, (principal, interest, balance) in zip(schedule.installments, published, strict=True):
        tolerance = 3 * cent if row.number == 12 else cent
        assert abs(row.principal.amount - Decimal(principal)) <= tolerance
        assert abs(row.interest.amount - Decimal(interest)) <= cent
        assert abs(row.balance_after.amount - Decimal(balance)) <= 3 * cent
    assert abs(schedule.total_interest.amount - Decimal("112.98")) <= cent  # np.sum(ipmt)
    assert_closes(schedule)


def test_a_12_month_annuity_at_12_percent_reconciles_to_the_cent() -> None:
    """Hand-checked: payment = 10000 x 0.01 / (1 - 1.01^-12) = 888.4878867 -> 888.49.
    Month 1 interest 10000 x 0.01 = 100.00, principal 788.49; the 12th installment takes
    the residue: 11 x 888.49 + 888.47 = 10661.86 = 10000 + 661.86 interest."""
    schedule = build_schedule(terms())
    assert column(schedule, "total") == ["888.49"] * 11 + ["888.47"]
    assert str(schedule.installments[0].interest) == "100.00"
    assert str(schedule.total_interest) == "661.86"
    assert_closes(schedule)


def test_equal_principal_repays_the_same_principal_each_period() -> None:
    """Hand-checked: 1200.00 over 12 months at 12%: principal 100.00 a month; interest
    1% of the opening balance: 12.00, 11.00, ..., 1.00; total interest 78.00."""
    schedule = build_schedule(
        terms(principal=usd("1200.00"), method=AmortizationMethod.EQUAL_PRINCIPAL)
    )
    assert column(schedule, "principal") == ["100.00"] * 12
    assert column(schedule, "interest") == [f"{n}.00" for n in range(12, 0, -1)]
    assert str(schedule.total_interest) == "78.00"


def test_flat_interest_is_charged_on_the_original_principal() -> None:
    """Hand-checked: 1000.00 at 24% flat for 6 months: 1000 x 0.02 = 20.00 every month,
    principal 1000/6 = 166.67 (half-up) five times, then 166.65; total interest 120.00."""
    schedule = build_schedule(
        terms(
            principal=usd("1000.00"),
            annual_rate=Decimal("0.24"),
            term=6,
            method=AmortizationMethod.FLAT,
        )
    )
    assert column(schedule, "interest") == ["20.00"] * 6
    assert column(schedule, "principal") == ["166.67"] * 5 + ["166.65"]
    assert_closes(schedule)


def test_interest_only_pays_the_principal_as_a_balloon() -> None:
    """Hand-checked: 5000.00 at 12% for 3 months: 50.00 interest monthly, 5050.00 last."""
    schedule = build_schedule(
        terms(principal=usd("5000.00"), term=3, method=AmortizationMethod.INTEREST_ONLY)
    )
    assert column(schedule, "total") == ["50.00", "50.00", "5050.00"]


def test_a_bullet_receivable_advance_is_one_repayment_with_actual_day_interest() -> None:
    """Hand-checked: an invoice advance of 100000.00 at 18% actual/365 for 90 days:
    100000 x 0.18 x 90/365 = 4438.356... -> 4438.36, repaid once on day 90."""
    schedule = build_schedule(
        terms(
            principal=usd("100000.00"),
            annual_rate=Decimal("0.18"),
            term=90,
            frequency=Frequency.parse("daily"),
            method=AmortizationMethod.BULLET,
            interest_basis=InterestBasis.ACTUAL_365,
            start=date(2027, 3, 1),
        )
    )
    (only,) = schedule.installments
    assert only.due_date == date(2027, 5, 30)
    assert str(only.interest) == "4438.36"
    assert str(only.total) == "104438.36"


def test_a_loan_starting_on_the_31st_falls_due_on_29_february_and_then_the_31st() -> None:
    """Month-end rule in a leap year (2028); hand-checked dates."""
    schedule = build_schedule(terms(start=date(2028, 1, 31), term=4))
    assert [r.due_date for r in schedule.installments] == [
        date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30), date(2028, 5, 31),
    ]  # fmt: skip


def test_actual_365_interest_follows_the_length_of_each_month_in_a_leap_year() -> None:
    """Hand-checked: 3650.00 at 10% actual/365 from 31 Jan 2028, equal principal:
    February has 29 days: 3650 x 0.10 x 29/365 = 29.00; March (31 days) on 2737.50:
    2737.50 x 0.10 x 31/365 = 23.25; April (30 days) on 1825.00: 15.00; May on 912.50:
    912.50 x 0.1 x 31/365 = 7.75."""
    schedule = build_schedule(
        terms(
            principal=usd("3650.00"),
            annual_rate=Decimal("0.10"),
            term=4,
            start=date(2028, 1, 31),
            method=AmortizationMethod.EQUAL_PRINCIPAL,
            interest_basis=InterestBasis.ACTUAL_365,
        )
    )
    assert column(schedule, "interest") == ["29.00", "23.25", "15.00", "7.75"]


def test_actual_actual_counts_days_in_2028_over_366() -> None:
    """Hand-checked: 36600.00 at 10% actual/actual (ISDA) interest-only, December 2027
    to January 2028: 15 Dec -> 15 Jan = 17 days/365 + 14 days/366
    = 36600 x 0.1 x (17/365 + 14/366) = 170.4658 + 140.00 = 310.47."""
    schedule = build_schedule(
        terms(
            principal=usd("36600.00"),
            annual_rate=Decimal("0.10"),
            term=1,
            start=date(2027, 12, 15),
            method=AmortizationMethod.INTEREST_ONLY,
            interest_basis=InterestBasis.ACTUAL_ACTUAL,
        )
    )
    assert str(schedule.installments[0].interest) == "310.47"


def test_an_irregular_first_period_charges_interest_for_its_actual_length() -> None:
    """Hand-checked (periodic basis): start 15 Jan 2027, first due 28 Feb 2027. Counting
    back one month from 28 Feb reaches 28 Jan; 13 odd days remain, over the 31 days of
    28 Dec - 28 Jan: fraction 1 + 13/31. Interest 10000 x 0.01 x 44/31 = 141.94.
    Later installments fall due on the 28th."""
    schedule = build_schedule(terms(first_due=date(2027, 2, 28)))
    first = schedule.installments[0]
    assert str(first.interest) == "141.94"
    assert schedule.installments[1].due_date == date(2027, 3, 28)
    assert_closes(schedule)
    assert len({r.total for r in schedule.installments[:-1]}) == 1


def test_grace_on_principal_and_interest_defers_without_compounding() -> None:
    """Hand-checked: 1200.00 at 12%, 6 months, equal principal, 2 months without
    principal and 1 without interest: month 1 pays nothing (12.00 deferred), month 2 pays
    12.00 + 12.00, months 3-6 repay 300.00 each with interest on the balance."""
    schedule = build_schedule(
        terms(
            principal=usd("1200.00"),
            term=6,
            method=AmortizationMethod.EQUAL_PRINCIPAL,
            grace_principal=2,
            grace_interest=1,
        )
    )
    assert column(schedule, "total") == ["0.00", "24.00", "312.00", "309.00", "306.00", "303.00"]


def test_installment_rounding_to_whole_units_puts_the_residue_in_the_last() -> None:
    """Hand-checked: the 888.49 payment rounded half-up to whole dollars is 888.00; the
    last installment absorbs what is left."""
    schedule = build_schedule(terms(installment_multiple=usd("1.00")))
    assert column(schedule, "total")[:11] == ["888.00"] * 11
    assert schedule.installments[-1].total.minor > 888_00
    assert_closes(schedule)


@pytest.mark.parametrize(
    ("code", "principal", "first_interest"),
    [("JPY", "100000", "1000"), ("KWD", "1000.000", "10.000"), ("CNY", "10000.00", "100.00")],
)
def test_schedules_use_the_currency_minor_unit(
    code: str, principal: str, first_interest: str
) -> None:
    schedule = build_schedule(terms(principal=Money.parse(principal, code)))
    assert str(schedule.installments[0].interest) == first_interest
    assert_closes(schedule)


def test_rounding_modes_differ_only_in_the_minor_unit() -> None:
    """Hand-checked: 1000.00 at 10% monthly: month-1 interest is 8.3333... -> 8.33 under
    half-up, half-even and down; 8.34 under up."""
    base = {"principal": usd("1000.00"), "annual_rate": Decimal("0.10")}
    firsts = {
        mode: str(build_schedule(terms(rounding=mode, **base)).installments[0].interest)
        for mode in RoundingMode
    }
    assert firsts == {
        RoundingMode.HALF_UP: "8.33",
        RoundingMode.HALF_EVEN: "8.33",
        RoundingMode.DOWN: "8.33",
        RoundingMode.UP: "8.34",
    }


def test_business_day_adjustment_moves_a_saturday_due_date_to_monday() -> None:
    """15 May 2027 is a Saturday: following -> Monday 17 May, with actual/365 interest
    covering the 2 extra days (hand-checked: 10000 x 0.12 x 32/365 = 105.21 for
    15 Apr - 17 May is month 4 on a lower balance, so only the date is asserted)."""
    adjustment = BusinessDayAdjustment(BusinessDayConvention.FOLLOWING, HolidayCalendar())
    schedule = build_schedule(terms(business_days=adjustment))
    assert schedule.installments[3].due_date == date(2027, 5, 17)
    assert all(r.due_date.weekday() < 5 for r in schedule.installments)


@pytest.mark.parametrize(
    ("field", "overrides"),
    [
        ("principal", {"principal": usd("-1.00")}),
        ("principal", {"principal": usd("0")}),
        ("term", {"term": 0}),
        ("annual_rate", {"annual_rate": Decimal("10.01")}),
        ("annual_rate", {"annual_rate": Decimal("-0.01")}),
        ("first_due", {"first_due": date(2027, 1, 15)}),
        ("grace_principal", {"grace_principal": 12}),
        ("upfront_fee", {"upfront_fee": Money.parse("1", "EUR")}),
    ],
)
def test_bad_terms_name_the_offending_field(field: str, overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidLoanTermsError) as info:
        terms(**overrides)
    assert info.value.field == field
