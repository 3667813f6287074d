"""Request and response models of the /v1 API (``XCreate`` in, ``XPublic`` out)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class ReferralDecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["approve", "decline"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3,
                                           max_length=2000)] = Field(
        description="Mandatory: why the underwriter decided so (kept with the decision)")
    reason_codes: list[ReasonCode] = Field(
        default_factory=list, description="Decline reasons shown to the applicant")


class ReferralPublic(BaseModel):
    referral_id: str
    application_id: str
    queue: str
    status: str
    reason_codes: list[str]
    created_at: str
    decide_by: str
    summary: dict[str, Any]
    reviewer_id: str | None = None
    note: str | None = None
    decided_at: str | None = None


class ReferralListPublic(BaseModel):
    items: list[ReferralPublic]


class DecisionPublic(BaseModel):
    application_id: str
    decision_id: str
    outcome: str
    final_outcome: str
    model_version: str
    policy_version: str
    decided_at: str
    result: dict[str, Any] = Field(description="Score, grade, rule results, reasons, offer")
    inputs: dict[str, Any] = Field(description="Application, bureau report, exposure, as-of")
    review: dict[str, Any] | None = None


class RerunPublic(BaseModel):
    application_id: str
    same_result: bool
    differences: list[str]
    original: dict[str, Any]
    rerun: dict[str, Any]


class ExposurePublic(BaseModel):
    borrower_token: str
    currency: str
    exposure: dict[str, Any]
