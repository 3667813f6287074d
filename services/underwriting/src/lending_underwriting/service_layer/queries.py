"""Reads for the API: stored decisions (and their re-run), referrals, exposure."""

from __future__ import annotations

from typing import Any

from lending_underwriting.domain.decision import DecisionInputs, decide
from lending_underwriting.domain.errors import DecisionNotFoundError
from lending_underwriting.domain.model import BorrowerExposure
from lending_underwriting.domain.policy import parse_policy_book
from lending_underwriting.domain.referral import Referral
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.ports import StoredDecision


async def _stored(uw: Underwriting, application_id: str) -> StoredDecision:
    async with uw.transactions() as tx:
        stored = await tx.store.decision(application_id)
    if stored is None:
        raise DecisionNotFoundError(application_id)
    return stored


async def decision(uw: Underwriting, application_id: str) -> dict[str, Any]:
    s = await _stored(uw, application_id)
    return {"application_id": s.application_id, "decision_id": s.decision_id,
            "outcome": s.outcome, "final_outcome": s.final_outcome,
            "model_version": s.model_version, "policy_version": s.policy_version,
            "decided_at": s.decided_at.isoformat(), "result": s.result, "inputs": s.inputs,
            "review": s.review}


async def rerun(uw: Underwriting, application_id: str) -> dict[str, Any]:
    """Decides again from the stored inputs with the stored policy snapshot and the model
    version that decided: the result must be the same, field for field."""
    s = await _stored(uw, application_id)
    book = parse_policy_book({k: v for k, v in s.policy.items() if k != "version"})
    again = decide(DecisionInputs.from_dict(s.inputs), book, uw.models.get(s.model_version))
    result = again.to_dict()
    result["policy_version"] = s.result["policy_version"]  # the snapshot is one product only
    differences = sorted(k for k in set(result) | set(s.result)
                         if result.get(k) != s.result.get(k))
    return {"application_id": application_id, "same_result": not differences,
            "differences": differences, "original": s.result, "rerun": result}


async def referrals(uw: Underwriting, status: str | None, limit: int) -> list[Referral]:
    async with uw.transactions() as tx:
        return await tx.store.referrals(status, limit)


async def exposure(uw: Underwriting, borrower_token: str, currency: str) -> BorrowerExposure:
    async with uw.transactions() as tx:
        return await tx.store.exposure(borrower_token, currency, uw.clock())
