"""Repayment schedules exact to the minor unit.

Closure rule: every installment's interest is rounded (loanmath.rounding, the loan's mode)
from the exact balance x factor; the last installment takes whatever principal is left,
so the principal column sums exactly to the principal and the balance ends at zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from loanmath.money import Currency, Money
from loanmath.periods import AccrualPeriod, accrual_periods
from loanmath.rounding import round_minor, round_to_multiple
from loanmath.terms import AmortizationMethod, LoanTerms

MATH_PRECISION = 40  # digits carried through every intermediate step


@dataclass(frozen=True, slots=True)
class Installment:
    number: int
    due_date: date
    principal: Money
    interest: Money
    fees: Money
    balance_after: Money  # outstanding principal once this installment is paid

    @property
    def total(self) -> Money:
        return Money(
            self.principal.minor + self.interest.minor + self.fees.minor, self.principal.currency
        )


@dataclass(frozen=True)
class Schedule:
    terms: LoanTerms
    principal: Money  # the balance this schedule amortizes
    start: date  # when interest starts on that balance
    installments: tuple[Installment, ...]
    periods: tuple[AccrualPeriod, ...]
    upfront_fee: Money  # paid at disbursement, outside the installments

    @property
    def currency(self) -> Currency:
        return self.principal.currency

    def _sum(self, column: str) -> Money:
        return Money(sum(getattr(i, column).minor for i in self.installments), self.currency)

    @property
    def total_principal(self) -> Money:
        return self._sum("principal")

    @property
    def total_interest(self) -> Money:
        return self._sum("interest")

    @property
    def total_fees(self) -> Money:
        """Installment fees plus the fee paid upfront at disbursement."""
        return self._sum("fees") + self.upfront_fee

    @property
    def total_repayable(self) -> Money:
        return self.total_principal + self.total_interest + self.total_fees

    @property
    def amount_financed(self) -> Money:
        """What the borrower actually receives: principal less the upfront fee."""
        return self.principal - self.upfront_fee


def build_schedule(terms: LoanTerms) -> Schedule:
    with localcontext() as ctx:
        ctx.prec = MATH_PRECISION
        periods = accrual_periods(terms)
        rows = amortize(
            terms.principal.minor,
            periods,
            terms,
            grace_principal=terms.grace_principal,
            grace_interest=terms.grace_interest,
        )
    upfront = terms.upfront_fee or Money.zero(terms.principal.currency)
    return Schedule(terms, terms.principal, terms.start, tuple(rows), tuple(periods), upfront)


def level_installment(balance: int, factors: Sequence[Decimal]) -> Decimal:
    """Exact equal installment that repays `balance` over periods with these interest factors:
    balance / sum_j prod_{k<=j} 1/(1+g_k); the textbook formula when every g_k is equal."""
    if not factors:
        return Decimal(balance)
    first = factors[0]
    if all(g == first for g in factors):
        if first == 0:
            return Decimal(balance) / len(factors)
        return Decimal(balance) * first / (1 - (1 + first) ** -len(factors))
    discount, annuity = Decimal(1), Decimal(0)
    for g in factors:
        discount /= 1 + g
        annuity += discount
    return Decimal(balance) / annuity


def amortize(
    balance: int,
    periods: Sequence[AccrualPeriod],
    terms: LoanTerms,
    *,
    grace_principal: int = 0,
    grace_interest: int = 0,
    first_number: int = 1,
    installment: int | None = None,
    principal_part: int | None = None,
) -> list[Installment]:
    """Splits each period's payment into principal and interest, in integer minor units."""
    method, mode = terms.method, terms.rounding
    currency = terms.principal.currency
    multiple = terms.installment_multiple.minor if terms.installment_multiple else 1
    fee = terms.installment_fee.minor if terms.installment_fee else 0
    amortizing = len(periods) - grace_principal
    if method is AmortizationMethod.ANNUITY and installment is None:
        factors = [p.factor for p in periods[grace_principal:]]
        installment = round_to_multiple(level_installment(balance, factors), multiple, mode)
    if method in (AmortizationMethod.EQUAL_PRINCIPAL, AmortizationMethod.FLAT):
        if principal_part is None:
            principal_part = round_to_multiple(Decimal(balance) / amortizing, multiple, mode)
    original = Decimal(balance)
    zero = Money(0, currency)
    fee_money = Money(fee, currency)
    rows: list[Installment] = []
    deferred = 0
    last = len(periods) - 1
    for index, period in enumerate(periods):
        base = original if method is AmortizationMethod.FLAT else Decimal(balance)
        accrued = round_minor(base * period.factor, mode)
        if index < grace_interest:
            deferred += accrued
            interest = 0
        else:
            interest, deferred = accrued + deferred, 0
        if index == last:
            principal = balance
        elif index < grace_principal or method is AmortizationMethod.INTEREST_ONLY:
            principal = 0
        elif method is AmortizationMethod.ANNUITY:
            assert installment is not None
            principal = min(max(installment - accrued, 0), balance)
        else:
            assert principal_part is not None
            principal = min(max(principal_part, 0), balance)
        balance -= principal
        rows.append(
            Installment(
                first_number + index,
                period.due,
                Money(principal, currency),
                Money(interest, currency) if interest else zero,
                fee_money,
                Money(balance, currency) if balance else zero,
            )
        )
    return rows
