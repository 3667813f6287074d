"""Small read-side computations over the stored read model."""

from __future__ import annotations

from datetime import date
from typing import Any

from loanmath import Currency


def exponent_of(currency: str) -> int:
    return Currency.of(currency).exponent


def days_past_due(view: dict[str, Any], as_of: date | None) -> int:
    """Days since the oldest unpaid installment fell due, as of the business date."""
    if as_of is None or view.get("status") not in ("active", "written_off"):
        return 0
    for row in view.get("installments", []):
        due = date.fromisoformat(row["due_date"])
        if due >= as_of:
            return 0
        if not row["settled"]:
            return (as_of - due).days
    return 0
