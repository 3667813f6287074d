"""Payoff quotes and re-amortization after a partial prepayment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum

from loanmath.daycount import InterestBasis, year_fraction
from loanmath.errors import InvalidLoanTermsError
from loanmath.money import Money
from loanmath.rounding import round_minor, round_to_multiple
from loanmath.schedule import MATH_PRECISION, Schedule, amortize, level_installment
from loanmath.terms import AmortizationMethod


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    as_of: date
    outstanding_principal: Money
    accrued_interest: Money  # unpaid interest of elapsed periods + the current one to as_of
    fees: Money  # unpaid installment fees already due + any extra (e.g. prepayment) fee
    total: Money


def payoff_quote(
    schedule: Schedule,
    as_of: date,
    *,
    principal_paid: Money | None = None,
    interest_paid: Money | None = None,
    fees_paid: Money | None = None,
    extra_fees: Money | None = None,
) -> PayoffQuote:
    """What settles the loan on `as_of`: outstanding principal, interest accrued to that
    date (elapsed periods as scheduled, then the running period on the outstanding
    principal, pro rata by the loan's basis) and fees, less what has been paid."""
    currency = schedule.currency
    zero = Money.zero(currency)
    paid_p, paid_i = principal_paid or zero, interest_paid or zero
    paid_f, extra = fees_paid or zero, extra_fees or zero
    if as_of < schedule.start:
        raise InvalidLoanTermsError("as_of", "is before the loan starts")
    outstanding = schedule.principal - paid_p
    if outstanding.minor < 0:
        raise InvalidLoanTermsError("principal_paid", "exceeds the principal")
    terms = schedule.terms
    mode = terms.rounding
    earned = fees_due = 0
    balance = schedule.principal.minor
    running = Decimal(0)
    flat = terms.method is AmortizationMethod.FLAT
    with localcontext() as ctx:
        ctx.prec = MATH_PRECISION
        for period, row in zip(schedule.periods, schedule.installments, strict=True):
            base = schedule.principal.minor if flat else balance
            if period.due <= as_of:
                earned += round_minor(Decimal(base) * period.factor, mode)
                fees_due += row.fees.minor
            elif period.start < as_of:
                running = _elapsed_factor(schedule, period.start, period.due, period.factor, as_of)
            balance = row.balance_after.minor
        # The running period accrues on what is actually outstanding (flat: the original).
        current_base = schedule.principal.minor if flat else outstanding.minor
        current = round_minor(Decimal(current_base) * running, mode)
    interest = Money(max(earned - paid_i.minor, 0) + current, currency)
    fees = Money(max(fees_due - paid_f.minor, 0), currency) + extra
    return PayoffQuote(as_of, outstanding, interest, fees, outstanding + interest + fees)


def _elapsed_factor(
    schedule: Schedule, start: date, due: date, factor: Decimal, as_of: date
) -> Decimal:
    terms = schedule.terms
    if terms.interest_basis is InterestBasis.PERIODIC:
        return factor * (as_of - start).days / (due - start).days
    return terms.annual_rate * year_fraction(terms.interest_basis, start, as_of)


class Reamortization(StrEnum):
    KEEP_INSTALLMENT = "keep-installment"  # same installment, shorter term
    KEEP_TERM = "keep-term"  # same due dates, lower installment


def reamortize(
    schedule: Schedule, *, after_installment: int, prepayment: Money, keep: Reamortization
) -> Schedule:
    """The rest of the schedule after installments 1..after_installment were paid as
    scheduled and `prepayment` of principal was paid on the last of their due dates."""
    terms = schedule.terms
    k = after_installment
    if not 0 <= k < len(schedule.installments):
        raise InvalidLoanTermsError("after_installment", "must name a paid installment")
    if k < terms.grace_interest:
        raise InvalidLoanTermsError("after_installment", "falls inside the interest grace")
    balance = schedule.installments[k - 1].balance_after.minor if k else schedule.principal.minor
    if prepayment.currency != schedule.currency:
        raise InvalidLoanTermsError("prepayment", "must be in the loan's currency")
    if not 0 < prepayment.minor < balance:
        raise InvalidLoanTermsError("prepayment", "must be positive and less than the balance")
    remaining = schedule.periods[k:]
    new_balance = balance - prepayment.minor
    grace = max(terms.grace_principal - k, 0)
    fixed_installment = fixed_part = None
    if keep is Reamortization.KEEP_INSTALLMENT:
        fixed_installment, fixed_part = _original_amounts(schedule)
    with localcontext() as ctx:
        ctx.prec = MATH_PRECISION
        rows = amortize(
            new_balance,
            remaining,
            terms,
            grace_principal=grace,
            first_number=k + 1,
            installment=fixed_installment,
            principal_part=fixed_part,
        )
    if keep is Reamortization.KEEP_INSTALLMENT:
        paid_off = next(i for i, row in enumerate(rows) if row.balance_after.minor == 0)
        rows = rows[: paid_off + 1]
    start = remaining[0].start
    zero = Money.zero(schedule.currency)
    return Schedule(
        terms,
        Money(new_balance, schedule.currency),
        start,
        tuple(rows),
        tuple(remaining[: len(rows)]),
        zero,
    )


def _original_amounts(schedule: Schedule) -> tuple[int | None, int | None]:
    terms = schedule.terms
    multiple = terms.installment_multiple.minor if terms.installment_multiple else 1
    amortizing = len(schedule.periods) - terms.grace_principal
    principal = schedule.principal.minor
    with localcontext() as ctx:
        ctx.prec = MATH_PRECISION
        if terms.method is AmortizationMethod.ANNUITY:
            factors = [p.factor for p in schedule.periods[terms.grace_principal :]]
            level = level_installment(principal, factors)
            return round_to_multiple(level, multiple, terms.rounding), None
        if terms.method in (AmortizationMethod.EQUAL_PRINCIPAL, AmortizationMethod.FLAT):
            part = Decimal(principal) / amortizing
            return None, round_to_multiple(part, multiple, terms.rounding)
    raise InvalidLoanTermsError("method", f"{terms.method} has no installment to keep")
