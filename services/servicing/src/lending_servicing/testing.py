"""Builders for ledger events about made-up loans: the tests, the real-stack test and the
benchmark book loans with them (no I/O here)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from lending_events import Breakdown, ContractTerms, Installment
from lending_events.ledger import Disbursed, LoanBooked, PaymentApplied, PaymentReversed
from lending_events.money import from_minor_units
from loanmath import add_months

STEP_DAYS = {"daily": 1, "weekly": 7, "biweekly": 14}
TERM_UNIT = {"daily": "day", "weekly": "week", "biweekly": "week", "monthly": "month",
             "at_maturity": "day"}


def due_dates(start: date, frequency: str, count: int) -> list[date]:
    if frequency == "monthly":
        return [add_months(start, n) for n in range(1, count + 1)]
    step = STEP_DAYS.get(frequency, 30)
    return [start + timedelta(days=step * n) for n in range(1, count + 1)]


def contract_terms(*, start: date, frequency: str = "monthly", count: int = 3,
                   principal_minor: int = 90_000, interest_minor: int = 1_000,
                   currency: str = "EUR", grace_days: int = 0,
                   tolerance_amount: str | None = None,
                   tolerance_rate: str | None = None) -> ContractTerms:
    """Equal principal plus equal interest per installment; the last takes the residue."""
    dues = due_dates(start, frequency, count)

    def money(minor: int) -> Decimal:
        return from_minor_units(minor, currency)

    rows, left = [], principal_minor
    for n, due in enumerate(dues, start=1):
        p = principal_minor // count if n < count else left
        left -= p
        i = interest_minor
        rows.append(Installment(number=n, due_date=due, principal=money(p), interest=money(i),
                                fees=money(0), total=money(p + i),
                                principal_balance_after=money(left)))
    total_interest = interest_minor * count
    grace: dict[str, object] = {"tolerance_days": grace_days}
    if tolerance_amount is not None:
        grace["arrears_tolerance_amount"] = tolerance_amount
    if tolerance_rate is not None:
        grace["arrears_tolerance_rate"] = tolerance_rate
    unit = TERM_UNIT[frequency]
    term_count = count * (2 if frequency == "biweekly" else 1)
    return ContractTerms.model_validate({
        "product_code": "micro-test", "currency": currency, "principal": money(principal_minor),
        "annual_rate": "0.12", "interest_method": "declining_balance",
        "amortization": "equal_principal", "day_count": "act/365f", "frequency": frequency,
        "term": {"count": term_count, "unit": unit}, "start_date": start,
        "first_due_date": dues[0], "maturity_date": dues[-1], "rounding": "half_even",
        "grace": grace, "allocation_order": ["penalty", "fee", "interest", "principal"],
        "schedule": rows, "apr": "0.12", "apr_method": "nominal",
        "total_interest": money(total_interest), "total_fees": money(0),
        "total_cost": money(total_interest),
        "total_repayable": money(principal_minor + total_interest),
    })


def loan_booked(loan_id: str, terms: ContractTerms, partner_id: str = "partner-test") -> LoanBooked:
    return LoanBooked(loan_id=loan_id, decision_id=f"dec-{loan_id}", offer_id=f"off-{loan_id}",
                      applicant_id=f"cust-{loan_id}", partner_id=partner_id,
                      booked_on=terms.start_date, terms=terms, currency=terms.currency,
                      net_disbursement=terms.principal)


def disbursed(loan_id: str, terms: ContractTerms) -> Disbursed:
    zero = from_minor_units(0, terms.currency)
    return Disbursed(loan_id=loan_id, disbursement_id=f"disb-{loan_id}",
                     currency=terms.currency, amount=terms.principal, fees_withheld=zero,
                     value_date=terms.start_date, method="bank_transfer",
                     provider_reference=f"po-{loan_id}")


def _breakdown(currency: str, principal: int, interest: int) -> Breakdown:
    def m(x: int) -> Decimal:
        return from_minor_units(x, currency)

    return Breakdown(principal=m(principal), interest=m(interest), fees=m(0), penalties=m(0),
                     total=m(principal + interest))


def payment_applied(loan_id: str, payment_id: str, currency: str, amount_minor: int,
                    value_date: date, outstanding_principal: int) -> PaymentApplied:
    """A payment the ledger allocated all to principal (servicing counts principal, interest
    and scheduled fees alike toward the installments)."""
    return PaymentApplied(
        loan_id=loan_id, payment_id=payment_id, currency=currency,
        amount=from_minor_units(amount_minor, currency), value_date=value_date,
        allocation=_breakdown(currency, amount_minor, 0),
        overpayment=from_minor_units(0, currency),
        outstanding=_breakdown(currency, max(outstanding_principal, 0), 0))


def payment_reversed(loan_id: str, payment_id: str, currency: str, amount_minor: int,
                     value_date: date, outstanding_principal: int) -> PaymentReversed:
    return PaymentReversed(
        loan_id=loan_id, payment_id=payment_id, reversal_id=f"rev-{payment_id}",
        currency=currency, amount=from_minor_units(amount_minor, currency),
        value_date=value_date, reason="bounced",
        reversed_allocation=_breakdown(currency, amount_minor, 0),
        outstanding=_breakdown(currency, outstanding_principal, 0))

