"""Reversing a payment takes money back onto the borrower's balance, so above a configured
amount it takes two operators: one asks (maker), another approves (checker). Pure.

Thresholds are per currency, in minor units; a currency without one needs an approval for
every reversal (the safe default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lending_ledger.domain.errors import ReversalApprovalError, ReversalDecidedError

AWAITING_APPROVAL, REVERSED, REJECTED = "awaiting_approval", "reversed", "rejected"


def needs_second_operator(amount: int, currency: str, thresholds: Mapping[str, int]) -> bool:
    limit = thresholds.get(currency)
    return limit is None or amount > limit


@dataclass
class ReversalRequest:
    reversal_id: str
    loan_id: str
    payment_id: str
    currency: str
    amount: int
    reason: str
    requested_by: str
    status: str = AWAITING_APPROVAL
    decided_by: str | None = None
    note: str | None = None

    def decide(self, *, approve: bool, by: str, note: str) -> bool:
        """True when this decides it; False when ``by`` already made this same decision
        (a retried request); raises when it cannot be decided by ``by``."""
        wanted = REVERSED if approve else REJECTED
        if self.status == wanted and self.decided_by == by:
            return False
        if self.status != AWAITING_APPROVAL:
            raise ReversalDecidedError(f"reversal {self.reversal_id} is already {self.status}")
        if by == self.requested_by:
            raise ReversalApprovalError(
                f"{by} asked for reversal {self.reversal_id} and may not decide it "
                "(maker-checker)")
        self.status, self.decided_by, self.note = wanted, by, note
        return True
