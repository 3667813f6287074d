"""Request and response models of the ops API (`XCreate` in, `XPublic` out)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lending_events import Amount, CurrencyCode, from_minor_units
from lending_events.money import Rate
from lending_events.vocabulary import CollectionStage, ReasonCode, RepaymentFrequency

Note = Field(min_length=1, max_length=500, description="Why: kept in the case's audit")


class RequestBody(BaseModel):
    """A request body: a field this API does not know is refused (422 naming it), never
    silently dropped (``capitalise_arrears`` for ``capitalize_arrears`` would otherwise
    approve a plan without what the collector meant)."""

    model_config = ConfigDict(extra="forbid")


class AssignmentCreate(RequestBody):
    assignee: str = Field(min_length=1, max_length=64)
    reason: str = Note


class ContactCreate(RequestBody):
    channel: str = Field(pattern=r"^(call|sms|email|visit|letter)$")
    outcome: ReasonCode = Field(description="e.g. contacted, no_answer, promise_made, refused")
    stage: CollectionStage = CollectionStage.CALL
    reason: str = Note


class PromiseCreate(RequestBody):
    amount: Amount
    currency: CurrencyCode
    promised_date: date
    reason: str = Note


class ClassificationPublic(BaseModel):
    asset_class: str
    ifrs9_stage: int
    rules_version: str | None
    restructured: bool


class CasePublic(BaseModel):
    case_id: str
    loan_id: str
    status: str
    opened_on: date
    closed_on: date | None
    resolution: str | None
    days_past_due: int
    bucket: str
    stage: str
    strategy: str
    assigned_to: str | None
    next_action_on: date | None
    product_code: str
    partner_id: str
    currency: str
    outstanding_principal: str
    overdue_amount: str
    recovered_amount: str
    classification: ClassificationPublic

    @classmethod
    def of(cls, row: Any) -> CasePublic:
        def money(minor: int) -> str:
            return format(from_minor_units(minor, row.currency), "f")

        return cls(
            case_id=row.case_id, loan_id=row.loan_id, status=row.status,
            opened_on=row.opened_on, closed_on=row.closed_on, resolution=row.resolution,
            days_past_due=row.days_past_due, bucket=row.bucket, stage=row.stage,
            strategy=row.strategy_id, assigned_to=row.assigned_to,
            next_action_on=row.next_action_on, product_code=row.product_code,
            partner_id=row.partner_id, currency=row.currency,
            outstanding_principal=money(row.outstanding_principal),
            overdue_amount=money(row.overdue), recovered_amount=money(row.paid_since_open),
            classification=ClassificationPublic(
                asset_class=row.asset_class, ifrs9_stage=row.ifrs9_stage,
                rules_version=row.classification_version, restructured=row.restructured))


class CasePage(BaseModel):
    items: list[CasePublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class ActionPublic(BaseModel):
    action_id: str
    kind: str
    code: str | None
    stage: str | None
    business_date: date
    performed_by: str
    performed_at: datetime
    reason: str
    strategy_version: str | None
    delivery_status: str | None
    details: dict[str, Any]


class PromisePublic(BaseModel):
    promise_id: str
    case_id: str
    currency: str
    amount: str
    paid: str
    promised_date: date
    recorded_on: date | None = None
    recorded_by: str | None = None
    status: str


class CaseDetailPublic(CasePublic):
    actions: list[ActionPublic]
    promises: list[PromisePublic]


class ContactPublic(BaseModel):
    action_id: str
    case_id: str


class ProposalCreate(RequestBody):
    """A recovery plan for the case; parameters left out keep the loan's current terms."""

    kind: str = Field(pattern=r"^(reschedule|term_extension|payment_holiday|rate_change"
                      r"|settlement)$")
    effective_date: date
    new_annual_rate: Rate | None = Field(default=None, ge=0, le=1)
    new_installment_count: int | None = Field(default=None, ge=1, le=600)
    new_frequency: RepaymentFrequency | None = None
    first_due_date: date | None = None
    capitalize_arrears: bool = False
    waive_amount: Amount | None = Field(default=None, ge=0, description="Forgiven, in the "
                                        "loan's currency; none when left out")
    settlement_amount: Amount | None = Field(default=None, gt=0)
    reason: str = Note


class DecisionCreate(RequestBody):
    reason: str = Note


class ProposalPublic(BaseModel):
    proposal_id: str
    case_id: str
    loan_id: str
    kind: str
    status: str
    currency: str
    waive_amount: str
    forgone_interest: str = Field(description="Interest a rate cut gives up over the new "
                                  "schedule; with waive_amount it chose the approvers")
    terms: dict[str, Any]
    approver_roles: list[str]
    rules_version: str
    proposed_by: str
    proposed_on: date
    proposed_at: datetime
    reason: str
    decided_by: str | None
    decided_on: date | None
    decided_at: datetime | None
    decision_reason: str | None
    request_id: str | None = Field(description="The RestructureRequested / WriteOffRequested "
                                   "request id, once approved")

    @classmethod
    def of(cls, row: Any) -> ProposalPublic:
        money = ("waive_amount", "forgone_interest")
        data = {k: getattr(row, k) for k in cls.model_fields if k not in money}
        return cls(**data, **{k: format(from_minor_units(getattr(row, k), row.currency), "f")
                              for k in money})


class ProposalPage(BaseModel):
    items: list[ProposalPublic]
