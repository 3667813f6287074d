"""Events published by the ledger (topic lending.ledger.v1). Dates are business dates."""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from lending_events.base import Breakdown, LoanEvent, known_codes
from lending_events.money import Amount, CurrencyCode, Rate
from lending_events.reasons import (
    DisbursementFailure,
    PayoffOutcome,
    ReversalReason,
    WriteOffReason,
)
from lending_events.terms import ContractTerms
from lending_events.vocabulary import (
    ClosureReason,
    DayCount,
    FeeKind,
    Identifier,
    PaymentMethod,
    ReasonCode,
)


def _check_same_currency(currency: str, terms: ContractTerms) -> None:
    if terms.currency != currency:
        raise ValueError(f"terms are in {terms.currency} but the event says {currency}")


class LedgerEvent(LoanEvent):
    producer = "ledger"


class LoanBooked(LedgerEvent):
    """The loan account exists with the accepted terms; disbursement is under way."""

    decision_id: Identifier
    offer_id: Identifier
    applicant_id: Identifier
    partner_id: Identifier
    booked_on: date
    terms: ContractTerms
    currency: CurrencyCode
    net_disbursement: Amount = Field(description="Principal minus fees withheld from the payout")

    @model_validator(mode="after")
    def _one_currency(self) -> LoanBooked:
        _check_same_currency(self.currency, self.terms)
        return self


class Disbursed(LedgerEvent):
    """The payout provider confirmed the money reached the borrower's account."""

    disbursement_id: Identifier
    currency: CurrencyCode
    amount: Amount
    fees_withheld: Amount
    value_date: date
    method: PaymentMethod
    provider_reference: str = Field(min_length=1)
    terms: ContractTerms | None = Field(
        default=None, description="The terms the loan is serviced on from now: the booked "
        "terms with the schedule anchored to value_date (first period counted from the "
        "payout) and the APR recomputed on it. They replace LoanBooked's schedule. Absent "
        "from events published before anchoring existed (the booked terms stand)")
    outstanding: Breakdown | None = Field(
        default=None, description="Balances right after this event (principal, interest, "
        "fees and penalties receivable); absent from events published before it existed")

    @model_validator(mode="after")
    def _one_currency(self) -> Disbursed:
        if self.terms is not None:
            _check_same_currency(self.currency, self.terms)
        return self


class DisbursementFailed(LedgerEvent):
    """The payout failed; ``retryable`` says whether the ledger will try again."""

    disbursement_id: Identifier
    currency: CurrencyCode
    amount: Amount
    failure_code: ReasonCode = Field(description=known_codes(DisbursementFailure, "Failure"))
    failure_message: str | None = None
    attempt: int = Field(ge=1)
    retryable: bool


class PaymentApplied(LedgerEvent):
    """A received payment was allocated to the loan's components in the contract's order."""

    payment_id: Identifier = Field(description="The PaymentReceived payment id")
    currency: CurrencyCode
    amount: Amount
    value_date: date
    allocation: Breakdown
    overpayment: Amount = Field(description="Held as a credit balance, not allocated")
    outstanding: Breakdown = Field(description="Balances after the payment")
    installments_settled: list[int] = Field(default_factory=list)
    payoff_quote_id: Identifier | None = Field(
        default=None, description="The payoff quote the payment was made against")
    payoff_outcome: ReasonCode | None = Field(
        default=None, description=known_codes(PayoffOutcome, "With a payoff quote: what the "
                                              "payment did"))
    payoff_waived: Amount | None = Field(
        default=None, description="Interest, fees or penalties the quote bound the lender to "
        "forgo (charged after it was issued); with payoff_outcome settled")
    paid_to_schedule: Amount | None = Field(
        default=None, description="After this event: the total paid toward the current "
        "schedule's installments as the contract states them (principal, interest and "
        "scheduled fees; late fees charged on an installment count as paid before its "
        "scheduled fee; penalties are outside the schedule, except arrears a restructure "
        "carried into its first installment). Counted against the installments oldest first "
        "(loanmath.unpaid_of). A state total, so applying it twice changes nothing; absent "
        "from events published before it existed")


