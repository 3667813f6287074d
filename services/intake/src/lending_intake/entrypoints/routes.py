"""The intake service's /v1 routes: thin, request model -> command -> handler -> response."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse

from lending_intake.adapters import repository
from lending_intake.entrypoints import examples as ex
from lending_intake.entrypoints.schemas import (
    AcceptanceCreate,
    Accepted,
    ApplicationCreate,
    ApplicationPage,
    ApplicationPublic,
    DocumentsCreate,
    ProductList,
    WebhookDeliveryPage,
    WithdrawalCreate,
)
from lending_intake.entrypoints.views import application_public, catalogue_public, delivery_public
from lending_intake.service_layer import applications as handlers
from lending_intake.service_layer.context import IntakeContext
from lending_platform.auth import PartnerPrincipal
from lending_platform.openapi_examples import documented, examples
from lending_platform.problems import ProblemError

router = APIRouter(tags=["intake"])
Status = Literal["submitted", "documents_pending", "under_review", "referred", "approved",
                 "declined", "offer_accepted", "disbursed", "disbursement_failed", "withdrawn",
                 "expired"]
IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$",
    description="Unique per application you mean to create, e.g. a UUID")]
AppId = Annotated[str, Query(min_length=1, max_length=64)]
# Every partner call may meet these; a route adds the ones its input and state can cause.
PROBLEMS: dict[int | str, dict[str, Any]] = {s: {"description": d} for s, d in {
    401: "Missing, unknown or revoked API key", 403: "Not a partner key",
    429: "Rate limit exceeded; see Retry-After",
    503: "Keys cannot be checked or the database is unreachable for a moment; see "
    "Retry-After"}.items()}
INVALID = {**PROBLEMS, 422: {"description": "Invalid request; `errors` lists every field "
                                            "by path"}}
NOT_FOUND = {**INVALID, 404: {"description": "No such application for this partner"}}
ON_APPLICATION = {**NOT_FOUND, 409: {"description": "Conflicts with the application's "
                                                    "current state"}}
APPLICATION_TAKEN = {"approved": ("The offer, with its cost and schedule", ex.APPROVED)}


def _ctx(request: Request) -> IntakeContext:
    ctx: IntakeContext = request.app.state.runtime.ports["intake"]
    return ctx


async def _view(request: Request, partner_id: str, app_id: str) -> ApplicationPublic:
    ctx = _ctx(request)
    async with ctx.sessions() as session:
        found = await repository.get_application(session, app_id, partner_id=partner_id)
    if found is None:
        raise ProblemError(404, "No such application.", code="not-found")
    return application_public(found[1], ctx.clock())


@router.get("/products", response_model=ProductList, responses=documented(
    PROBLEMS, 200, {"catalogue": ("The catalogue (one product shown)", ex.PRODUCTS)}))
async def list_products(request: Request, partner: PartnerPrincipal) -> ProductList:
    """The product catalogue: limits, frequencies, fees, documents and security required."""
    return catalogue_public(_ctx(request).catalogue)


@router.post("/applications", status_code=202, response_model=Accepted, responses=documented(
    INVALID, 202, {"submitted": ("Accepted for underwriting", ex.ACCEPTED)},
    problems_shown={422: [ex.INVALID_APPLICATION, ex.KEY_REUSED]}))
async def submit_application(
    request: Request, partner: PartnerPrincipal,
    body: Annotated[ApplicationCreate, Body(openapi_examples=examples({
        "personal": ("Unsecured personal credit", ex.APPLICATION),
        "guaranteed": ("A micro-business loan with a guarantor", ex.GUARANTEED)}))],
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """Submit an application. Repeating a request with the same Idempotency-Key and body
    returns the original response (`Idempotent-Replayed: true`); another body is a 422."""
    result = await handlers.submit_application(_ctx(request), handlers.SubmitApplication(
        partner.id, idempotency_key, body.model_dump(mode="json")))
    headers = {"Location": result.response["location"]}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(result.response, status_code=result.status_code, headers=headers)


@router.get("/applications", response_model=ApplicationPage, responses=documented(
    INVALID, 200, {"page": ("Newest first", ex.PAGE)},
    problems_shown={422: [ex.bad_cursor("/v1/applications")]}))
async def list_applications(
    request: Request, partner: PartnerPrincipal,
    status: Annotated[list[Status] | None, Query()] = None,
    product_code: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ApplicationPage:
    ctx = _ctx(request)
    try:
        async with ctx.sessions() as session:
            rows, next_cursor = await repository.list_applications(
                session, partner.id, statuses=list(status or []), product_code=product_code,
                cursor=cursor, limit=limit)
    except ValueError as exc:
        raise ProblemError(422, "The cursor is not one this API returned.",
                           code="validation-error",
                           errors=[{"field": "query.cursor", "message": str(exc)}]) from exc
    now = ctx.clock()
    return ApplicationPage(items=[application_public(r, now) for r in rows],
                           next_cursor=next_cursor)


@router.get("/applications/{application_id}", response_model=ApplicationPublic,
            responses=documented(NOT_FOUND, 200, {
                **APPLICATION_TAKEN,
                "documents_pending": ("Waiting for a document", ex.DOCUMENTS_PENDING),
                "declined": ("Declined, with its reasons", ex.DECLINED)},
                problems_shown={404: [ex.NOT_YOURS]}))
async def get_application(
    request: Request, application_id: str, partner: PartnerPrincipal,
) -> ApplicationPublic:
    """Status, decision with reasons, and the offer with its full cost and schedule."""
    return await _view(request, partner.id, application_id)


@router.post("/applications/{application_id}/documents", response_model=ApplicationPublic,
             responses=documented(ON_APPLICATION, 200, APPLICATION_TAKEN,
                                  problems_shown={409: [ex.DECIDED]}))
async def add_documents(
    request: Request, application_id: str, partner: PartnerPrincipal,
    body: Annotated[DocumentsCreate, Body(openapi_examples=examples({
        "income_proof": ("The missing income proof", ex.DOCUMENTS)}))],
) -> ApplicationPublic:
    """Documents that arrive after submission (a newer one of a type replaces the older)."""
    await handlers.add_documents(_ctx(request), partner.id, application_id,
                                 body.model_dump(mode="json")["documents"])
    return await _view(request, partner.id, application_id)


@router.post("/applications/{application_id}/offer/acceptance",
             response_model=ApplicationPublic, responses=documented(
                 ON_APPLICATION, 200, {"signed": ("The offer is signed", ex.SIGNED)},
                 problems_shown={409: [ex.OFFER_EXPIRED, ex.OFFER_SUPERSEDED]}))
async def accept_offer(
    request: Request, application_id: str, partner: PartnerPrincipal,
    body: Annotated[AcceptanceCreate, Body(openapi_examples=examples({
        "signature": ("The borrower's e-signature", ex.ACCEPTANCE)}))],
) -> ApplicationPublic:
    """The borrower's e-signature of the offer as disclosed; 409 if expired or superseded."""
    await handlers.accept_offer(_ctx(request), partner.id, application_id,
                                body.model_dump(mode="json"))
    return await _view(request, partner.id, application_id)


