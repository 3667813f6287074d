"""Recovery plans on the ops API: a collector proposes, someone else with an approver role
(recovery.toml) approves or rejects; only the approval asks the ledger (RestructureRequested
or WriteOffRequested). Who, when and why of each step is in the case's audit."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from lending_collections.domain.errors import ProposalInvalidError
from lending_collections.domain.recovery import PlanTerms
from lending_collections.entrypoints.errors import domain_errors
from lending_collections.entrypoints.schemas import (
    DecisionCreate,
    ProposalCreate,
    ProposalPage,
    ProposalPublic,
)
from lending_collections.service_layer import recovery
from lending_collections.service_layer.context import CollectionsContext
from lending_events import to_minor_units
from lending_events.money import MoneyFormatError
from lending_platform.auth import require_operator
from lending_platform.credentials import Principal

router = APIRouter(tags=["recovery plans"])
Collector = Annotated[Principal, Depends(require_operator("collector"))]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


def _ctx(request: Request) -> CollectionsContext:
    ctx: CollectionsContext = request.app.state.runtime.ports["collections"]
    return ctx


async def _public(ctx: CollectionsContext, proposal_id: str) -> ProposalPublic:
    async with ctx.sessions() as session:
        return ProposalPublic.of(await recovery.proposal_row(session, proposal_id))


def _minor(field: str, amount: Decimal | None, currency: str) -> int:
    if amount is None:
        return 0
    try:
        return to_minor_units(amount, currency)
    except MoneyFormatError as exc:
        raise ProposalInvalidError(field, str(exc)) from exc


@router.post("/cases/{case_id}/proposals", response_model=ProposalPublic, status_code=201)
async def propose(request: Request, case_id: str, body: ProposalCreate, collector: Collector,
                  idempotency_key: IdempotencyKey = None) -> ProposalPublic:
    """Records the plan; nothing goes to the ledger until it is approved. A retry with the
    same Idempotency-Key returns the first proposal."""
    ctx = _ctx(request)
    with domain_errors():
        async with ctx.sessions() as session, session.begin():
            currency = await recovery.currency_of_case(session, case_id)
            terms = PlanTerms(
                effective_date=body.effective_date, new_annual_rate=body.new_annual_rate,
                new_installment_count=body.new_installment_count,
                new_frequency=body.new_frequency.value if body.new_frequency else None,
                first_due_date=body.first_due_date, capitalize_arrears=body.capitalize_arrears,
                waive_minor=_minor("waive_amount", body.waive_amount, currency),
                settlement_minor=None if body.settlement_amount is None
                else _minor("settlement_amount", body.settlement_amount, currency))
            proposal = await recovery.propose(
                session, ctx.policy, case_id, kind=body.kind, terms=terms, by=collector.id,
                why=body.reason, idempotency_key=idempotency_key)
        return await _public(ctx, proposal.proposal_id)


@router.get("/proposals", response_model=ProposalPage)
async def list_proposals(
    request: Request, collector: Collector,
    status: Annotated[str | None, Query(
        pattern=r"^(proposed|approved|rejected|withdrawn)$")] = "proposed",
    case_id: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ProposalPage:
    """The approver's queue: pending proposals (restructures and write-off
    recommendations), oldest first."""
    async with _ctx(request).sessions() as session:
        rows = await recovery.list_proposals(session, status=status, case_id=case_id,
                                             limit=limit)
    return ProposalPage(items=[ProposalPublic.of(r) for r in rows])


@router.get("/proposals/{proposal_id}", response_model=ProposalPublic)
async def get_proposal(request: Request, proposal_id: str,
                       collector: Collector) -> ProposalPublic:
    with domain_errors():
        return await _public(_ctx(request), proposal_id)


async def _decide(request: Request, proposal_id: str, body: DecisionCreate,
                  operator: Principal, approve: bool) -> ProposalPublic:
    ctx = _ctx(request)
    with domain_errors():
        async with ctx.sessions() as session, session.begin():
            await recovery.decide(session, ctx.policy, proposal_id, approve=approve,
                                  by=operator.id, role=operator.role, why=body.reason)
        return await _public(ctx, proposal_id)


@router.post("/proposals/{proposal_id}/approve", response_model=ProposalPublic)
async def approve(request: Request, proposal_id: str, body: DecisionCreate,
                  collector: Collector) -> ProposalPublic:
    """Maker-checker: never the proposer; the role must be one the approval rules name.
    Publishes RestructureRequested or WriteOffRequested. Repeating it is a no-op."""
    return await _decide(request, proposal_id, body, collector, approve=True)


@router.post("/proposals/{proposal_id}/reject", response_model=ProposalPublic)
async def reject(request: Request, proposal_id: str, body: DecisionCreate,
                 collector: Collector) -> ProposalPublic:
    return await _decide(request, proposal_id, body, collector, approve=False)
