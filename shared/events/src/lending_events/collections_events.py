"""Events published by collections (topic lending.collections.v1). Dates are business dates."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from lending_events.base import LoanEvent, known_codes
from lending_events.money import Amount, CurrencyCode, Rate
from lending_events.reasons import ActionOutcome, WarningSignal, WriteOffReason
from lending_events.vocabulary import (
    AssetClass,
    CaseResolution,
    CollectionStage,
    Identifier,
    ReasonCode,
    RepaymentFrequency,
    RestructureKind,
    Severity,
)


class CollectionsEvent(LoanEvent):
    producer = "collections"


class EarlyWarningRaised(CollectionsEvent):
    """Post-loan monitoring saw signals that predict default, before or soon after arrears."""

    warning_id: Identifier
    as_of: date
    severity: Severity
    signals: list[ReasonCode] = Field(min_length=1, description=known_codes(WarningSignal))
    days_past_due: int = Field(ge=0)


class CollectionCaseOpened(CollectionsEvent):
    """A delinquent loan entered collections with a strategy and a first stage."""

    case_id: Identifier
    opened_on: date
    days_past_due: int = Field(ge=0)
    currency: CurrencyCode
    overdue_amount: Amount
    outstanding_principal: Amount
    strategy: Identifier
    stage: CollectionStage
    classification: AssetClass
    assigned_to: Identifier | None = None


class CollectionActionTaken(CollectionsEvent):
    """A step of the strategy ladder was carried out (reminder, call, visit, demand, legal)."""

    case_id: Identifier
    action_id: Identifier
    stage: CollectionStage
    performed_on: date
    performed_by: Identifier = Field(description="Agent id, or 'system' for automated steps")
    outcome: ReasonCode = Field(description=known_codes(ActionOutcome, "Outcome"))
    next_action_on: date | None = None


class PromiseToPayRecorded(CollectionsEvent):
    """The borrower promised to pay an amount by a date."""

    case_id: Identifier
    promise_id: Identifier
    currency: CurrencyCode
    promised_amount: Amount
    promised_date: date
    recorded_on: date
    recorded_by: Identifier


class PromiseToPayKept(CollectionsEvent):
    """Payments by the promised date reached the promised amount."""

    case_id: Identifier
    promise_id: Identifier
    currency: CurrencyCode
    promised_amount: Amount
    amount_paid: Amount
    kept_on: date


class PromiseToPayBroken(CollectionsEvent):
    """The promised date passed without the promised amount."""

    case_id: Identifier
    promise_id: Identifier
    currency: CurrencyCode
    promised_amount: Amount
    amount_paid: Amount
    promised_date: date
    broken_on: date


class RestructureRequested(CollectionsEvent):
    """Collections agreed a recovery plan; the ledger recomputes the schedule and books it
    (LoanRestructured). Unset parameters keep the current terms."""

    case_id: Identifier | None = None
    request_id: Identifier
    kind: RestructureKind
    requested_on: date
    effective_date: date
    currency: CurrencyCode
    new_annual_rate: Rate | None = None
    new_installment_count: int | None = Field(default=None, ge=1)
    new_frequency: RepaymentFrequency | None = None
    first_due_date: date | None = None
    capitalize_arrears: bool = False
    waive_amount: Amount
    settlement_amount: Amount | None = Field(
        default=None, description="For a settlement: the discounted amount that closes the loan"
    )
    approved_by: Identifier
    proposed_by: Identifier | None = Field(
        default=None, description="Who proposed it (maker): a collector's principal id, or "
        "'system' for the day close's recommendation; approved_by is the checker (absent "
        "from requests before it was recorded)")


class WriteOffRequested(CollectionsEvent):
    """Policy (or an approver) decided the loan is a loss; the ledger writes it off."""

    case_id: Identifier
    request_id: Identifier
    requested_on: date
    days_past_due: int = Field(ge=0)
    reason: ReasonCode = Field(description=known_codes(WriteOffReason, "Reason"))
    approved_by: Identifier
    proposed_by: Identifier | None = Field(
        default=None, description="Who proposed it (maker): a collector's principal id, or "
        "'system' for the day close's recommendation; approved_by is the checker (absent "
        "from requests before it was recorded)")


class CollectionCaseClosed(CollectionsEvent):
    """The case ended: cured, repaid, restructured, settled or written off."""

    case_id: Identifier
    closed_on: date
    resolution: CaseResolution
    currency: CurrencyCode
    recovered_amount: Amount


EVENTS = (
    EarlyWarningRaised,
    CollectionCaseOpened,
    CollectionActionTaken,
    PromiseToPayRecorded,
    PromiseToPayKept,
    PromiseToPayBroken,
    RestructureRequested,
    WriteOffRequested,
    CollectionCaseClosed,
)
