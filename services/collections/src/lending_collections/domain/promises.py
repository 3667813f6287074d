"""A promise to pay: kept when payments up to the promised date reach the amount, broken when
the promised date closes without them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

PENDING = "pending"
KEPT = "kept"
BROKEN = "broken"


@dataclass
class Promise:
    promise_id: str
    case_id: str
    loan_id: str
    currency: str
    amount_minor: int
    promised_date: date
    paid_minor: int = 0
    status: str = PENDING
    resolved_on: date | None = None

    def apply_payment(self, amount_minor: int, value_date: date) -> bool:
        """Counts a payment made by the promised date; True when that keeps the promise."""
        if self.status != PENDING or value_date > self.promised_date:
            return False
        self.paid_minor += amount_minor
        if self.paid_minor >= self.amount_minor:
            self.status, self.resolved_on = KEPT, value_date
            return True
        return False

    def close_day(self, business_date: date) -> bool:
        """At the close of ``business_date``: True when that breaks the promise."""
        if self.status != PENDING or business_date < self.promised_date:
            return False
        self.status, self.resolved_on = BROKEN, business_date
        return True
