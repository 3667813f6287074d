"""Annual percentage rates: US Regulation Z Appendix J (actuarial) and the EU APRC.

US: A = sum P_k / ((1 + f_k i)(1 + i)^t_k) with t_k whole unit-periods and f_k the
fractional unit-period (App. J (b)(8)); APR = i x unit-periods per year (b)(1).
EU: sum D_k (1 + X)^-s_k = sum C_l (1 + X)^-t_l with times in years, a year being 365
days, 52 weeks or 12 equal months (Directive 2008/48/EC Annex I, 2023/2225 Annex III).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction

from loanmath.dates import add_months_month_end
from loanmath.errors import InvalidLoanTermsError
from loanmath.frequency import Frequency, FrequencyUnit
from loanmath.schedule import Schedule
from loanmath.solver import SOLVER_PRECISION, solve_decreasing

RATE_PLACES = Decimal("1e-10")


@dataclass(frozen=True, slots=True)
class TimedAmount:
    """An amount at t whole unit-periods plus a fraction f of one after the term starts."""

    amount: Decimal
    t: int
    f: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class DatedAmount:
    on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AprResult:
    apr: Decimal  # nominal: unit-period rate x unit-periods per year (Reg Z)
    unit_period_rate: Decimal
    periods_per_year: Decimal
    effective_annual_rate: Decimal  # (1 + unit-period rate)^(periods per year) - 1


# ----------------------------------------------------------------------------- US actuarial


def unit_period_rate(advances: Sequence[TimedAmount], payments: Sequence[TimedAmount]) -> Decimal:
    """Solves App. J (b)(8) for the unit-period rate i."""
    _check_flows([a.amount for a in advances], [p.amount for p in payments])
    net: dict[tuple[int, Decimal], Decimal] = defaultdict(Decimal)
    for a in advances:
        net[(a.t, a.f)] -= a.amount
    for p in payments:
        net[(p.t, p.f)] += p.amount
    keys = sorted(net)
    flows = [(t, f, net[(t, f)]) for t, f in keys]
    advanced = sum((a.amount for a in advances), Decimal(0))
    repaid = sum((p.amount for p in payments), Decimal(0))
    span = sum((p.amount * (p.t + p.f) for p in payments), Decimal(0)) / repaid
    guess = (repaid / advanced - 1) / span if span > 0 else Decimal("0.01")

    def npv_and_slope(i: Decimal) -> tuple[Decimal, Decimal]:
        one_plus = 1 + i
        v = 1 / one_plus
        power, at = Decimal(1), 0
        value = slope = Decimal(0)
        for t, f, amount in flows:
            if t != at:
                power *= v ** (t - at)
                at = t
            odd = 1 + f * i
            discounted = amount * power / odd
            value += discounted
            slope -= discounted * (f / odd + t * v)
        return value, slope

    return solve_decreasing(npv_and_slope, guess)


def apr_actuarial(
    advances: Sequence[TimedAmount], payments: Sequence[TimedAmount], periods_per_year: Decimal
) -> AprResult:
    with localcontext() as ctx:
        ctx.prec = SOLVER_PRECISION
        i = unit_period_rate(advances, payments)
        return _result(i, Decimal(periods_per_year))


def _result(i: Decimal, per_year: Decimal) -> AprResult:
    with localcontext() as ctx:
        ctx.prec = SOLVER_PRECISION
        effective = (1 + i) ** per_year - 1
        return AprResult(
            _round_rate(i * per_year),
            _round_rate(i, Decimal("1e-14")),
            per_year,
            _round_rate(effective),
        )


def _round_rate(rate: Decimal, places: Decimal = RATE_PLACES) -> Decimal:
    """Rates to 10 places; an absurd one (tiny loans, huge fees: far above 1, or a loss
    within 1e-9 of -1) keeps its significant digits instead."""
    if rate.adjusted() - places.adjusted() >= SOLVER_PRECISION or 1 + rate < Decimal("1e-9"):
        return +rate
    return rate.quantize(places)


@dataclass(frozen=True, slots=True)
class RegZSpan:
    """An interval as App. J (b)(5) counts it: whole unit-periods counted back from its
    end, then the odd days left over (App. J days: 30 a month, 15 a semimonth; actual days
    for a weekly, daily or yearly unit-period) and what fraction f of a unit-period they
    are."""

    unit_periods: int
    odd_days: int
    fraction: Decimal


def regz_interval(start: date, end: date, unit: Frequency) -> RegZSpan:
    """Whole unit-periods, odd days and the fractional unit-period from start to end."""
    days = (end - start).days
    if days < 0:
        raise InvalidLoanTermsError("dates", f"{end} is before {start}")
    if unit.unit in (FrequencyUnit.DAY, FrequencyUnit.WEEK):
        whole, rest = divmod(days, unit.nominal_days)  # (b)(5)(iv)
        return RegZSpan(whole, rest, Decimal(rest) / unit.nominal_days)
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months_month_end(end, -months) < start:
        months -= 1
    months = max(months, 0)
    odd_days = (add_months_month_end(end, -months) - start).days
    if unit.unit is FrequencyUnit.MONTH and unit.every == 1:  # (b)(5)(ii)
        return RegZSpan(months, odd_days, Decimal(odd_days) / 30)
    if unit.unit is FrequencyUnit.MONTH and unit.every == 12:  # (b)(5)(v)
        years, rest_months = divmod(months, 12)
        rest = (add_months_month_end(end, -12 * years) - start).days
        if odd_days == 0:
            return RegZSpan(years, rest, Decimal(rest_months) / 12)
        return RegZSpan(years, rest, Decimal(rest) / 365)
    divisor = unit.nominal_days  # (b)(5)(iii): 30 per month, 15 per semimonth
    whole, rest = divmod(30 * months + odd_days, divisor)
    return RegZSpan(whole, rest, Decimal(rest) / divisor)


def regz_span(start: date, end: date, unit: Frequency) -> tuple[int, Decimal]:
    """Whole unit-periods and the fractional unit-period from start to end (App. J (b)(5))."""
    span = regz_interval(start, end, unit)
    return span.unit_periods, span.fraction


def single_payment_unit(start: date, end: date) -> tuple[Frequency, Decimal]:
    """Unit-period of a single-advance, single-payment transaction: the term itself
    (whole months up to a year, else days under a year), or a year (App. J (b)(4)(ii))."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if 1 <= months <= 12 and add_months_month_end(end, -months) == start:
        return Frequency(FrequencyUnit.MONTH, months), Decimal(12) / months
    days = (end - start).days
    if 0 < days < 365:
        return Frequency(FrequencyUnit.DAY, days), Decimal(365) / days
    return Frequency(FrequencyUnit.MONTH, 12), Decimal(1)


