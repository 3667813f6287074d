"""APR against the regulators' worked examples.

US: 12 CFR Part 1026 (Regulation Z), Appendix J, "(c) Examples for the actuarial method",
https://www.consumerfinance.gov/rules-policy/regulations/1026/j/ — each APR is published
to two decimals of a percent. EU: Directive 98/7/EC amending 87/102/EEC, Annex III
"Examples of calculation", part A (calendar basis, 1 year = 365 days), whose equation is
the one Directive 2008/48/EC Annex I and Directive (EU) 2023/2225 keep.
"""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from loanmath import (
    AprResult,
    Frequency,
    InvalidLoanTermsError,
    YearTimedAmount,
    add_months,
    apr_eu,
    apr_eu_regular,
    apr_us_reg_z,
    apr_us_reg_z_regular,
    effective_annual_rate,
    regz_span,
)

D = Decimal
MONTHLY = Frequency.parse("monthly")


def percent(result: AprResult) -> Decimal:
    return (result.apr * 100).quantize(D("0.01"))


def monthly(first: date, count: int, amount: str, every: int = 1) -> list[tuple[date, Decimal]]:
    return [(add_months(first, k * every), D(amount)) for k in range(count)]


def every_days(first: date, days: int, count: int, amount: str) -> list[tuple[date, Decimal]]:
    return [(first + timedelta(days=days * k), D(amount)) for k in range(count)]


def test_reg_z_c1i_monthly_payments_regular_first_period() -> None:
    """App. J (c)(1)(i): $5,000 advanced 1-10-78, 24 monthly payments of $230 from
    2-10-78: APR 9.69%."""
    result = apr_us_reg_z(
        [(date(1978, 1, 10), D(5000))], monthly(date(1978, 2, 10), 24, "230"), MONTHLY
    )
    assert percent(result) == D("9.69")


def test_reg_z_c1ii_monthly_payments_long_first_period() -> None:
    """App. J (c)(1)(ii): $6,000 advanced 2-10-78, 36 monthly payments of $200 from 4-1-78
    (t = 1, f = 19/30): APR 11.82%."""
    assert regz_span(date(1978, 2, 10), date(1978, 4, 1), MONTHLY) == (1, D(19) / 30)
    result = apr_us_reg_z(
        [(date(1978, 2, 10), D(6000))], monthly(date(1978, 4, 1), 36, "200"), MONTHLY
    )
    assert percent(result) == D("11.82")


def test_reg_z_c1iii_semimonthly_payments_short_first_period() -> None:
    """App. J (c)(1)(iii): $5,000 advanced 2-23-78, 24 semimonthly payments of $219.17
    on the 1st and 16th from 3-1-78: APR 10.34%."""
    semi = Frequency.parse("semi-monthly")
    payments = [(semi.step(date(1978, 3, 1), k), D("219.17")) for k in range(24)]
    result = apr_us_reg_z([(date(1978, 2, 23), D(5000))], payments, semi)
    assert percent(result) == D("10.34")


def test_reg_z_c1iv_quarterly_payments_long_first_period() -> None:
    """App. J (c)(1)(iv): $10,000 advanced 5-23-78, 40 quarterly payments of $385 from
    10-1-78: APR 8.97%."""
    result = apr_us_reg_z(
        [(date(1978, 5, 23), D(10000))],
        monthly(date(1978, 10, 1), 40, "385", every=3),
        Frequency.parse("quarterly"),
    )
    assert percent(result) == D("8.97")


def test_reg_z_c1v_weekly_payments_long_first_period() -> None:
    """App. J (c)(1)(v): $500 advanced 3-20-78, 30 weekly payments of $17.60 from
    4-21-78: APR 14.96%."""
    result = apr_us_reg_z(
        [(date(1978, 3, 20), D(500))],
        every_days(date(1978, 4, 21), 7, 30, "17.60"),
        Frequency.parse("weekly"),
    )
    assert percent(result) == D("14.96")