@router.post("/applications/{application_id}/withdrawal", response_model=ApplicationPublic,
             responses=documented(ON_APPLICATION, 200, {
                 "withdrawn": ("Withdrawn", ex.WITHDRAWN)}, problems_shown={
                     409: [ex.DISBURSED]}))
async def withdraw(
    request: Request, application_id: str, partner: PartnerPrincipal,
    body: Annotated[WithdrawalCreate, Body(openapi_examples=examples({
        "borrower": ("The borrower changed their mind", ex.WITHDRAWAL)}))],
) -> ApplicationPublic:
    """Withdraw before disbursement; 409 once the loan is disbursed or decided against."""
    await handlers.withdraw(_ctx(request), partner.id, application_id, body.reason)
    return await _view(request, partner.id, application_id)


@router.get("/webhook-deliveries", response_model=WebhookDeliveryPage, responses=documented(
    INVALID, 200, {"delivered": ("One delivery, delivered", ex.DELIVERIES)},
    problems_shown={422: [ex.bad_cursor("/v1/webhook-deliveries")]}))
async def list_webhook_deliveries(
    request: Request, partner: PartnerPrincipal,
    application_id: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> WebhookDeliveryPage:
    """Every webhook we sent or will retry, newest first, with its attempts and last error."""
    try:
        async with _ctx(request).sessions() as session:
            rows, next_cursor = await repository.list_webhook_deliveries(
                session, partner.id, application_id=application_id, state=state,
                cursor=cursor, limit=limit)
    except ValueError as exc:
        raise ProblemError(422, "The cursor is not one this API returned.",
                           code="validation-error",
                           errors=[{"field": "query.cursor", "message": str(exc)}]) from exc
    return WebhookDeliveryPage(items=[delivery_public(r) for r in rows], next_cursor=next_cursor)


