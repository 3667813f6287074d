"""Response and request models of the ledger's API (amounts are decimal strings)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class InstallmentPublic(BaseModel):
    number: int
    due_date: date
    due: dict[str, str]
    paid: dict[str, str]
    unpaid: dict[str, str]
    settled: bool


class NextDuePublic(BaseModel):
    installment_number: int = Field(description="In the current schedule, from 1")
    due_date: date
    amount_due: str = Field(description="What is left of the installment's total, counting "
                            "what is paid toward the schedule oldest installment first")


_DPD = ("As servicing rates the loan as of `as_of` (it owns delinquency): `as_of` minus "
        "`delinquent_since`; 0 when current, closed or not disbursed")
_NEXT_DUE = ("The first installment with anything unpaid, by servicing's rule: what is paid "
             "toward the schedule counts against the installments oldest first; none once "
             "the loan is closed")
_AS_OF = "The last closed business date (servicing's day close)"


class LoanPublic(BaseModel):
    loan_id: str
    status: str
    version: int
    currency: str | None = None
    principal: str | None = None
    booked_on: date | None = None
    disbursed_on: date | None = None
    closed_on: date | None = None
    accrued_through: date | None = None
    as_of: date | None = Field(default=None, description=_AS_OF)
    days_past_due: int = Field(default=0, description=_DPD)
    delinquent_since: date | None = Field(
        default=None, description="The effective due date of the oldest missed installment, "
        "from servicing's last DelinquencyChanged")
    next_due: NextDuePublic | None = Field(default=None, description=_NEXT_DUE)
    paid_to_schedule: str | None = Field(
        default=None, description="Paid toward the current schedule as the contract states "
        "it (principal, interest, scheduled fees; late fees and penalties are not)")
    balances: dict[str, str] = Field(default_factory=dict)
    installments: list[InstallmentPublic] = Field(default_factory=list)


class LoanSummaryPublic(BaseModel):
    """The figures servicing's view of the loan must agree with, and those of the principal
    identity: disbursed + capitalized - waived - repaid - written off = balances.principal."""

    loan_id: str
    status: str
    currency: str | None
    balances: dict[str, str] = Field(description="principal, interest, fees, penalties "
                                     "receivable and their total; the principal movements")
    days_past_due: int = Field(description=_DPD)
    delinquent_since: date | None
    as_of: date | None = Field(description=_AS_OF)
    next_due: NextDuePublic | None = Field(description=_NEXT_DUE)


class LoanPagePublic(BaseModel):
    items: list[LoanSummaryPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class LoanEventPublic(BaseModel):
    position: int
    version: int
    type: str
    data: dict[str, Any]
    recorded_at: datetime


class LoanEventPage(BaseModel):
    items: list[LoanEventPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none "
                                    "on the last page")


class JournalLinePublic(BaseModel):
    account: str
    debit: str
    credit: str


class JournalEntryPublic(BaseModel):
    entry_id: int
    event_type: str
    position: int | None
    business_date: date
    currency: str
    lines: list[JournalLinePublic]


class JournalPage(BaseModel):
    items: list[JournalEntryPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; none "
                                    "on the last page")


class TrialBalanceLinePublic(BaseModel):
    account: str
    kind: str
    debit: str
    credit: str
    balance: str = Field(description="Debit minus credit")


class TrialBalanceCurrencyPublic(BaseModel):
    currency: str
    lines: list[TrialBalanceLinePublic]
    total_debit: str
    total_credit: str
    balanced: bool


class TrialBalancePublic(BaseModel):
    currencies: list[TrialBalanceCurrencyPublic]
    balanced: bool


class RefusalPublic(BaseModel):
    loan_id: str
    event_id: str
    event_type: str
    reason: str
    detail: str
    recorded_at: datetime


class ParkedAcceptancePublic(BaseModel):
    loan_id: str
    decision_id: str
    offer_id: str
    parked_at: datetime


class OpsQueuesPublic(BaseModel):
    refusals: list[RefusalPublic]
    parked: list[ParkedAcceptancePublic]


class ReversalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64,
                        description="bounced, chargeback, duplicate, operator_correction")
    reversal_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
                                    max_length=64)


class ReversalDecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=500, description="Why: kept with the reversal")


class ReversalPublic(BaseModel):
    reversal_id: str
    loan_id: str
    payment_id: str
    currency: str
    amount: str
    reason: str
    status: Literal["awaiting_approval", "reversed", "rejected"]
    requested_by: str
    requested_at: datetime
    decided_by: str | None = Field(description="The second operator who approved or "
                                   "rejected it; none when its amount needed no approval")
    decided_at: datetime | None
    note: str | None
    loan: LoanPublic | None = Field(default=None, description="The loan after the reversal, "
                                    "in the answer that reversed it")


class ReversalPage(BaseModel):
    items: list[ReversalPublic]
