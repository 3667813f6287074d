"""The contract terms a schedule is built from, checked on construction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from loanmath.dates import BusinessDayAdjustment
from loanmath.daycount import InterestBasis
from loanmath.errors import InvalidLoanTermsError
from loanmath.frequency import Frequency
from loanmath.money import Money
from loanmath.rounding import RoundingMode

MAX_ANNUAL_RATE = Decimal(10)
MAX_TERM = 12_000


class AmortizationMethod(StrEnum):
    ANNUITY = "annuity"  # equal installments
    EQUAL_PRINCIPAL = "equal-principal"  # equal principal parts, interest on the balance
    FLAT = "flat"  # interest on the original principal every period
    INTEREST_ONLY = "interest-only"  # interest each period, principal as a balloon at the end
    BULLET = "bullet"  # one repayment of principal and all interest at maturity

    @classmethod
    def parse(cls, text: str, field: str = "method") -> AmortizationMethod:
        key = text.strip().lower().replace("_", "-")
        key = {"equal-installments": "annuity", "declining-balance": "equal-principal"}.get(
            key, key
        )
        try:
            return cls(key)
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise InvalidLoanTermsError(
                field, f"unknown method {text!r}; expected one of {choices}"
            ) from None


@dataclass(frozen=True)
class LoanTerms:
    """Everything needed to build a repayment schedule.

    `upfront_fee` is paid at disbursement (the borrower receives principal - fee);
    `installment_fee` is charged with every installment; `installment_multiple` rounds the
    installment (annuity) or the principal part (equal-principal, flat) to a multiple of it.
    Grace counts are in installments: no principal due for the first `grace_principal`,
    no interest due for the first `grace_interest` (it accrues, without compounding, and is
    due with the first installment after the grace).
    """

    principal: Money
    annual_rate: Decimal
    term: int
    frequency: Frequency
    start: date
    method: AmortizationMethod = AmortizationMethod.ANNUITY
    interest_basis: InterestBasis = InterestBasis.PERIODIC
    rounding: RoundingMode = RoundingMode.HALF_UP
    first_due: date | None = None
    grace_principal: int = 0
    grace_interest: int = 0
    upfront_fee: Money | None = None
    installment_fee: Money | None = None
    installment_multiple: Money | None = None
    business_days: BusinessDayAdjustment | None = None

    def __post_init__(self) -> None:
        check_terms(self)


def check_terms(t: LoanTerms) -> None:
    if t.principal.minor <= 0:
        raise InvalidLoanTermsError("principal", "must be greater than zero")
    if not isinstance(t.annual_rate, Decimal) or not t.annual_rate.is_finite():
        raise InvalidLoanTermsError("annual_rate", "must be a finite Decimal")
    if not Decimal(0) <= t.annual_rate <= MAX_ANNUAL_RATE:
        raise InvalidLoanTermsError("annual_rate", "must be between 0 and 10 (a fraction)")
    if t.term < 1:
        raise InvalidLoanTermsError("term", "must be at least 1")
    if t.term > MAX_TERM:
        raise InvalidLoanTermsError("term", f"must be at most {MAX_TERM}")
    if t.first_due is not None and t.first_due <= t.start:
        raise InvalidLoanTermsError("first_due", "must be after the start date")
    for name in ("grace_principal", "grace_interest"):
        value = getattr(t, name)
        if value < 0:
            raise InvalidLoanTermsError(name, "must not be negative")
        if value and value >= t.term:
            raise InvalidLoanTermsError(name, "must be less than the term")
        if value and t.method in (AmortizationMethod.BULLET, AmortizationMethod.INTEREST_ONLY):
            raise InvalidLoanTermsError(name, f"does not apply to the {t.method} method")
    for name in ("upfront_fee", "installment_fee", "installment_multiple"):
        amount = getattr(t, name)
        if amount is None:
            continue
        if amount.currency != t.principal.currency:
            raise InvalidLoanTermsError(name, "must be in the principal's currency")
        if amount.minor < 0:
            raise InvalidLoanTermsError(name, "must not be negative")
    if t.upfront_fee is not None and t.upfront_fee.minor >= t.principal.minor:
        raise InvalidLoanTermsError("upfront_fee", "must be less than the principal")
    if t.installment_multiple is not None and t.installment_multiple.minor == 0:
        raise InvalidLoanTermsError("installment_multiple", "must be greater than zero")
