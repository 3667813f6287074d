"""What a borrower means to pay today, from their behaviour and the schedule they were
shown: pure, so the same book on the same day always means the same payments.

The amounts are settled when the run reads the loan (``engine.pay``): "what is due" is what
servicing says is unpaid on the installments due by today, plus penalties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from loanctl.simulate.behaviour import Behaviour
from loanctl.simulate.book import SimLoan


class Kind(StrEnum):
    DUE = "due"  # a share of what is due now
    EXTRA = "extra"  # a share of the outstanding principal, beyond what is due
    SETTLE = "settle"  # the payoff quote, in full
    PROMISED = "promised"  # an amount promised to a collector


@dataclass(frozen=True)
class Intent:
    kind: Kind
    share: Decimal = Decimal(1)
    amount: Decimal | None = None  # PROMISED


def behaviour_of(loan: SimLoan) -> Behaviour:
    """A restructured borrower keeps to the new schedule: that is why they accepted it."""
    return Behaviour.ON_TIME if loan.restructured else loan.borrower.behaviour


def _trigger(loan: SimLoan, index: int) -> date:
    due = loan.schedule[index].due_date
    if behaviour_of(loan) is Behaviour.LATE:
        return due + timedelta(days=loan.borrower.days_late)
    return due


def intents(loan: SimLoan, today: date) -> list[Intent]:
    """Today's intents; advances ``loan.acted_on`` past the installments acted on."""
    b, behaviour = loan.borrower, behaviour_of(loan)
    found: list[Intent] = []
    promised = sum((amount for day, amount in loan.promises.items() if day <= today),
                   Decimal(0))
    for day in [d for d in loan.promises if d <= today]:
        del loan.promises[day]
    if promised > 0:
        found.append(Intent(Kind.PROMISED, amount=promised))
    share: Decimal | None = None
    while loan.acted_on < len(loan.schedule) and _trigger(loan, loan.acted_on) <= today:
        number = loan.acted_on + 1
        loan.acted_on += 1
        if behaviour is Behaviour.DEFAULT and number > b.stop_after:
            continue
        if behaviour is Behaviour.PARTIAL and number % b.catch_up_every:
            share = max(share or Decimal(0), b.partial_share)
        else:
            share = Decimal(1)
    if share is not None:
        found.append(Intent(Kind.DUE, share))
    settle_on = _settle_day(loan)
    if settle_on is not None and today >= settle_on:
        found.append(Intent(Kind.SETTLE))
    prepay_on = _prepay_day(loan)
    if prepay_on is not None and today >= prepay_on:
        loan.prepaid = True
        found.append(Intent(Kind.EXTRA, b.prepay_share))
    return found


def _settle_day(loan: SimLoan) -> date | None:
    """EARLY_SETTLE: a week before the installment after the ones they paid."""
    b = loan.borrower
    if (behaviour_of(loan) is not Behaviour.EARLY_SETTLE or loan.settled_by_quote
            or b.settle_after >= len(loan.schedule) or loan.acted_on < b.settle_after):
        return None
    after = loan.schedule[b.settle_after - 1].due_date if b.settle_after else loan.disbursed_on
    day = loan.schedule[b.settle_after].due_date - timedelta(days=7)
    return max(day, (after or day) + timedelta(days=1))


def _prepay_day(loan: SimLoan) -> date | None:
    """PREPAY: ten days after the installment they prepay after, once."""
    b = loan.borrower
    if (behaviour_of(loan) is not Behaviour.PREPAY or loan.prepaid
            or b.prepay_after >= len(loan.schedule) or loan.acted_on < b.prepay_after):
        return None
    return loan.schedule[b.prepay_after - 1].due_date + timedelta(days=10)
