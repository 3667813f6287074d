"""Payment reversals on the ops API: a servicer asks; above the configured amount another
operator approves or rejects (maker-checker); who asked and who decided are kept with the
reversal and carried by PaymentReversed."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from lending_ledger.domain.contract import format_minor
from lending_ledger.domain.errors import LedgerDomainError, ReversalApprovalError
from lending_ledger.entrypoints import schemas
from lending_ledger.entrypoints.routes import Reader, _not_found, _runtime, get_loan
from lending_ledger.service_layer import reversals
from lending_ledger.service_layer.ledger import UnknownLoanError
from lending_ledger.service_layer.queries import exponent_of
from lending_messaging.transient import retry_transient
from lending_platform.auth import require_operator
from lending_platform.credentials import Principal
from lending_platform.problems import ProblemError

router = APIRouter(tags=["payment reversals"])
Servicer = Annotated[Principal, Depends(require_operator("servicer"))]


@router.post("/ops/loans/{loan_id}/payments/{payment_id}/reversal",
             response_model=schemas.ReversalPublic, status_code=201, responses={
                 202: {"model": schemas.ReversalPublic,
                       "description": "Above the approval amount: awaits a second operator"}})
async def reverse_payment(
    loan_id: str, payment_id: str, body: schemas.ReversalCreate, request: Request,
    response: Response, operator: Servicer,
) -> schemas.ReversalPublic:
    """Reverses an applied payment (bounce, chargeback, correction): its split is undone by a
    new event and later payments are re-allocated; nothing is edited. Above the configured
    amount (`LEDGER_REVERSAL_APPROVAL_ABOVE`) it only asks: 202, and another operator
    approves it (`POST /v1/ops/reversals/{reversal_id}/approve`). The same `reversal_id`
    again returns the first request."""
    runtime = _runtime(request)
    command = reversals.RequestReversal(
        loan_id, payment_id, body.reason, body.reversal_id or f"rev-{uuid.uuid4().hex[:16]}",
        by=operator.id)

    async def ask() -> Any:
        async with runtime.sessions() as session, session.begin():
            return await reversals.request_reversal(
                session, runtime.ports["ledger"], runtime.ports["reversal_thresholds"],
                command)

    row = await _reversal_call(ask, loan_id)
    if row.status == reversals.AWAITING_APPROVAL:
        response.status_code = 202
    return await _reversal_public(row, request, operator)


@router.get("/ops/reversals", response_model=schemas.ReversalPage)
async def list_reversals(
    request: Request, _: Reader,
    status: Annotated[str | None, Query(
        pattern="^(awaiting_approval|reversed|rejected)$")] = "awaiting_approval",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> schemas.ReversalPage:
    """The approvers' queue: reversals awaiting a second operator, oldest first."""
    async with _runtime(request).sessions() as session:
        rows = await reversals.list_reversals(session, status, limit)
    return schemas.ReversalPage(items=[_reversal_fields(r) for r in rows])


@router.post("/ops/reversals/{reversal_id}/approve", response_model=schemas.ReversalPublic)
async def approve_reversal(reversal_id: str, body: schemas.ReversalDecisionCreate,
                           request: Request, operator: Servicer) -> schemas.ReversalPublic:
    """Maker-checker: never by the operator who asked. Reverses the payment (its
    PaymentReversed names both). Repeating it is a no-op."""
    return await _decide(request, reversal_id, body, operator, approve=True)


@router.post("/ops/reversals/{reversal_id}/reject", response_model=schemas.ReversalPublic)
async def reject_reversal(reversal_id: str, body: schemas.ReversalDecisionCreate,
                          request: Request, operator: Servicer) -> schemas.ReversalPublic:
    return await _decide(request, reversal_id, body, operator, approve=False)


async def _decide(request: Request, reversal_id: str, body: schemas.ReversalDecisionCreate,
                  operator: Principal, *, approve: bool) -> schemas.ReversalPublic:
    runtime = _runtime(request)
    command = reversals.DecideReversal(reversal_id, approve, operator.id, body.note)

    async def decide() -> Any:
        async with runtime.sessions() as session, session.begin():
            return await reversals.decide_reversal(session, runtime.ports["ledger"], command)

    row = await _reversal_call(decide, None)
    return await _reversal_public(row, request, operator)


async def _reversal_call(call: Callable[[], Awaitable[Any]], loan_id: str | None) -> Any:
    try:
        return await retry_transient(call, what="payment reversal")
    except UnknownLoanError:
        raise _not_found(loan_id or "") from None
    except reversals.ReversalNotFoundError as exc:
        raise ProblemError(404, str(exc), code="reversal-not-found") from None
    except ReversalApprovalError as exc:
        raise ProblemError(403, str(exc), code="maker-checker") from None
    except LedgerDomainError as exc:
        raise ProblemError(409, str(exc), code="reversal-refused") from exc


def _reversal_fields(row: Any) -> schemas.ReversalPublic:
    data = {k: getattr(row, k) for k in schemas.ReversalPublic.model_fields
            if k not in ("amount", "loan")}
    return schemas.ReversalPublic(**data, amount=format_minor(row.amount,
                                                              exponent_of(row.currency)))


async def _reversal_public(row: Any, request: Request,
                           operator: Principal) -> schemas.ReversalPublic:
    public = _reversal_fields(row)
    if row.status == "reversed":
        public.loan = await get_loan(row.loan_id, request, operator, None)
    return public
