"""How a payment is split, as in Fineract's advanced payment allocation.

Rules by transaction type (only ``repayment`` exists today; recoveries after write-off are
not allocated): installments are grouped by the payment's value date into PAST DUE (due
before it), DUE (due on it) and IN ADVANCE (due after it), taken in that order.
* past due and due: component by component in the contract's ``allocation_order``
  (default penalty, fee, interest, principal), oldest installment first within each
  component ("vertical");
* in advance: installment by installment, next one first, each in the contract's order
  ("horizontal"), so a prepayment settles whole future installments.
What is left is an overpayment, held as a refundable credit balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

Line = list[int]


def allocate(
    amount: int,
    value_date: date,
    due_dates: Sequence[date],
    due: Sequence[list[int]],
    paid: list[list[int]],
    order: Sequence[int],
) -> tuple[list[Line], int]:
    """Returns ``([[installment number, component, amount], ...], overpayment)`` and adds
    the lines to ``paid`` (one row of four components per installment)."""
    lines: list[Line] = []
    left = amount
    past = [k for k, d in enumerate(due_dates) if d < value_date]
    today = [k for k, d in enumerate(due_dates) if d == value_date]
    ahead = [k for k, d in enumerate(due_dates) if d > value_date]
    for bucket in (past, today):
        for component in order:
            for k in bucket:
                if left == 0:
                    return lines, 0
                left = _take(k, component, left, due, paid, lines)
    for k in ahead:
        for component in order:
            if left == 0:
                return lines, 0
            left = _take(k, component, left, due, paid, lines)
    return lines, left


def _take(
    k: int, component: int, left: int, due: Sequence[list[int]], paid: list[list[int]],
    lines: list[Line],
) -> int:
    open_amount = due[k][component] - paid[k][component]
    if open_amount <= 0:
        return left
    taken = min(open_amount, left)
    paid[k][component] += taken
    lines.append([k + 1, component, taken])
    return left - taken
