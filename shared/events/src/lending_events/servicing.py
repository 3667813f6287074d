"""Events published by servicing (topic lending.servicing.v1). Dates are business dates."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import AwareDatetime, Field

from lending_events.base import Breakdown, ContractModel, IntegrationEvent, LoanEvent
from lending_events.money import Amount, CurrencyCode
from lending_events.vocabulary import DelinquencyBucket, Identifier, PaymentMethod


class BusinessDayClosed(IntegrationEvent):
    """Servicing closed a business day: accrual, due/overdue, early warning and collection
    strategies all run as of ``business_date``. Not about one loan: its subject and Kafka
    key is the business date (ISO 8601), so day closes stay ordered on one partition."""

    producer = "servicing"

    calendar_id: Identifier
    business_date: date = Field(description="The day just closed")
    next_business_date: date
    closed_by: Identifier | None = Field(
        default=None, description="Who closed it: the operator's principal id, or "
        "`loanctl:<user>` for the command line (absent from closes before it was recorded)")

    @property
    def subject(self) -> str:
        return self.business_date.isoformat()


class PayoffQuoteTerms(ContractModel):
    """A payoff quote as servicing issued it. A payment of at least ``total`` with a value
    date up to ``valid_until`` settles the loan; the quote binds the lender for interest,
    fees and penalties, not for principal beyond ``principal`` (see docs/ledger.md)."""

    as_of: date
    valid_until: date
    principal: Amount = Field(description="Principal outstanding the quote counted on")
    total: Amount


class ServicingEvent(LoanEvent):
    producer = "servicing"


class PaymentReceived(ServicingEvent):
    """A repayment arrived from a processor or partner; the ledger applies it."""

    payment_id: Identifier
    currency: CurrencyCode
    amount: Amount
    received_at: AwareDatetime
    value_date: date
    method: PaymentMethod
    processor_reference: str = Field(min_length=1)
    payoff_quote_id: Identifier | None = Field(
        default=None, description="Set when the borrower pays off against a quote"
    )
    payoff_quote: PayoffQuoteTerms | None = Field(
        default=None, description="The quote ``payoff_quote_id`` names, as servicing issued "
        "it: what the ledger settles the loan against"
    )


class InstallmentDueSoon(ServicingEvent):
    """An installment falls due within the reminder window."""

    installment_number: int = Field(ge=1)
    due_date: date
    currency: CurrencyCode
    amount_due: Amount
    days_until_due: int = Field(ge=0)


class PaymentMissed(ServicingEvent):
    """An installment was not paid in full by its due date plus tolerance."""

    installment_number: int = Field(ge=1)
    due_date: date
    as_of: date
    currency: CurrencyCode
    amount_due: Amount
    amount_paid: Amount
    amount_overdue: Amount
    days_past_due: int = Field(ge=1)


class DelinquencyChanged(ServicingEvent):
    """The loan's delinquency changed as of a closed business day: it moved between
    days-past-due buckets (including back to current: a cure), or its delinquency start
    moved (a payment settled its oldest missed installment, a reversal or a late fee made an
    older one missed again, a restructure). Servicing owns the rule (docs/servicing.md);
    other services follow it: days past due on a later date D are D - ``delinquent_since``
    until the next DelinquencyChanged."""

    as_of: date = Field(description="The last closed business date the figures are as of")
    previous_bucket: DelinquencyBucket
    bucket: DelinquencyBucket
    days_past_due: int = Field(ge=0, description="as_of - delinquent_since, else 0")
    currency: CurrencyCode
    overdue_amount: Amount
    outstanding_principal: Amount
    delinquent_since: date | None = Field(
        default=None, description="The effective due date of the oldest missed installment; "
        "null when current. Absent from events published before it existed (then it is "
        "as_of - days_past_due when days_past_due > 0)")

    def since(self) -> date | None:
        """The delinquency start, also for events published before ``delinquent_since``."""
        if self.delinquent_since is not None or self.days_past_due == 0:
            return self.delinquent_since
        return self.as_of - timedelta(days=self.days_past_due)


class LoanMatured(ServicingEvent):
    """The final due date passed; ``outstanding`` is what is left to collect, if anything."""

    maturity_date: date
    as_of: date
    currency: CurrencyCode
    outstanding: Breakdown
    fully_repaid: bool


EVENTS = (
    BusinessDayClosed,
    PaymentReceived,
    InstallmentDueSoon,
    PaymentMissed,
    DelinquencyChanged,
    LoanMatured,
)