def _dated(flows: Iterable[DatedAmount | tuple[date, Decimal]]) -> list[DatedAmount]:
    return [f if isinstance(f, DatedAmount) else DatedAmount(f[0], f[1]) for f in flows]


def apr_us_reg_z(
    advances: Sequence[DatedAmount | tuple[date, Decimal]],
    payments: Sequence[DatedAmount | tuple[date, Decimal]],
    unit_period: Frequency | None = None,
) -> AprResult:
    """Reg Z APR from dated flows; the term starts at the first advance. Without a unit
    period, only a single-advance single-payment transaction is accepted (its term is
    the unit period)."""
    adv, pay = _dated(advances), _dated(payments)
    if not adv or not pay:
        raise InvalidLoanTermsError("payments", "need at least one advance and one payment")
    start = min(a.on for a in adv)
    if unit_period is None:
        if len(adv) != 1 or len(pay) != 1:
            raise InvalidLoanTermsError("unit_period", "required with several flows")
        unit_period, per_year = single_payment_unit(start, pay[0].on)
    else:
        per_year = unit_period.periods_per_year

    def timed(flow: DatedAmount) -> TimedAmount:
        t, f = regz_span(start, flow.on, unit_period)
        return TimedAmount(flow.amount, t, f)

    return apr_actuarial([timed(a) for a in adv], [timed(p) for p in pay], per_year)


def first_period_of_days(unit: Frequency, days: int) -> RegZSpan:
    """The first period given as a number of days, counted in App. J days (30 a month, 15 a
    semimonth, 365 a year): it cannot tell 28 days of February from a month, which
    ``regz_interval`` on the actual dates can."""
    if days < 1:
        raise InvalidLoanTermsError("first_period_days", "must be at least 1")
    divisor = 365 if unit.unit is FrequencyUnit.MONTH and unit.every == 12 else unit.nominal_days
    whole, rest = divmod(days, divisor)
    return RegZSpan(whole, rest, Decimal(rest) / divisor)


