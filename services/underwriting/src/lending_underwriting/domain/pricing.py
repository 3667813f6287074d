"""Risk-based pricing: grade -> rate from the product's rate card -> contract terms built with
loanmath, with the disclosed APR (fees included) never above the legal cap.

When the card rate's APR would exceed the cap, the nominal rate is lowered to the highest
rate in basis points whose APR is within it (regula falsi on the basis-point grid; APR is
increasing in the rate). When even a 0% rate breaks the cap (fees alone), there is no legal
price: ``price`` returns None and the application is declined ``rate_cap_exceeded``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lending_underwriting.domain.policy import PolicyBook, ProductPolicy
from loanmath import (
    AmortizationMethod,
    Frequency,
    InterestBasis,
    LoanTerms,
    Money,
    RoundingMode,
    Schedule,
    build_schedule,
    schedule_apr,
)

BP = Decimal("0.0001")
APR_PLACES = Decimal("0.0001")
ALLOCATION_ORDER = ["penalty", "fee", "interest", "principal"]
_DAY_COUNT = {"30/360": InterestBasis.THIRTY_360_US, "act/365f": InterestBasis.ACTUAL_365,
              "act/360": InterestBasis.ACTUAL_360, "act/act": InterestBasis.ACTUAL_ACTUAL}
_PER_YEAR = {"daily": 365, "weekly": 52, "biweekly": 26, "monthly": 12}


class UnsupportedTermsError(ValueError):
    """The frequency and term unit cannot be combined into a schedule."""


@dataclass(frozen=True)
class PricedOffer:
    amount: Decimal
    term_count: int
    frequency: str
    grade: str
    card_rate: Decimal
    annual_rate: Decimal
    capped: bool  # the rate was lowered to keep the APR within the legal cap
    apr: Decimal  # disclosed, 4 places, never above the cap
    apr_exact: Decimal  # what the cap is tested against
    monthly_installment: Decimal  # the largest installment, as a monthly figure
    terms: dict[str, Any]  # ContractTerms-shaped, JSON-ready

    def to_dict(self) -> dict[str, Any]:
        return {"amount": str(self.amount), "term_count": self.term_count,
                "frequency": self.frequency, "grade": self.grade,
                "card_rate": str(self.card_rate), "annual_rate": str(self.annual_rate),
                "capped": self.capped, "apr": str(self.apr), "apr_exact": str(self.apr_exact),
                "monthly_installment": str(self.monthly_installment),
                "terms": self.terms}  # shared, not copied (hot path): never mutate it


def installments(frequency: str, term_count: int, term_unit: str) -> tuple[int, Frequency]:
    """The number of installments and their frequency for a term in the product's unit."""
    if frequency == "at_maturity":
        unit = {"day": "days", "week": "weeks", "month": "months"}[term_unit]
        try:
            return 1, Frequency.parse(f"every-{term_count}-{unit}")
        except ValueError as exc:
            raise UnsupportedTermsError(str(exc)) from None
    per_year = _PER_YEAR.get(frequency)
    if per_year is None:
        raise UnsupportedTermsError(f"unknown frequency {frequency}")
    if term_unit == "month":
        count = Decimal(term_count) * per_year / 12
    elif term_unit == "week":
        count = Decimal(term_count) * per_year / 52
    else:
        count = Decimal(term_count) * per_year / 365
    n = int(count.to_integral_value(ROUND_HALF_UP))
    if n < 1:
        raise UnsupportedTermsError(f"{term_count} {term_unit}s is shorter than one {frequency}")
    return n, Frequency.parse(frequency)


def card_rate(policy: ProductPolicy, grade: str) -> Decimal | None:
    return policy.rate_card.get(grade)


def price(book: PolicyBook, policy: ProductPolicy, grade: str, amount: Decimal,
          term_count: int, frequency: str, start: date) -> PricedOffer | None:
    """The offer at the grade's card rate, lowered if needed to respect the legal cap."""
    rate = card_rate(policy, grade)
    if rate is None:
        return None
    builder = _Builder(book, policy, amount, term_count, frequency, start)
    schedule, apr = builder.at(rate)
    capped = False
    if apr > book.legal_apr_cap:
        found = builder.highest_rate_within_cap(rate, apr)
        if found is None:
            return None
        rate, schedule, apr = found
        capped = True
    return builder.offer(grade, policy.rate_card[grade], rate, capped, schedule, apr)