class PaymentReversed(LedgerEvent):
    """A previously applied payment was reversed (never edited): its allocation is undone."""

    payment_id: Identifier
    reversal_id: Identifier
    currency: CurrencyCode
    amount: Amount
    value_date: date
    reason: ReasonCode = Field(description=known_codes(ReversalReason, "Reason"))
    reversed_allocation: Breakdown
    outstanding: Breakdown = Field(description="Balances after the reversal")
    paid_to_schedule: Amount | None = Field(
        default=None, description="After this event: the total paid toward the current "
        "schedule's installments as the contract states them (principal, interest and "
        "scheduled fees; late fees charged on an installment count as paid before its "
        "scheduled fee; penalties are outside the schedule, except arrears a restructure "
        "carried into its first installment). Counted against the installments oldest first "
        "(loanmath.unpaid_of). A state total, so applying it twice changes nothing; absent "
        "from events published before it existed")
    requested_by: Identifier | None = Field(
        default=None, description="The operator who asked for the reversal (absent on the "
        "corrections the ledger makes by itself, and on reversals before it was recorded)")
    approved_by: Identifier | None = Field(
        default=None, description="The second operator who approved it, when its amount "
        "needed one (maker-checker)")


class FeeCharged(LedgerEvent):
    """A fee was added to the loan's balance."""

    fee_id: Identifier
    kind: FeeKind
    currency: CurrencyCode
    amount: Amount
    charged_on: date
    installment_number: int | None = Field(default=None, ge=1)
    outstanding: Breakdown | None = Field(
        default=None, description="Balances right after this event (principal, interest, "
        "fees and penalties receivable); absent from events published before it existed")
    paid_to_schedule: Amount | None = Field(
        default=None, description="After this event: the total paid toward the current "
        "schedule's installments as the contract states them (principal, interest and "
        "scheduled fees; late fees charged on an installment count as paid before its "
        "scheduled fee; penalties are outside the schedule, except arrears a restructure "
        "carried into its first installment). Counted against the installments oldest first "
        "(loanmath.unpaid_of). A state total, so applying it twice changes nothing; absent "
        "from events published before it existed")


class InterestAccrued(LedgerEvent):
    """Interest and penalty interest accrued for the days up to a closed business day."""

    business_date: date
    accrued_from: date = Field(description="First day included")
    accrued_to: date = Field(description="Last day included (the closed business date)")
    currency: CurrencyCode
    interest: Amount
    penalty_interest: Amount
    annual_rate: Rate
    day_count: DayCount
    accrued_unpaid_interest: Amount = Field(description="Accrued and not yet paid, after this")
    outstanding: Breakdown | None = Field(
        default=None, description="Balances right after this event (principal, interest, "
        "fees and penalties receivable); absent from events published before it existed")


class LoanRestructured(LedgerEvent):
    """New terms replace the old from ``effective_date``; the old schedule is void from then."""

    restructure_id: Identifier
    request_id: Identifier | None = Field(default=None, description="The RestructureRequested id")
    effective_date: date
    currency: CurrencyCode
    previous_outstanding: Breakdown
    capitalized: Amount = Field(description="Overdue interest, fees and penalties added to "
                                "principal")
    waived: Amount
    new_terms: ContractTerms
    outstanding: Breakdown | None = Field(
        default=None, description="Balances right after the restructure (capitalised amounts "
        "are principal now); absent from events published before it existed")

    @model_validator(mode="after")
    def _one_currency(self) -> LoanRestructured:
        _check_same_currency(self.currency, self.new_terms)
        return self


class LoanWrittenOff(LedgerEvent):
    """Outstanding balances moved off the books; later recoveries arrive as payments."""

    write_off_id: Identifier
    request_id: Identifier | None = Field(default=None, description="The WriteOffRequested id")
    effective_date: date
    currency: CurrencyCode
    written_off: Breakdown
    days_past_due: int = Field(ge=0)
    reason: ReasonCode = Field(description=known_codes(WriteOffReason, "Reason"))
    outstanding: Breakdown | None = Field(
        default=None, description="Balances right after this event (principal, interest, "
        "fees and penalties receivable); absent from events published before it existed")


class RecoveryApplied(LedgerEvent):
    """A payment received after the write-off: booked as recoveries income, not allocated to
    installments (the receivables are already off the books)."""

    payment_id: Identifier = Field(description="The PaymentReceived payment id")
    received_on: date = Field(description="The payment's value date")
    currency: CurrencyCode
    amount: Amount
    recovered_total: Amount = Field(description="All recoveries on this loan so far, this one "
                                    "included")


class LoanClosed(LedgerEvent):
    """The loan account is closed; no further events follow except reversals."""

    closed_on: date
    reason: ClosureReason
    currency: CurrencyCode
    total_paid: Amount


EVENTS = (
    LoanBooked,
    Disbursed,
    DisbursementFailed,
    PaymentApplied,
    PaymentReversed,
    FeeCharged,
    InterestAccrued,
    LoanRestructured,
    LoanWrittenOff,
    RecoveryApplied,
    LoanClosed,
)