def first_period_span(unit: Frequency, first_period_days: int | None) -> tuple[int, Decimal]:
    """(t, f) of the first payment when the first period is `first_period_days` long."""
    if first_period_days is None:
        return 1, Decimal(0)
    span = first_period_of_days(unit, first_period_days)
    return span.unit_periods, span.fraction


def apr_us_reg_z_regular(
    advance: Decimal,
    streams: Sequence[tuple[Decimal, int]],
    unit_period: Frequency,
    first_period_days: int | None = None,
    *,
    first_period: RegZSpan | None = None,
) -> AprResult:
    """One advance, then consecutive streams of (amount, count) payments one unit-period
    apart; the first payment falls `first_period_days` after the advance, or
    `first_period` (from the dates, ``regz_interval``) after it (default: one unit-period)."""
    if first_period is not None:
        t0, f = first_period.unit_periods, first_period.fraction
    else:
        t0, f = first_period_span(unit_period, first_period_days)
    payments = [TimedAmount(amount, t0 + k, f) for k, amount in enumerate(_expand(streams))]
    return apr_actuarial([TimedAmount(advance, 0)], payments, unit_period.periods_per_year)


def _expand(streams: Sequence[tuple[Decimal, int]]) -> list[Decimal]:
    out: list[Decimal] = []
    for amount, count in streams:
        if count < 1:
            raise InvalidLoanTermsError("payment", "each payment stream needs a count >= 1")
        out.extend([amount] * count)
    return out


def schedule_apr(schedule: Schedule) -> AprResult:
    """Reg Z APR of a schedule: the amount financed (principal less upfront fee) against
    each installment's total. Due dates are taken as whole unit-periods after the first
    (month-length and weekend irregularities disregarded, as 12 CFR 1026.17(c)(4) allows);
    the first period's odd days come from its dates."""
    terms = schedule.terms
    advance = schedule.amount_financed.amount
    payments = [i.total.amount for i in schedule.installments]
    if len(payments) == 1:
        due = schedule.installments[0].due_date
        return apr_us_reg_z([(schedule.start, advance)], [(due, payments[0])])
    unit = terms.frequency
    if terms.first_due is None or schedule.start != terms.start:
        t0, f = 1, Decimal(0)
    else:
        t0, f = regz_span(schedule.start, terms.first_due, unit)
    timed = [TimedAmount(amount, t0 + k, f) for k, amount in enumerate(payments)]
    return apr_actuarial([TimedAmount(advance, 0)], timed, unit.periods_per_year)


def effective_annual_rate(nominal: Decimal, periods_per_year: Decimal) -> Decimal:
    """(1 + nominal / m)^m - 1."""
    with localcontext() as ctx:
        ctx.prec = SOLVER_PRECISION
        m = Decimal(periods_per_year)
        return _round_rate((1 + nominal / m) ** m - 1)


# ----------------------------------------------------------------------------- EU APRC


@dataclass(frozen=True, slots=True)
class YearTimedAmount:
    """An amount `years` after the first drawdown (an exact fraction of a year)."""

    amount: Decimal
    years: Fraction


def apr_eu(advances: Sequence[YearTimedAmount], payments: Sequence[YearTimedAmount]) -> Decimal:
    """The APRC X solving sum advances (1+X)^-s = sum payments (1+X)^-t (times in years)."""
    _check_flows([a.amount for a in advances], [p.amount for p in payments])
    net: dict[Fraction, Decimal] = defaultdict(Decimal)
    for a in advances:
        net[Fraction(a.years)] -= a.amount
    for p in payments:
        net[Fraction(p.years)] += p.amount
    by_denominator: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for years, amount in net.items():
        by_denominator[years.denominator].append((years.numerator, amount))
    advanced = sum((a.amount for a in advances), Decimal(0))
    repaid = sum((p.amount for p in payments), Decimal(0))
    mean_years = (
        sum(
            (p.amount * Decimal(p.years.numerator) / p.years.denominator for p in payments),
            Decimal(0),
        )
        / repaid
    )
    with localcontext() as ctx:
        ctx.prec = SOLVER_PRECISION
        # Solve for y = ln(1 + X): the equation is then smooth and convex for any X > -1,
        # even the enormous rates of tiny loans with large fees.
        ratio = repaid / advanced
        guess = ratio.ln() / mean_years if mean_years > 0 else Decimal("0.1")

        def npv_and_slope(y: Decimal) -> tuple[Decimal, Decimal]:
            value = weighted = Decimal(0)
            for denominator, items in by_denominator.items():
                root = (-y / denominator).exp()  # (1+X)^(-1/denominator)
                for numerator, amount in items:
                    discounted = amount * root**numerator
                    value += discounted
                    weighted += discounted * numerator / denominator
            return value, -weighted

        y = solve_decreasing(npv_and_slope, guess, Decimal(-50), Decimal(100_000))
        return _round_rate(y.exp() - 1)