class _Builder:
    def __init__(self, book: PolicyBook, policy: ProductPolicy, amount: Decimal,
                 term_count: int, frequency: str, start: date) -> None:
        self.book, self.policy, self.amount, self.start = book, policy, amount, start
        self.term_count, self.frequency = term_count, frequency
        self.n, self.freq = installments(frequency, term_count, policy.term_unit)
        self.currency = policy.currency
        self.mode = RoundingMode.parse(policy.rounding)
        self._cache: dict[Decimal, tuple[Schedule, Decimal]] = {}

    def _fees(self) -> tuple[Money | None, Money | None]:
        upfront = 0
        per_installment = 0
        principal = Money.parse(str(self.amount), self.currency)
        for fee in self.policy.fees:
            if fee.basis == "flat":
                minor = Money.parse(str(fee.amount), self.currency).minor
            else:
                minor = Money.from_decimal(self.amount * (fee.rate or 0), principal.currency,
                                           self.mode).minor
            if fee.deducted_from_disbursement:
                upfront += minor
            else:
                per_installment += minor  # only single-installment products (policy check)
        cur = principal.currency
        return (Money(upfront, cur) if upfront else None,
                Money(per_installment, cur) if per_installment else None)

    def at(self, rate: Decimal) -> tuple[Schedule, Decimal]:
        cached = self._cache.get(rate)
        if cached is not None:
            return cached
        upfront, per_installment = self._fees()
        terms = LoanTerms(
            principal=Money.parse(str(self.amount), self.currency), annual_rate=rate,
            term=self.n, frequency=self.freq, start=self.start, method=self._method(),
            interest_basis=_DAY_COUNT[self.policy.day_count], rounding=self.mode,
            upfront_fee=upfront, installment_fee=per_installment,
        )
        schedule = build_schedule(terms)
        result = schedule_apr(schedule)
        apr = result.apr if self.book.apr_method == "nominal" else result.effective_annual_rate
        self._cache[rate] = (schedule, apr)
        return schedule, apr

    def _method(self) -> AmortizationMethod:
        p = self.policy
        if p.amortization == "bullet":
            return AmortizationMethod.BULLET
        if p.interest_method == "flat":
            return AmortizationMethod.FLAT
        return AmortizationMethod.parse(p.amortization)

    def highest_rate_within_cap(
        self, rate: Decimal, apr: Decimal
    ) -> tuple[Decimal, Schedule, Decimal] | None:
        cap = self.book.legal_apr_cap
        lo, hi = 0, int(rate / BP)  # basis points: lo within the cap, hi above it
        lo_schedule, lo_apr = self.at(Decimal(0))
        if lo_apr > cap:
            return None
        hi_apr = apr
        for step in range(40):
            if hi - lo <= 1:
                break
            if step < 4 and hi_apr != lo_apr:  # APR is nearly linear in the rate
                guess = lo + int((cap - lo_apr) / (hi_apr - lo_apr) * (hi - lo))
                guess = min(max(guess, lo + 1), hi - 1)
            else:
                guess = (lo + hi) // 2
            schedule, guess_apr = self.at(Decimal(guess) * BP)
            if guess_apr <= cap:
                lo, lo_schedule, lo_apr = guess, schedule, guess_apr
                if guess + 1 < hi:  # probe the neighbour: most often it closes the bracket
                    schedule, next_apr = self.at(Decimal(guess + 1) * BP)
                    if next_apr > cap:
                        hi, hi_apr = guess + 1, next_apr
                    else:
                        lo, lo_schedule, lo_apr = guess + 1, schedule, next_apr
            else:
                hi, hi_apr = guess, guess_apr
        return (Decimal(lo) * BP).quantize(BP), lo_schedule, lo_apr

    def offer(self, grade: str, card: Decimal, rate: Decimal, capped: bool,
              schedule: Schedule, apr: Decimal) -> PricedOffer:
        largest = max(i.total.amount for i in schedule.installments)
        per_year = self.freq.periods_per_year
        monthly = (largest * per_year / 12).quantize(Decimal("0.01"), ROUND_HALF_UP)
        # The cap has 4 places and apr <= cap, so rounding half-up never crosses it.
        disclosed = apr.quantize(APR_PLACES, ROUND_HALF_UP)
        return PricedOffer(
            amount=self.amount, term_count=self.term_count, frequency=self.frequency,
            grade=grade, card_rate=card, annual_rate=rate.quantize(BP), capped=capped,
            apr=disclosed, apr_exact=apr, monthly_installment=monthly,
            terms=self.contract_terms(schedule, rate.quantize(BP), disclosed),
        )

    def contract_terms(self, schedule: Schedule, rate: Decimal, apr: Decimal) -> dict[str, Any]:
        p = self.policy
        rows = schedule.installments
        fees: list[dict[str, Any]] = []
        for fee in p.fees:
            item: dict[str, Any] = {"kind": fee.kind, "basis": fee.basis,
                                    "deducted_from_disbursement": fee.deducted_from_disbursement}
            if fee.basis == "flat":
                item["amount"] = str(Money.parse(str(fee.amount), self.currency))
            else:
                item["rate"] = str(fee.rate)
            fees.append(item)
        if p.late_fee_rate is not None:
            fees.append({"kind": "late_payment", "basis": "overdue_installment",
                         "rate": str(p.late_fee_rate)})
        total_interest = schedule.total_interest
        total_fees = schedule.total_fees
        repayable = sum((i.total.minor for i in rows), 0)
        return {
            "product_code": p.code, "currency": self.currency, "principal": str(schedule.principal),
            "annual_rate": str(rate), "interest_method": p.interest_method,
            "amortization": p.amortization, "day_count": p.day_count,
            "frequency": self.frequency, "term": {"count": self.term_count, "unit": p.term_unit},
            "start_date": self.start.isoformat(), "first_due_date": rows[0].due_date.isoformat(),
            "maturity_date": rows[-1].due_date.isoformat(), "rounding": p.rounding,
            "fees": fees,
            "grace": {"principal_periods": 0, "interest_periods": 0,
                      "tolerance_days": p.tolerance_days},
            "penalty": None if p.penalty is None else {
                "annual_rate": str(p.penalty.annual_rate), "grace_days": p.penalty.grace_days,
                "basis": p.penalty.basis},
            "allocation_order": list(ALLOCATION_ORDER),
            "schedule": [
                {"number": i.number, "due_date": i.due_date.isoformat(),
                 "principal": str(i.principal), "interest": str(i.interest),
                 "fees": str(i.fees), "total": str(i.total),
                 "principal_balance_after": str(i.balance_after)}
                for i in rows
            ],
            "apr": str(apr), "apr_method": self.book.apr_method,
            "total_interest": str(total_interest), "total_fees": str(total_fees),
            "total_cost": str(total_interest + total_fees),
            "total_repayable": str(Money(repayable, schedule.currency)),
        }
