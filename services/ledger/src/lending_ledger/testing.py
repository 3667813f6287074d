"""Loans for tests (unit and integration): the contract sample and loanmath-built schedules."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lending_events.samples import TERMS
from loanmath import (
    Frequency,
    InterestBasis,
    LoanTerms,
    Money,
    RoundingMode,
    build_schedule,
    schedule_apr,
)

LOAN = "loan-1"
_BASES = {"30/360": InterestBasis.THIRTY_360_US, "act/365f": InterestBasis.ACTUAL_365,
          "act/360": InterestBasis.ACTUAL_360, "act/act": InterestBasis.ACTUAL_ACTUAL}


def sample_terms() -> dict[str, Any]:
    """EUR 1000.00, 12%, three monthly installments, 20.00 fee withheld, 24% penalty."""
    return TERMS.model_dump(mode="json")


def built_terms(
    principal: str = "1200.00", rate: str = "0.18", term: int = 6, start: date = date(2025, 1, 15),
    frequency: str = "monthly", day_count: str = "30/360", installment_fee: str | None = None,
) -> dict[str, Any]:
    """Terms whose schedule comes from loanmath, in the ContractTerms JSON shape: the
    sample's 20.00 origination fee withheld, the APR (effective, as the sample's) computed
    on the schedule, so that the disclosure is true. ``installment_fee``: a scheduled fee
    due with every installment (a service fee)."""
    schedule = build_schedule(LoanTerms(
        Money.parse(principal, "EUR"), Decimal(rate), term, Frequency.parse(frequency), start,
        interest_basis=_BASES[day_count], rounding=RoundingMode.HALF_EVEN,
        upfront_fee=Money.parse("20.00", "EUR"),
        installment_fee=Money.parse(installment_fee, "EUR") if installment_fee else None,
    ))
    rows = [
        {"number": r.number, "due_date": r.due_date.isoformat(), "principal": str(r.principal),
         "interest": str(r.interest), "fees": str(r.fees),
         "total": str(r.total), "principal_balance_after": str(r.balance_after)}
        for r in schedule.installments
    ]
    terms = sample_terms()
    scheduled = sum((r.fees.amount for r in schedule.installments), Decimal(0))
    apr = schedule_apr(schedule).effective_annual_rate.quantize(Decimal("0.0001"), ROUND_HALF_UP)
    terms.update(
        principal=principal, annual_rate=rate, schedule=rows, start_date=start.isoformat(),
        first_due_date=rows[0]["due_date"], maturity_date=rows[-1]["due_date"],
        total_interest=str(schedule.total_interest),
        total_repayable=str(schedule.total_interest.amount + Decimal(principal) + scheduled),
        total_fees=str(Decimal(terms["total_fees"]) + scheduled),
        total_cost=str(schedule.total_interest.amount + Decimal(terms["total_fees"])
                       + scheduled),
        day_count=day_count, apr=str(apr),
    )
    return terms


def booked(terms: dict[str, Any] | None = None, loan_id: str = LOAN):
    from lending_ledger.domain.loan_account import LoanAccount

    account = LoanAccount(loan_id)
    account.book(
        terms=terms or sample_terms(), decision_id="dec-1", offer_id="offer-1",
        applicant_id="cust-1", partner_id="partner-1", booked_on=date(2025, 1, 15),
        disbursement_method="bank_transfer", disbursement_account="tok_acct_42",
    )
    return account


def disbursed(terms: dict[str, Any] | None = None, loan_id: str = LOAN):
    account = booked(terms, loan_id)
    account.record_disbursement(disbursement_id=loan_id, value_date=date(2025, 1, 15),
                                provider_reference="po-1")
    return account


# --- integration helpers (real PostgreSQL, real Kafka, the payout simulator) ---------------

def future_terms(start: date = date(2031, 3, 3), term: int = 3) -> dict[str, Any]:
    """Far-future dates, so day closes other tests publish never accrue these loans."""
    return built_terms("1000.00", "0.12", term, start=start)


def approved(loan_id: str, decision_id: str, terms: dict[str, Any], *,
             expires: str = "2099-01-01T00:00:00+00:00") -> Any:
    from lending_events import ContractTerms
    from lending_events.samples import sample_event

    return sample_event("LoanApproved").model_copy(update={
        "loan_id": loan_id, "decision_id": decision_id,
        "terms": ContractTerms.model_validate(terms), "offer_expires_at": _aware(expires)})


def accepted(loan_id: str, decision_id: str, *, at: str = "2031-03-01T10:00:00+00:00",
             account_ref: str = "tok_acct_42") -> Any:
    from lending_events.intake import DisbursementAccount
    from lending_events.samples import sample_event

    return sample_event("OfferAccepted").model_copy(update={
        "loan_id": loan_id, "decision_id": decision_id, "offer_id": f"offer-{loan_id}",
        "accepted_at": _aware(at),
        "disbursement_account": DisbursementAccount(method="bank_transfer",
                                                    account_ref=account_ref)})


def payment(loan_id: str, payment_id: str, amount: str, value_date: date) -> Any:
    from lending_events.samples import sample_event

    return sample_event("PaymentReceived").model_copy(update={
        "loan_id": loan_id, "payment_id": payment_id, "amount": Decimal(amount),
        "value_date": value_date})


def _aware(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)


async def issue_operator_key(sessions: Any, role: str = "servicer") -> str:
    """Writes an operator credential into this service's projection; returns the API key."""
    from lending_platform import testing

    return await testing.issue_operator_key(sessions, role)
