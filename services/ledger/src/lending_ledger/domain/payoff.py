"""Paying a loan off against a quote: what settles it on a value date, and the cut of the
schedule there. Pure: standard library + loanmath.

What settles the loan on ``V`` (the rule servicing's quote follows, docs/ledger.md):
principal outstanding, the interest of every installment due by ``V`` and the running
period's scheduled interest pro rata to ``V`` on the contract's day count (the same figure
``accrue`` recognises, rounded the same way), the scheduled fees of installments due by
``V``, late fees charged and penalties recognised, less what is paid. Interest or fees
already paid on later installments stay paid (they were recognised when paid).

The cut takes off each later installment what it would never earn: its scheduled interest
beyond the pro rata part, and its scheduled fee. That was never recognised as income, so
removing it moves no account; only the catch-up to what is earned by ``V`` (or, when accrual
already ran past ``V``, the reversal of what was recognised after it) is an entry.

The quote binds the lender for interest, fees and penalties, never for principal: a payment
of at least the quoted total settles the loan when it also covers the principal outstanding
plus whatever interest, fees and penalties exceed the quote's own (so a late fee charged
after the quote is waived, but a payment the quote counted on and that bounced is owed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lending_ledger.domain.contract import FEE, INTEREST, PENALTY, PRINCIPAL, Contract
from loanmath import round_minor

Line = list[int]

# PaymentApplied.payoff_outcome (open vocabulary, published as lending_events PayoffOutcome)
SETTLED = "settled"
BELOW_QUOTE = "below_quote"
QUOTE_EXPIRED = "quote_expired"
PRINCIPAL_ABOVE_QUOTE = "principal_above_quote"
LOAN_NOT_ACTIVE = "loan_not_active"

WAIVER_ORDER = (PENALTY, FEE, INTEREST)  # never principal


@dataclass(frozen=True)
class QuotedPayoff:
    """The quote a payment was made against, as servicing issued it (minor units)."""

    quote_id: str
    total: int
    principal: int
    valid_until: date


def earned_part(contract: Contract, interest: int, starts: date, due: date, on: date) -> int:
    """The part of one period's scheduled interest earned by the end of ``on``: all of it
    from the due date, none before the period starts, else pro rata on the day count."""
    if on >= due:
        return interest
    if on <= starts or not interest:
        return 0
    part = contract.fraction(starts, on) / contract.fraction(starts, due)
    return round_minor(Decimal(interest) * part, contract.rounding)


def unearned(
    contract: Contract, base: int, due: list[list[int]], paid: list[list[int]], on: date
) -> list[Line]:
    """``[installment number, component, amount]`` to take off the schedule when the loan is
    settled on ``on``: interest and scheduled fees of the installments due after it that
    are not earned by then and not already paid. Installments before ``base`` (settled at a
    restructure) and what a restructure carried into the first new one are kept."""
    lines: list[Line] = []
    for k in range(base, len(contract.installments)):
        row = contract.installments[k]
        if row.due_date <= on:
            continue
        other_interest = due[k][INTEREST] - row.interest  # carried arrears: earned already
        keep = max(other_interest + earned_part(contract, row.interest, row.starts,
                                                row.due_date, on), paid[k][INTEREST])
        if due[k][INTEREST] > keep:
            lines.append([k + 1, INTEREST, due[k][INTEREST] - keep])
        keep_fee = max(due[k][FEE] - row.fee, paid[k][FEE])  # late or carried fees stay
        if due[k][FEE] > keep_fee:
            lines.append([k + 1, FEE, due[k][FEE] - keep_fee])
    return lines


def owed_after(due: list[list[int]], paid: list[list[int]], removed: list[Line]) -> list[int]:
    """What is left to pay per component once ``removed`` is off the schedule."""
    owed = [sum(row[c] for row in due) - sum(row[c] for row in paid) for c in range(4)]
    for _n, component, amount in removed:
        owed[component] -= amount
    return owed


def binding_allowance(owed: list[int], quote: QuotedPayoff) -> int:
    """How much of what is owed the quote waives at most: the interest, fees and penalties
    above those the quote itself stated."""
    return max(0, (sum(owed) - owed[PRINCIPAL]) - (quote.total - quote.principal))


def waiver_lines(
    due: list[list[int]], paid: list[list[int]], removed: list[Line], amount: int
) -> list[Line]:
    """``amount`` waived from what is still open after the cut, penalties first, then fees,
    then interest, each oldest installment first; never principal."""
    open_ = [list(d[c] - p[c] for c in range(4)) for d, p in zip(due, paid, strict=True)]
    for n, component, taken in removed:
        open_[n - 1][component] -= taken
    lines: list[Line] = []
    left = amount
    for component in WAIVER_ORDER:
        for k, row in enumerate(open_):
            if left == 0:
                return lines
            take = min(row[component], left)
            if take > 0:
                lines.append([k + 1, component, take])
                left -= take
    if left:
        raise ValueError("the waiver exceeds the interest, fees and penalties owed")
    return lines
