"""Properties over wide ranges of every method, basis, frequency and rounding mode."""

import os
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loanmath import (
    AmortizationMethod,
    BusinessDayAdjustment,
    BusinessDayConvention,
    Currency,
    Frequency,
    HolidayCalendar,
    InterestBasis,
    LoanTerms,
    Money,
    Reamortization,
    RoundingMode,
    Schedule,
    TimedAmount,
    YearTimedAmount,
    apr_actuarial,
    apr_eu,
    build_schedule,
    payoff_quote,
    reamortize,
    schedule_apr,
)
from loanmath.apr import regz_span

FREQUENCIES = [
    "daily", "weekly", "biweekly", "semi-monthly", "monthly", "quarterly",
    "every-10-days", "every-3-weeks", "every-2-months", "every-6-months",
]  # fmt: skip
CURRENCIES = ["USD", "JPY", "KWD", "CNY"]
# LOANMATH_EXAMPLES=2000 for a long soak; the default keeps the suite to a few seconds.
SCALE = int(os.environ.get("LOANMATH_EXAMPLES", "150"))
FAST = settings(max_examples=SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOWER = settings(
    max_examples=max(SCALE // 2, 10), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def loan_terms(draw: st.DrawFn, **fixed: Any) -> LoanTerms:
    currency = draw(st.sampled_from(CURRENCIES))
    scale = {"USD": 100, "JPY": 1, "KWD": 1000, "CNY": 100}[currency]
    principal = draw(st.integers(1, 10**9))
    method = fixed.get("method") or draw(st.sampled_from(list(AmortizationMethod)))
    term = draw(st.integers(1, 120))
    start = draw(st.dates(date(2000, 1, 1), date(2060, 12, 31)))
    frequency = Frequency.parse(draw(st.sampled_from(FREQUENCIES)))
    first_due = None
    if draw(st.booleans()):
        first_due = frequency.step(start, 1) + timedelta(days=draw(st.integers(-3, 20)))
        if first_due <= start:
            first_due = None
    graceable = method not in (AmortizationMethod.BULLET, AmortizationMethod.INTEREST_ONLY)
    grace_p = draw(st.integers(0, term - 1)) if graceable and term > 1 else 0
    grace_i = draw(st.integers(0, term - 1)) if graceable and term > 1 else 0
    fee = draw(st.integers(0, principal - 1)) if principal > 1 else 0
    multiple = draw(st.sampled_from([None, 1, scale, 10 * scale]))
    business_days = None
    if draw(st.booleans()):
        business_days = BusinessDayAdjustment(
            draw(st.sampled_from(list(BusinessDayConvention))), HolidayCalendar()
        )
    cur = Currency.of(currency)
    terms = LoanTerms(
        principal=Money(principal, cur),
        annual_rate=Decimal(draw(st.integers(0, 100_000))) / 10_000,
        term=term,
        frequency=frequency,
        start=start,
        method=AmortizationMethod(method),
        interest_basis=draw(st.sampled_from(list(InterestBasis))),
        rounding=draw(st.sampled_from(list(RoundingMode))),
        first_due=first_due,
        grace_principal=grace_p,
        grace_interest=grace_i,
        upfront_fee=Money(fee, cur),
        installment_fee=Money(draw(st.integers(0, 10 * scale)), cur),
        installment_multiple=None if multiple is None else Money(multiple, cur),
        business_days=business_days,
    )
    return replace(terms, **fixed)


def assert_reconciles(schedule: Schedule) -> None:
    rows = schedule.installments
    balance = schedule.principal.minor
    for row in rows:
        assert row.principal.minor >= 0
        assert row.interest.minor >= 0
        balance -= row.principal.minor
        assert row.balance_after.minor == balance >= 0
        assert row.total.minor == row.principal.minor + row.interest.minor + row.fees.minor
    assert balance == 0
    assert schedule.total_principal == schedule.principal
    total = sum(r.total.minor for r in rows) + schedule.upfront_fee.minor
    assert schedule.total_repayable.minor == total
    dues = [r.due_date for r in rows]
    assert dues == sorted(dues)


@FAST
@given(loan_terms())
def test_every_schedule_closes_at_exactly_zero_and_its_columns_reconcile(terms: LoanTerms) -> None:
    schedule = build_schedule(terms)
    expected_rows = 1 if terms.method is AmortizationMethod.BULLET else terms.term
    assert len(schedule.installments) == expected_rows
    assert_reconciles(schedule)


def present_value(schedule: Schedule, i: Decimal) -> Decimal:
    """Independent re-discounting of the installments at the unit-period rate i."""
    terms = schedule.terms
    t0, f = (1, Decimal(0))
    if terms.first_due is not None:
        t0, f = regz_span(terms.start, terms.first_due, terms.frequency)
    return sum(
        (
            row.total.amount / ((1 + f * i) * (1 + i) ** (t0 + k))
            for k, row in enumerate(schedule.installments)
        ),
        Decimal(0),
    )


@SLOWER
@given(loan_terms(method=AmortizationMethod.ANNUITY), st.data())
def test_discounting_the_installments_at_the_apr_gives_back_the_amount_financed(
    terms: LoanTerms, data: st.DataObject
) -> None:
    schedule = build_schedule(terms)
    if len(schedule.installments) < 2:
        return
    result = schedule_apr(schedule)
    pv = present_value(schedule, result.unit_period_rate)
    financed = schedule.amount_financed.amount
    assert abs(pv - financed) <= financed * Decimal("1e-9") + Decimal("1e-6")


@SLOWER
@given(
    loan_terms(
        interest_basis=InterestBasis.PERIODIC,
        first_due=None,
        grace_interest=0,
        business_days=None,
    ),
    st.integers(10, 500),
)
def test_the_apr_is_at_least_the_nominal_rate_when_fees_are_charged(
    terms: LoanTerms, fee_per_mille: int
) -> None:
    """Regular periods, interest paid when due (no interest grace, which defers interest
    without compounding), and a fee of 1%-50% of the principal."""
    if terms.method is AmortizationMethod.BULLET or terms.term < 2:
        return
    if terms.principal.minor < 100_000:
        return
    fee = Money(terms.principal.minor * fee_per_mille // 1000 - 1, terms.principal.currency)
    schedule = build_schedule(replace(terms, upfront_fee=fee))
    assert schedule_apr(schedule).apr >= terms.annual_rate


@FAST
@given(
    st.integers(1, 10**8),
    st.lists(
        st.tuples(st.integers(1, 10**7), st.integers(1, 400), st.integers(0, 29)),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from([Decimal(12), Decimal(52), Decimal(365), Decimal(24)]),
)
def test_reg_z_apr_solves_the_actuarial_equation(
    advance: int, flows: list[tuple[int, int, int]], per_year: Decimal
) -> None:
    payments = [TimedAmount(Decimal(a) / 100, t, Decimal(f) / 30) for a, t, f in flows]
    total = sum(p.amount for p in payments)
    advanced = Decimal(advance) / 100
    if not advanced <= total < advanced * 1000:  # a non-negative rate, below 1e12
        return
    result = apr_actuarial([TimedAmount(advanced, 0)], payments, per_year)
    i = result.unit_period_rate
    pv = sum((p.amount / ((1 + p.f * i) * (1 + i) ** p.t) for p in payments), Decimal(0))
    assert abs(pv - advanced) <= advanced * Decimal("1e-9")


@FAST
@given(
    st.integers(1, 10**8),
    st.lists(st.tuples(st.integers(1, 10**7), st.integers(1, 3650)), min_size=1, max_size=40),
)
def test_eu_aprc_solves_the_annex_equation(advance: int, flows: list[tuple[int, int]]) -> None:
    payments = [YearTimedAmount(Decimal(a) / 100, Fraction(d, 365)) for a, d in flows]
    advanced = Decimal(advance) / 100
    if not advanced <= sum(p.amount for p in payments) < advanced * 1000:
        return  # a lender's APRC: no loss, and not beyond what a Decimal of 34 digits holds
    x = apr_eu([YearTimedAmount(advanced, Fraction(0))], payments)
    pv = sum(
        (
            p.amount * ((1 + x).ln() * -Decimal(p.years.numerator) / p.years.denominator).exp()
            for p in payments
        ),
        Decimal(0),
    )
    assert abs(pv - advanced) <= advanced * Decimal("1e-8")


@FAST
@given(loan_terms(), st.data())
def test_a_payoff_is_never_below_the_outstanding_principal(
    terms: LoanTerms, data: st.DataObject
) -> None:
    schedule = build_schedule(terms)
    last = schedule.installments[-1].due_date
    as_of = data.draw(st.dates(terms.start, last + timedelta(days=30)))
    paid = [r for r in schedule.installments if r.due_date <= as_of]
    principal_paid = Money(sum(r.principal.minor for r in paid), schedule.currency)
    quote = payoff_quote(schedule, as_of, principal_paid=principal_paid)
    assert quote.total.minor >= quote.outstanding_principal.minor >= 0
    assert quote.total == quote.outstanding_principal + quote.accrued_interest + quote.fees


@FAST
@given(
    loan_terms(method=AmortizationMethod.ANNUITY, grace_interest=0),
    st.sampled_from(list(Reamortization)),
    st.data(),
)
def test_reamortization_closes_at_zero_and_never_raises_the_installment(
    terms: LoanTerms, keep: Reamortization, data: st.DataObject
) -> None:
    schedule = build_schedule(terms)
    if terms.term < 2:
        return
    k = data.draw(st.integers(0, terms.term - 1))
    balance = schedule.installments[k - 1].balance_after.minor if k else schedule.principal.minor
    if balance < 2:
        return
    prepay = data.draw(st.integers(1, balance - 1))
    rest = reamortize(
        schedule,
        after_installment=k,
        prepayment=Money(prepay, schedule.currency),
        keep=keep,
    )
    assert_reconciles(rest)
    assert rest.total_principal.minor == balance - prepay
    assert len(rest.installments) <= terms.term - k
    if keep is Reamortization.KEEP_TERM:
        assert len(rest.installments) == terms.term - k
