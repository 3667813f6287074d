"""Accrual periods: due dates and the interest factor (interest per unit of balance) of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from loanmath.daycount import InterestBasis, year_fraction
from loanmath.terms import AmortizationMethod, LoanTerms


@dataclass(frozen=True, slots=True)
class AccrualPeriod:
    start: date
    due: date  # the (business-day adjusted) due date; interest accrues to it
    factor: Decimal  # exact interest per unit of balance for the period


def due_dates(terms: LoanTerms) -> list[date]:
    """Unadjusted due dates: anchored on the start, or on `first_due` after an odd period."""
    freq = terms.frequency
    if terms.first_due is None:
        return [freq.step(terms.start, k) for k in range(1, terms.term + 1)]
    return [freq.step(terms.first_due, k) for k in range(terms.term)]


def first_period_fraction(terms: LoanTerms) -> Decimal:
    """Length of the first period in regular periods: whole periods counted back from the
    first due date, plus the remaining days over the days of the period they fall in."""
    if terms.first_due is None:
        return Decimal(1)
    freq = terms.frequency
    whole, stop = freq.count_back(terms.start, terms.first_due)
    before = freq.step(terms.first_due, -(whole + 1))
    odd_days = (stop - terms.start).days
    return Decimal(whole) + Decimal(odd_days) / Decimal((stop - before).days)


def accrual_periods(terms: LoanTerms) -> list[AccrualPeriod]:
    dues = due_dates(terms)
    if terms.business_days is not None:
        adjusted: list[date] = []
        floor = terms.start
        for due in dues:
            # Never move a due date before the previous one (or the start).
            floor = max(terms.business_days.apply(due), floor)
            adjusted.append(floor)
        dues = adjusted
    rate = terms.annual_rate
    periods: list[AccrualPeriod] = []
    previous = terms.start
    if terms.interest_basis is InterestBasis.PERIODIC:
        regular = rate / terms.frequency.periods_per_year
        first = regular * first_period_fraction(terms)
        for index, due in enumerate(dues):
            periods.append(AccrualPeriod(previous, due, first if index == 0 else regular))
            previous = due
    else:
        basis = terms.interest_basis
        for due in dues:
            periods.append(AccrualPeriod(previous, due, rate * year_fraction(basis, previous, due)))
            previous = due
    if terms.method is AmortizationMethod.BULLET:
        total = sum((p.factor for p in periods), Decimal(0))
        return [AccrualPeriod(terms.start, periods[-1].due, total)]
    return periods
