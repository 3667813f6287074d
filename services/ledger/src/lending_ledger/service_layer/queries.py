"""Small read-side computations over the stored read model."""

from __future__ import annotations

from datetime import date

from loanmath import Currency

# The statuses servicing rates (a closed loan owes nothing; a booked one nothing yet)
RATED = ("active", "written_off")


def exponent_of(currency: str) -> int:
    return Currency.of(currency).exponent


def days_past_due(status: str, delinquent_since: date | None, as_of: date | None) -> int:
    """Days past due as servicing rates them (it owns the rule, docs/servicing.md): as of
    ``as_of`` (the last closed business date), from the effective due date of the oldest
    missed installment its last DelinquencyChanged named."""
    if as_of is None or delinquent_since is None or status not in RATED:
        return 0
    return max(0, (as_of - delinquent_since).days)