def test_reg_z_c2i_monthly_payments_irregular_first_payment() -> None:
    """App. J (c)(2)(i): $5,000 on 1-10-78; $250 on 2-10-78, then 23 x $230: APR 10.08%."""
    payments = [(date(1978, 2, 10), D(250)), *monthly(date(1978, 3, 10), 23, "230")]
    result = apr_us_reg_z([(date(1978, 1, 10), D(5000))], payments, MONTHLY)
    assert percent(result) == D("10.08")


def test_reg_z_c2ii_four_weekly_payments_long_first_period_irregular_first_payment() -> None:
    """App. J (c)(2)(ii): $400 on 3-18-78; $39.50 on 4-20-78, then 11 x $38.31 every
    4 weeks from 5-18-78: APR 28.50%."""
    payments = [(date(1978, 4, 20), D("39.50")), *every_days(date(1978, 5, 18), 28, 11, "38.31")]
    result = apr_us_reg_z([(date(1978, 3, 18), D(400))], payments, Frequency.parse("every-4-weeks"))
    assert percent(result) == D("28.50")


def test_reg_z_c3i_monthly_payments_irregular_final_payment() -> None:
    """App. J (c)(3)(i): $5,000 on 1-10-78; 23 x $230 from 2-10-78, then $280: 10.50%."""
    payments = [*monthly(date(1978, 2, 10), 23, "230"), (date(1980, 1, 10), D(280))]
    result = apr_us_reg_z([(date(1978, 1, 10), D(5000))], payments, MONTHLY)
    assert percent(result) == D("10.50")


def test_reg_z_c3ii_biweekly_payments_short_first_period_irregular_final_payment() -> None:
    """App. J (c)(3)(ii): $200 on 4-3-78; 19 x $9.50 every 2 weeks from 4-11-78, then
    $30: APR 12.22%."""
    payments = [
        *every_days(date(1978, 4, 11), 14, 19, "9.50"),
        (date(1978, 4, 11) + timedelta(days=14 * 19), D(30)),
    ]
    result = apr_us_reg_z([(date(1978, 4, 3), D(200))], payments, Frequency.parse("biweekly"))
    assert percent(result) == D("12.22")


def test_reg_z_c4i_monthly_payments_irregular_first_and_final_payments() -> None:
    """App. J (c)(4)(i): $5,000 on 1-10-78; $250, then 22 x $230, then $280: 10.90%."""
    payments = [
        (date(1978, 2, 10), D(250)),
        *monthly(date(1978, 3, 10), 22, "230"),
        (date(1980, 1, 10), D(280)),
    ]
    result = apr_us_reg_z([(date(1978, 1, 10), D(5000))], payments, MONTHLY)
    assert percent(result) == D("10.90")


def test_reg_z_c4ii_bimonthly_payments_short_first_period() -> None:
    """App. J (c)(4)(ii): $8,000 on 1-10-78; $449.36 on 3-1-78, 18 x $465 every two months
    from 5-1-78, then $200: APR 7.30%."""
    payments = [
        (date(1978, 3, 1), D("449.36")),
        *monthly(date(1978, 5, 1), 18, "465", every=2),
        (date(1981, 5, 1), D(200)),
    ]
    result = apr_us_reg_z(
        [(date(1978, 1, 10), D(8000))], payments, Frequency.parse("every-2-months")
    )
    assert percent(result) == D("7.30")


def test_reg_z_c5i_single_advance_single_payment_in_days() -> None:
    """App. J (c)(5)(i): $1,000 on 1-3-78 repaid by $1,080 on 9-15-78 (255 days; the
    term is the unit-period, 365/255 of them a year): APR 11.45%."""
    result = apr_us_reg_z([(date(1978, 1, 3), D(1000))], [(date(1978, 9, 15), D(1080))])
    assert percent(result) == D("11.45")
    assert result.periods_per_year == D(365) / 255


def test_reg_z_regular_streams_with_an_odd_first_period_in_days() -> None:
    """(c)(1)(i) and (c)(1)(v) again through the streams API (the CLI's path): 32 days to
    the first weekly payment is t = 4, f = 4/7."""
    assert percent(apr_us_reg_z_regular(D(5000), [(D(230), 24)], MONTHLY)) == D("9.69")
    weekly = apr_us_reg_z_regular(D(500), [(D("17.60"), 30)], Frequency.parse("weekly"), 32)
    assert percent(weekly) == D("14.96")


