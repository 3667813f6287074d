"""Payoff quotes from the contract schedule and what has been paid.

What settles the loan on a date: the outstanding principal, the scheduled interest of every
installment due by then that is not paid, the running period's interest accrued to that
date on the principal actually outstanding (the original principal for flat loans), pro
rata by the contract's day count, unpaid fees and the penalties the ledger reports.
The arithmetic is loanmath's: its day counts and its one rounding rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

from lending_servicing.domain.schedule import ScheduledInstallment
from loanmath import InterestBasis, RoundingMode, round_minor, year_fraction

DAY_COUNTS = {
    "act/365f": InterestBasis.ACTUAL_365,
    "act/360": InterestBasis.ACTUAL_360,
    "30/360": InterestBasis.THIRTY_360_US,
    "act/act": InterestBasis.ACTUAL_ACTUAL,
}
ROUNDING = {"half_even": RoundingMode.HALF_EVEN, "half_up": RoundingMode.HALF_UP}


@dataclass(frozen=True, slots=True)
class LoanBalances:
    """The contract and what the ledger reports paid, in minor units."""

    principal: int
    annual_rate: Decimal
    day_count: str
    rounding: str
    flat_interest: bool
    start_date: date
    schedule: Sequence[ScheduledInstallment]
    principal_paid: int
    interest_paid: int
    fees_paid: int
    fees_charged: int  # fees the ledger added outside the schedule (late fees...)
    penalties_outstanding: int


@dataclass(frozen=True, slots=True)
class Payoff:
    settle_on: date
    principal: int
    interest: int
    fees: int
    penalties: int
    per_diem: int  # interest one more day adds, for a payer who is late

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.fees + self.penalties


def payoff_on(loan: LoanBalances, settle_on: date) -> Payoff:
    if settle_on < loan.start_date:
        raise ValueError("the loan has not started on that date")
    outstanding = max(loan.principal - loan.principal_paid, 0)
    basis = DAY_COUNTS[loan.day_count]
    mode = ROUNDING.get(loan.rounding, RoundingMode.HALF_UP)
    earned = fees_due = 0
    period_start = loan.start_date
    running = Decimal(0)
    daily = Decimal(0)
    base = loan.principal if loan.flat_interest else outstanding
    with localcontext() as ctx:
        ctx.prec = 40
        for row in loan.schedule:
            if row.due_date <= settle_on:
                earned += row.interest
                fees_due += row.fees
                period_start = row.due_date
                continue
            # the running period: accrues from its start to the settlement date
            running = Decimal(base) * loan.annual_rate * year_fraction(
                basis, period_start, settle_on)
            daily = Decimal(base) * loan.annual_rate * year_fraction(
                basis, settle_on, settle_on + timedelta(days=1))
            break
    interest = max(earned + round_minor(running, mode) - loan.interest_paid, 0)
    fees = max(fees_due + loan.fees_charged - loan.fees_paid, 0)
    return Payoff(settle_on, outstanding, interest, fees, loan.penalties_outstanding,
                  per_diem=round_minor(daily, mode))

