"""Payoff quotes: what settles the loan on a date, by the ledger's rule (the ledger is the
authority on money and settles a payment against the quote with the same rule, see
docs/ledger.md "Payoff").

Principal outstanding; the interest of every installment due by then; the running period's
scheduled interest pro rata to that date on the contract's day count, rounded with the
contract's rule (what the ledger's accrual recognises); nothing of later periods' interest
or scheduled fees, except what is already paid (it stays paid); unpaid scheduled fees of
installments due by then, late fees charged and penalties the ledger reports.

Servicing knows what the ledger counted toward the schedule as one sum (paid oldest
installment first, as the ledger allocates); within an installment not yet due, what is
paid is split in the contract's allocation order, as the ledger pays in advance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from lending_servicing.domain.schedule import ScheduledInstallment
from loanmath import InterestBasis, RoundingMode, round_minor, year_fraction

DAY_COUNTS = {
    "act/365f": InterestBasis.ACTUAL_365,
    "act/360": InterestBasis.ACTUAL_360,
    "30/360": InterestBasis.THIRTY_360_US,
    "act/act": InterestBasis.ACTUAL_ACTUAL,
}
DEFAULT_ORDER = ("penalty", "fee", "interest", "principal")


@dataclass(frozen=True, slots=True)
class LoanBalances:
    """The contract and what the ledger reported, in minor units."""

    start_date: date
    day_count: str
    rounding: str
    schedule: Sequence[ScheduledInstallment]
    paid_to_schedule: int  # principal, interest and scheduled fees paid, oldest first
    principal_outstanding: int  # as the ledger last reported it
    charged_fees_unpaid: int  # fees the ledger charged outside the schedule (late fees)
    penalties_outstanding: int
    allocation_order: Sequence[str] = DEFAULT_ORDER
    # a restructure's arrears due with the first new installment: earned already; its
    # penalties are stated in that installment's fees and count toward the schedule once
    # paid (the ledger pays penalties in the allocation order), but what is owed of them
    # is among the penalties the ledger reports
    carried_interest: int = 0
    carried_fees: int = 0
    carried_penalties: int = 0


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


def earned_part(loan: LoanBalances, interest: int, starts: date, due: date, on: date) -> int:
    """The part of one period's scheduled interest earned by the end of ``on``."""
    if on >= due:
        return interest
    if on <= starts or not interest:
        return 0
    basis = DAY_COUNTS[loan.day_count]
    part = year_fraction(basis, starts, on) / year_fraction(basis, starts, due)
    return round_minor(Decimal(interest) * part, RoundingMode.parse(loan.rounding))


def _split(paid: int, order: Sequence[str], parts: dict[str, int]) -> dict[str, int]:
    taken = {}
    for name in order:
        taken[name] = min(paid, parts.get(name, 0))
        paid -= taken[name]
    return taken


def payoff_on(loan: LoanBalances, settle_on: date) -> Payoff:
    if settle_on < loan.start_date:
        raise ValueError("the loan has not started on that date")
    order = list(loan.allocation_order)
    left = loan.paid_to_schedule
    owed = fees_owed = per_diem = 0
    starts = loan.start_date
    for n, row in enumerate(loan.schedule):
        carried_i, carried_f = (loan.carried_interest, loan.carried_fees) if n == 0 else (0, 0)
        penalties = loan.carried_penalties if n == 0 else 0
        parts = {"principal": row.principal, "interest": row.interest,
                 "fee": row.fees - penalties, "penalty": penalties}
        paid = _split(min(left, sum(parts.values())), order, parts)
        left -= sum(paid.values())
        del parts["penalty"], paid["penalty"]  # owed among penalties_outstanding
        if row.due_date > settle_on:
            scheduled = row.interest - carried_i
            parts["interest"] = max(carried_i + earned_part(
                loan, scheduled, starts, row.due_date, settle_on), paid["interest"])
            parts["fee"] = max(carried_f, paid["fee"])
            if starts <= settle_on:  # the running period
                per_diem = earned_part(loan, scheduled, starts, row.due_date,
                                       settle_on + timedelta(days=1)) - earned_part(
                    loan, scheduled, starts, row.due_date, settle_on)
        owed += sum(parts.values()) - sum(paid.values())
        fees_owed += parts["fee"] - paid["fee"]
        starts = row.due_date
    # the ledger's principal is exact; the one sum paid says only the rest
    principal = min(loan.principal_outstanding, owed)
    fees = min(fees_owed, owed - principal)
    return Payoff(settle_on, principal, owed - principal - fees,
                  fees + loan.charged_fees_unpaid, loan.penalties_outstanding, per_diem)