def test_eu_example_1_single_repayment_after_546_days() -> None:
    """98/7/EC Annex III A, first example: 1000 lent on 1 Jan 1994, 1200 repaid on
    1 Jul 1995 (546 days): 12.96% to two decimals (i = 0.1296204...)."""
    x = apr_eu(
        [YearTimedAmount(D(1000), Fraction(0))], [YearTimedAmount(D(1200), Fraction(546, 365))]
    )
    assert x.quantize(D("0.0001")) == D("0.1296")


def test_eu_example_2_fee_retained_by_the_creditor() -> None:
    """98/7/EC Annex III A, second example: the creditor keeps 50 of the 1000, so 950 is
    lent against the same 1200 on 1 Jul 1995: 16.9%."""
    x = apr_eu(
        [YearTimedAmount(D(950), Fraction(0))], [YearTimedAmount(D(1200), Fraction(546, 365))]
    )
    assert x.quantize(D("0.001")) == D("0.169")


def test_eu_example_3_two_annual_repayments() -> None:
    """98/7/EC Annex III A, third example: 1000 repaid by 600 after one year and 600
    after two: i = 0.1306623 (13.07%)."""
    x = apr_eu(
        [YearTimedAmount(D(1000), Fraction(0))],
        [YearTimedAmount(D(600), Fraction(1)), YearTimedAmount(D(600), Fraction(2))],
    )
    assert abs(x - D("0.1306623")) < D("1e-7")


def test_eu_regular_streams_use_equal_months_of_a_twelfth_of_a_year() -> None:
    """Hand-checked: 1000 repaid by 12 x 88.85 monthly is the 12%-nominal annuity
    (88.8488 rounded up a little), so X is just above 1.01^12 - 1 = 12.6825%."""
    x = apr_eu_regular(D(1000), [(D("88.85"), 12)], MONTHLY)
    assert D("0.126825") < x < D("0.1269")


def test_the_effective_annual_rate_compounds_the_nominal_rate() -> None:
    """Hand-checked: 12% nominal monthly: 1.01^12 - 1 = 0.1268250301."""
    assert effective_annual_rate(D("0.12"), D(12)) == D("0.1268250301")


def test_apr_inputs_are_checked() -> None:
    with pytest.raises(InvalidLoanTermsError):
        apr_us_reg_z_regular(D(0), [(D(10), 3)], MONTHLY)
    with pytest.raises(InvalidLoanTermsError):
        apr_us_reg_z_regular(D(100), [(D(10), 0)], MONTHLY)


def test_reg_z_counts_whole_unit_periods_back_from_the_first_payment_then_odd_days() -> None:
    """App. J (b)(5): (c)(1)(ii) 2-10-78 to 4-1-78 is 1 month and 19 days; (c)(1)(iv)
    5-23-78 to 10-1-78 is 1 quarter and 39 days (4 months and 9 days, 30 a month);
    (c)(4)(ii) 1-10-78 to 3-1-78 is no whole two-month period and 52 days. A day count
    (50, 131, 50) gives other odd days: 20, 41 and 50."""
    from loanmath import first_period_of_days, regz_interval

    quarterly, bimonthly = Frequency.parse("quarterly"), Frequency.parse("every-2-months")
    assert regz_interval(date(1978, 2, 10), date(1978, 4, 1), MONTHLY).odd_days == 19
    assert regz_interval(date(1978, 5, 23), date(1978, 10, 1), quarterly).odd_days == 39
    span = regz_interval(date(1978, 1, 10), date(1978, 3, 1), bimonthly)
    assert (span.unit_periods, span.odd_days, span.fraction) == (0, 52, D(52) / 60)
    assert first_period_of_days(MONTHLY, 50).odd_days == 20
    assert first_period_of_days(quarterly, 131).odd_days == 41
