"""Early warning: signals in a loan's stream that predict default, raised when an
installment is missed (servicing's PaymentMissed), before collections' ladder has begun."""

from __future__ import annotations

from dataclasses import dataclass

FIRST_PAYMENT_DEFAULT = "first_payment_default"
PARTIAL_PAYMENT = "partial_payment"
LATE_PAYMENT_PATTERN = "late_payment_pattern"
PAYMENT_MISSED = "payment_missed"


@dataclass(frozen=True)
class Warning:
    signals: tuple[str, ...]
    severity: str


def assess(*, installment_number: int, amount_paid_minor: int, earlier_cures: int) -> Warning:
    """A missed installment is always a signal; these make it a stronger one: the very first
    installment missed, a partial payment, or a loan that has been delinquent and cured
    before (paying late cycle after cycle)."""
    signals = [PAYMENT_MISSED]
    if installment_number == 1:
        signals.append(FIRST_PAYMENT_DEFAULT)
    if amount_paid_minor > 0:
        signals.append(PARTIAL_PAYMENT)
    if earlier_cures > 0:
        signals.append(LATE_PAYMENT_PATTERN)
    strong = FIRST_PAYMENT_DEFAULT in signals or len(signals) >= 3
    severity = "high" if strong else "medium" if len(signals) == 2 else "low"
    return Warning(tuple(signals), severity)
