"""A rate cut forgoes interest as surely as a waiver forgoes principal: what the borrower
would have paid on the remaining principal at the current rate, less what they will pay at
the new one, both over the plan the proposal asks for (its count, frequency and first due
date, else what is left of the schedule), built with loanmath as the ledger re-amortises.
It counts toward the approval tiers like any waived amount.

A recovery plan never raises the rate: not above the loan's current rate (the product's
price for this borrower, within the product's cap when it was booked) and never above the
legal APR cap (recovery.toml: a nominal rate above the cap breaks it whatever the fees).
Pure: standard library + loanmath.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from lending_collections.domain.errors import ProposalInvalidError
from loanmath import (
    AmortizationMethod,
    Currency,
    Frequency,
    InterestBasis,
    LoanMathError,
    LoanTerms,
    Money,
    RoundingMode,
    build_schedule,
)

_DAY_COUNTS = {
    "act/365f": InterestBasis.ACTUAL_365,
    "act/360": InterestBasis.ACTUAL_360,
    "30/360": InterestBasis.THIRTY_360_US,
    "act/act": InterestBasis.ACTUAL_ACTUAL,
}
_METHODS = {"equal_installments": AmortizationMethod.ANNUITY,
            "equal_principal": AmortizationMethod.EQUAL_PRINCIPAL,
            "interest_only": AmortizationMethod.INTEREST_ONLY,
            "bullet": AmortizationMethod.BULLET}


@dataclass(frozen=True)
class RateChange:
    """What a proposal asks of the rate, in the terms of the loan it is for."""

    new_annual_rate: Decimal
    effective_date: date
    new_installment_count: int | None = None
    new_frequency: str | None = None
    first_due_date: date | None = None


def check_rate(loan_terms: Mapping[str, Any] | None, new_rate: Decimal,
               legal_apr_cap: Decimal) -> None:
    """Refuses a rate a recovery plan may not set, naming ``new_annual_rate``."""
    if loan_terms is None:
        raise ProposalInvalidError(
            "new_annual_rate", "collections does not know this loan's contract terms (no "
            "LoanBooked seen), so a rate change cannot be priced or approved")
    current = Decimal(str(loan_terms["annual_rate"]))
    if new_rate > current:
        raise ProposalInvalidError(
            "new_annual_rate", f"{new_rate} is above the loan's current rate {current}: a "
            "recovery plan never raises the rate")
    if new_rate > legal_apr_cap:
        raise ProposalInvalidError(
            "new_annual_rate", f"{new_rate} is above the legal APR cap {legal_apr_cap}")


def forgone_interest(loan_terms: Mapping[str, Any], outstanding_principal: int,
                     change: RateChange) -> int:
    """Minor units of interest the rate cut gives up over the new plan (0 when none)."""
    current = Decimal(str(loan_terms["annual_rate"]))
    if outstanding_principal <= 0 or change.new_annual_rate >= current:
        return 0
    return max(0, _interest(loan_terms, outstanding_principal, change, current)
               - _interest(loan_terms, outstanding_principal, change, change.new_annual_rate))


def _interest(terms: Mapping[str, Any], principal: int, change: RateChange,
              rate: Decimal) -> int:
    remaining = sum(1 for row in terms["schedule"]
                    if date.fromisoformat(str(row["due_date"])) > change.effective_date)
    method = (AmortizationMethod.FLAT if terms.get("interest_method") == "flat"
              else _METHODS[str(terms["amortization"])])
    try:
        schedule = build_schedule(LoanTerms(
            principal=Money(principal, Currency.of(str(terms["currency"]))), annual_rate=rate,
            term=change.new_installment_count or max(1, remaining),
            frequency=Frequency.parse(change.new_frequency or str(terms["frequency"])),
            start=change.effective_date, method=method,
            interest_basis=_DAY_COUNTS[str(terms["day_count"])],
            rounding=RoundingMode.parse(str(terms.get("rounding", "half_even"))),
            first_due=change.first_due_date))
    except (LoanMathError, KeyError, ValueError) as exc:
        raise ProposalInvalidError("new_annual_rate",
                                   f"the new schedule cannot be built: {exc}") from exc
    return sum(row.interest.minor for row in schedule.installments)