def eu_year_fraction(start: date, end: date, unit: Frequency | None = None) -> Fraction:
    """Whole months (or weeks, for weekly units) counted back from `end`, then the days
    left over, each day 1/365 (2008/48/EC Annex I as amended by 2011/90/EU, I(c))."""
    days = (end - start).days
    if days < 0:
        raise InvalidLoanTermsError("dates", f"{end} is before {start}")
    if unit is not None and unit.unit in (FrequencyUnit.WEEK, FrequencyUnit.DAY):
        if unit.unit is FrequencyUnit.DAY:
            return Fraction(days, 365)
        weeks, rest = divmod(days, 7)
        return Fraction(weeks, 52) + Fraction(rest, 365)
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months_month_end(end, -months) < start:
        months -= 1
    months = max(months, 0)
    rest = (add_months_month_end(end, -months) - start).days
    return Fraction(months, 12) + Fraction(rest, 365)


def apr_eu_dated(
    advances: Sequence[DatedAmount | tuple[date, Decimal]],
    payments: Sequence[DatedAmount | tuple[date, Decimal]],
    unit: Frequency | None = None,
) -> Decimal:
    adv, pay = _dated(advances), _dated(payments)
    if not adv:
        raise InvalidLoanTermsError("advance", "need at least one advance")
    start = min(a.on for a in adv)
    return apr_eu(
        [YearTimedAmount(a.amount, eu_year_fraction(start, a.on, unit)) for a in adv],
        [YearTimedAmount(p.amount, eu_year_fraction(start, p.on, unit)) for p in pay],
    )


def eu_period_years(frequency: Frequency) -> Fraction:
    """One period in years: 12 equal months, 24 semimonths, 52 weeks or 365 days a year."""
    per_unit = {"day": 365, "week": 52, "semimonth": 24, "month": 12}[frequency.unit.value]
    return Fraction(frequency.every, per_unit)


def apr_eu_regular(
    advance: Decimal,
    streams: Sequence[tuple[Decimal, int]],
    frequency: Frequency,
    first_period_days: int | None = None,
    *,
    first_years: Fraction | None = None,
) -> Decimal:
    """The APRC of regular streams; the first payment one period after the advance, or
    `first_period_days` days, or `first_years` (``eu_year_fraction`` of the dates)."""
    step = eu_period_years(frequency)
    first = step if first_period_days is None else Fraction(first_period_days, 365)
    if first_years is not None:
        first = first_years
    payments = [
        YearTimedAmount(amount, first + k * step) for k, amount in enumerate(_expand(streams))
    ]
    return apr_eu([YearTimedAmount(advance, Fraction(0))], payments)


def _check_flows(advances: Sequence[Decimal], payments: Sequence[Decimal]) -> None:
    if not advances or sum(advances, Decimal(0)) <= 0:
        raise InvalidLoanTermsError("advance", "must be greater than zero")
    if not payments or sum(payments, Decimal(0)) <= 0:
        raise InvalidLoanTermsError("payment", "payments must total more than zero")
    if any(a < 0 for a in advances) or any(p < 0 for p in payments):
        raise InvalidLoanTermsError("payment", "amounts must not be negative")


def reg_z_regular(payment_amounts: Sequence[Decimal]) -> bool:
    """§1026.22(a)(2)-(3): a transaction with one advance and regular periods is regular
    unless its payment amounts differ other than the first and the last; a regular one's
    APR is accurate within 1/8 of a point, an irregular one's within 1/4."""
    return len(set(payment_amounts[1:-1])) <= 1
