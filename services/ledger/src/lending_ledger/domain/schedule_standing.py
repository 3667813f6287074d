"""What the ledger has received toward the current schedule, in the terms servicing counts
it: one sum, counted against the installments oldest first (``loanmath.unpaid_of``), so the
two services agree on what is unpaid and next due whatever the allocation did inside the
installments. Pure: standard library + loanmath.

The schedule is the current one (after a restructure: its new installments, from
``base``), each installment as the contract states it: principal, interest and scheduled
fees; a restructure's carried arrears (interest, fees and penalties) are stated in its first
installment (interest, and fees), so they count too. What the ledger adds on top of the
contract does not: late fees (a fee paid on an installment pays its late fee first, then
its scheduled fee) and penalty interest (paid penalties count only up to the carried ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from lending_ledger.domain.contract import FEE, INTEREST, PENALTY, PRINCIPAL, Contract
from loanmath import next_due

NO_CARRY = (0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class NextDue:
    installment_number: int  # in the current schedule, from 1 (the contract's numbering)
    due_date: date
    amount_due: int  # what is left of the installment's stated total


def stated_totals(contract: Contract, base: int, carried: Sequence[int]) -> list[int]:
    """Each current installment's total as the contract states it."""
    totals = []
    for k in range(base, len(contract.installments)):
        row = contract.installments[k]
        total = row.principal + row.interest + row.fee
        if k == base:
            total += carried[INTEREST] + carried[FEE] + carried[PENALTY]
        totals.append(total)
    return totals


def paid_to_schedule(contract: Contract, base: int, carried: Sequence[int],
                     paid: Sequence[Sequence[int]], late_fees_on: Mapping[int, int]) -> int:
    """The sum paid toward the current installments' stated amounts."""
    total = 0
    for k in range(base, len(contract.installments)):
        row = paid[k]
        scheduled_fees = max(0, row[FEE] - late_fees_on.get(k + 1, 0))
        total += row[PRINCIPAL] + row[INTEREST] + scheduled_fees
        if k == base:
            total += min(row[PENALTY], carried[PENALTY])
    return total


def next_due_of(contract: Contract, base: int, carried: Sequence[int],
                paid_total: int) -> NextDue | None:
    """The first current installment with anything unpaid, by the cumulative rule."""
    found = next_due(stated_totals(contract, base, carried), paid_total)
    if found is None:
        return None
    row = contract.installments[base + found.index]
    return NextDue(found.index + 1, row.due_date, found.unpaid)
