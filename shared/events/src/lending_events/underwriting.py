"""Events published by underwriting (topic lending.underwriting.v1)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from lending_events.base import LoanEvent, known_codes
from lending_events.money import Rate
from lending_events.reasons import DecisionReason
from lending_events.terms import ContractTerms
from lending_events.vocabulary import DecisionMode, Identifier, ReasonCode

REASONS = known_codes(DecisionReason)
RiskGrade = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9+-]{0,3}$")]


class UnderwritingEvent(LoanEvent):
    producer = "underwriting"


class ScoreComputed(UnderwritingEvent):
    """The scorecard scored an application (every application is scored and explained)."""

    score_id: Identifier
    model_version: str = Field(min_length=1)
    score: int
    probability_of_default: Rate = Field(description="12-month probability of default, 0..1")
    risk_grade: RiskGrade
    reason_codes: list[ReasonCode] = Field(
        default_factory=list, description="Main factors lowering the score, strongest first"
    )
    bureau_report_ref: str | None = None


class LoanApproved(UnderwritingEvent):
    """Approved with complete contract terms: the offer the borrower sees and the ledger books."""

    decision_id: Identifier
    applicant_id: Identifier
    partner_id: Identifier
    score_id: Identifier | None = None
    risk_grade: RiskGrade
    decision_mode: DecisionMode
    reviewer_id: Identifier | None = None
    reason_codes: list[ReasonCode] = Field(default_factory=list, description=REASONS)
    terms: ContractTerms
    offer_expires_at: AwareDatetime


class ApplicationDeclined(UnderwritingEvent):
    """Declined, with the reasons the partner must show the applicant."""

    decision_id: Identifier
    applicant_id: Identifier
    partner_id: Identifier
    score_id: Identifier | None = None
    decision_mode: DecisionMode
    reviewer_id: Identifier | None = None
    reason_codes: list[ReasonCode] = Field(min_length=1, description=REASONS)
    reapply_after: AwareDatetime | None = None


class ApplicationReferred(UnderwritingEvent):
    """Sent to a human underwriter's queue; a LoanApproved or ApplicationDeclined follows."""

    referral_id: Identifier
    applicant_id: Identifier
    partner_id: Identifier
    score_id: Identifier | None = None
    queue: Identifier
    reason_codes: list[ReasonCode] = Field(min_length=1, description=REASONS)
    decide_by: AwareDatetime = Field(description="Service-level deadline for the decision")


EVENTS = (ScoreComputed, LoanApproved, ApplicationDeclined, ApplicationReferred)
