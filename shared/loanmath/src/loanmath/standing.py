"""How what is paid toward a schedule settles its installments: one rule for every service.

Servicing tracks due and overdue installments and the ledger shows the next due from what
it paid toward the schedule; both count that one sum (``paid_to_schedule``: principal,
interest and scheduled fees, as the contract states each installment) against the
installments **oldest first**, whatever the ledger's allocation did inside them. An
installment's unpaid part is then ``min(total, cumulative due through it - paid)``, never
below zero; the next due is the first installment with something unpaid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def unpaid_of(total: int, cumulative_due: int, paid_to_schedule: int) -> int:
    """What is left of an installment of ``total`` (minor units) whose cumulative due, this
    one and every earlier installment, is ``cumulative_due``."""
    return max(0, min(total, cumulative_due - paid_to_schedule))


@dataclass(frozen=True, slots=True)
class NextDue:
    index: int  # position in the schedule, from 0
    unpaid: int  # of the installment's total


def next_due(totals: Iterable[int], paid_to_schedule: int) -> NextDue | None:
    """The first installment with anything unpaid, and how much; None when all are paid."""
    cumulative = 0
    for index, total in enumerate(totals):
        cumulative += total
        unpaid = unpaid_of(total, cumulative, paid_to_schedule)
        if unpaid > 0:
            return NextDue(index, unpaid)
    return None
