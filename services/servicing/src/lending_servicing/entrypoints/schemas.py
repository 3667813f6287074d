"""Request and response models of the servicing API (XCreate / XPublic)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lending_events.vocabulary import PaymentMethod

DecimalText = Field(pattern=r"^-?\d+(\.\d+)?$", examples=["340.02"],
                    description="A decimal string with the currency's minor digits")


class PaymentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: str = DecimalText
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])
    value_date: date = Field(description="Business date the money was received")
    channel: PaymentMethod
    external_reference: str = Field(min_length=1, max_length=128,
                                    description="The processor's or partner's reference")
    payoff_quote_id: str | None = Field(default=None, max_length=64,
                                        description="Set when paying off against a quote")


class PaymentAcceptedPublic(BaseModel):
    payment_id: str
    loan_id: str
    status: Literal["received"]
    amount: str
    currency: str
    value_date: date
    location: str
    settles_loan: bool = Field(
        default=False, description="The payment meets the payoff quote it names: the loan "
        "is settled on the value date (closed once the ledger has applied it); any excess "
        "becomes a credit balance to refund")
    payoff_quote_id: str | None = None
    payoff_quote_total: str | None = Field(default=None, description="What the quote asks")
    shortfall: str | None = Field(
        default=None, description="Below the quote by this much: applied as an ordinary "
        "payment, the loan stays open (ask for a new quote for the rest)")


class BreakdownPublic(BaseModel):
    principal: str
    interest: str
    fees: str
    penalties: str
    total: str


class InstallmentPublic(BaseModel):
    number: int
    due_date: date
    effective_due_date: date = Field(description="The due date moved off a holiday")
    principal: str
    interest: str
    fees: str
    total: str
    paid: str
    unpaid: str
    status: Literal["paid", "upcoming", "partially_paid", "in_grace", "missed", "closed"] = Field(
        description="`closed`: the loan was closed (paid off) before this installment was "
        "paid as scheduled; nothing of it is owed")


class NextDuePublic(BaseModel):
    installment_number: int
    due_date: date
    amount_due: str


class LoanPublic(BaseModel):
    loan_id: str
    status: Literal["booked", "active", "closed", "written_off", "cancelled"]
    currency: str
    principal: str
    business_date: date = Field(description="The current (open) business date")
    as_of: date = Field(description="Standing as of this closed business date")
    days_past_due: int = Field(description="As of `as_of`, from the installments' statuses")
    delinquent_since: date | None = Field(
        default=None, description="The effective due date of the oldest missed installment "
        "(`days_past_due` = `as_of` - it); null when current")
    bucket: str = Field(description="The delinquency bucket of `days_past_due` (the "
                        "configured buckets), as of `as_of`; DelinquencyChanged announces a "
                        "change at the close")
    overdue_amount: str = Field(description="Unpaid on the missed installments, as of `as_of`")
    next_due: NextDuePublic | None
    outstanding: BreakdownPublic = Field(description="Balances as the ledger last reported")
    maturity_date: date
    installments: list[InstallmentPublic]


LoanStatus = Literal["booked", "active", "closed", "written_off", "cancelled"]


class LoanSummaryPublic(BaseModel):
    """What `GET /v1/loans/{id}` says of the loan's standing, without its schedule."""

    loan_id: str
    status: LoanStatus
    currency: str
    as_of: date = Field(description="Standing as of this closed business date")
    days_past_due: int
    delinquent_since: date | None
    bucket: str
    overdue_amount: str
    next_due: NextDuePublic | None
    outstanding: BreakdownPublic = Field(description="Balances as the ledger last reported")


class LoanPagePublic(BaseModel):
    items: list[LoanSummaryPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class PayoffQuotePublic(BaseModel):
    quote_id: str
    loan_id: str
    currency: str
    as_of: date
    valid_until: date = Field(description="Pay with a value date up to this day")
    amount: BreakdownPublic
    per_diem_interest: str


class StatementLinePublic(BaseModel):
    date: date
    kind: str
    reference: str
    amount: str
    principal: str
    interest: str
    fees: str
    penalties: str
    principal_balance_after: str | None


class StatementPublic(BaseModel):
    loan_id: str
    currency: str
    period_from: date
    period_to: date
    opening_principal_balance: str
    closing_principal_balance: str
    paid_in_period: str
    days_past_due: int = Field(description="As of the last closed business date")
    bucket: str = Field(description="The delinquency bucket of `days_past_due`")
    overdue_amount: str = Field(description="Unpaid on the missed installments")
    lines: list[StatementLinePublic]
    installments_due: list[InstallmentPublic]


class DayCloseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: date = Field(description="Close every business day up to and including this one")
    allow_future_date: bool = Field(
        default=False, description="Admins only: close days later than today's date (a "
        "simulation, a test); recorded with the close")


class ClosedDayPublic(BaseModel):
    business_date: date
    next_business_date: date
    payments_missed: int
    delinquency_changes: int
    reminders: int
    matured: int
    seconds: float


class DayClosePublic(BaseModel):
    requested: date
    business_date: date | None = Field(description="The open business date afterwards")
    closed: list[ClosedDayPublic] = Field(description="Days closed by this request; empty "
                                          "when they were closed already")


class CalendarPublic(BaseModel):
    calendar_id: str
    business_date: date
    last_closed: date | None
    holidays: list[date]


class HolidayCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=100)


class HolidayPublic(BaseModel):
    date: date
    name: str
    installments_moved: int
