"""The underwriting service's /v1 routes: thin, request model -> command -> handler -> response."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from lending_platform.auth import require_operator
from lending_platform.credentials import Principal
from lending_underwriting.entrypoints.schemas import (
    DecisionPublic,
    ExposurePublic,
    ReferralDecisionCreate,
    ReferralListPublic,
    ReferralPublic,
    RerunPublic,
)
from lending_underwriting.service_layer import queries
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.referrals import DecideReferral, decide_referral

router = APIRouter(tags=["underwriting"])
Underwriter = Annotated[Principal, Depends(require_operator("underwriter"))]


def _uw(request: Request) -> Underwriting:
    uw: Underwriting = request.app.state.runtime.ports["underwriting"]
    return uw


@router.get("/referrals", response_model=ReferralListPublic)
async def list_referrals(
    request: Request, _: Underwriter,
    status: Annotated[str | None, Query(pattern="^(open|approved|declined)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReferralListPublic:
    items = await queries.referrals(_uw(request), status, limit)
    return ReferralListPublic(items=[ReferralPublic(**r.to_dict()) for r in items])


@router.post("/referrals/{referral_id}/decision", response_model=ReferralPublic)
async def decide(request: Request, referral_id: str, body: ReferralDecisionCreate,
                 underwriter: Underwriter) -> ReferralPublic:
    decided = await decide_referral(_uw(request), DecideReferral(
        referral_id, body.outcome == "approve", underwriter.id, body.note,
        tuple(body.reason_codes)))
    return ReferralPublic(**decided.to_dict())


@router.get("/decisions/{application_id}", response_model=DecisionPublic)
async def get_decision(request: Request, application_id: str,
                       _: Underwriter) -> DecisionPublic:
    return DecisionPublic(**await queries.decision(_uw(request), application_id))


@router.post("/decisions/{application_id}/rerun", response_model=RerunPublic)
async def rerun_decision(request: Request, application_id: str,
                         _: Underwriter) -> RerunPublic:
    return RerunPublic(**await queries.rerun(_uw(request), application_id))


@router.get("/exposure/{borrower_token}", response_model=ExposurePublic)
async def exposure(request: Request, borrower_token: str, _: Underwriter,
                   currency: Annotated[str, Query(pattern="^[A-Z]{3}$")] = "CNY"
                   ) -> ExposurePublic:
    found = await queries.exposure(_uw(request), borrower_token, currency)
    return ExposurePublic(borrower_token=borrower_token, currency=currency,
                          exposure=found.to_dict())
