"""The servicing service's /v1 routes: thin, request model -> command -> handler -> response."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from lending_platform.auth import AnyPrincipal, PartnerPrincipal, require_operator
from lending_platform.credentials import PARTNER, Principal
from lending_platform.openapi_examples import documented, examples, with_problems
from lending_platform.problems import ProblemError
from lending_servicing.entrypoints import examples as ex
from lending_servicing.entrypoints.schemas import (
    CalendarPublic,
    ClosedDayPublic,
    DayCloseCreate,
    DayClosePublic,
    HolidayCreate,
    HolidayPublic,
    LoanPagePublic,
    LoanPublic,
    PaymentAcceptedPublic,
    PaymentCreate,
    PayoffQuotePublic,
    StatementPublic,
)
from lending_servicing.entrypoints.statement_html import render_statement
from lending_servicing.entrypoints.views import (
    loan_public,
    payoff_public,
    statement_public,
    summary_public,
)
from lending_servicing.service_layer import day_close, holidays, payments, queries
from lending_servicing.service_layer.context import ServicingContext

router = APIRouter(tags=["servicing"])
admin = APIRouter(prefix="/admin", tags=["business calendar"])

IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$",
    description="Unique per payment you mean to make, e.g. a UUID")]
Closer = Annotated[Principal, Depends(require_operator("servicer"))]
Operator = Annotated[Principal, Depends(require_operator("servicer", "collector",
                                                         "underwriter"))]
PROBLEMS: dict[int | str, dict[str, Any]] = {
    s: {"description": d, "content": {"application/problem+json": {}}} for s, d in {
        401: "Missing, unknown or revoked API key", 403: "Wrong kind of key or role",
        404: "No such loan for this caller", 409: "Conflicts with the loan or the calendar",
        422: "Invalid request; `errors` lists every field"}.items()}
READS = {status: r for status, r in PROBLEMS.items() if status != 409}  # reads never conflict
ADMIN = with_problems(PROBLEMS, {403: [ex.PARTNER_KEY_ON_ADMIN]})


def _ctx(request: Request) -> ServicingContext:
    ctx: ServicingContext = request.app.state.runtime.ports["servicing"]
    return ctx


def _scope(principal: Principal) -> str | None:
    """Partners see their own loans; operators see every loan."""
    return principal.id if principal.kind == PARTNER else None


@router.post("/loans/{loan_id}/payments", status_code=202, response_model=PaymentAcceptedPublic,
             responses=documented(PROBLEMS, 202, {
                 "installment": ("An installment paid", ex.RECEIVED),
                 "payoff": ("A payoff that settles the loan", ex.SETTLING)}, problems_shown={
                 404: [ex.NOT_FOUND], 409: [ex.CLOSED, ex.WRONG_CURRENCY, ex.QUOTE_EXPIRED],
                 422: [ex.INVALID_PAYMENT, ex.KEY_REUSED]}))
async def receive_payment(
    request: Request, loan_id: str, partner: PartnerPrincipal,
    body: Annotated[PaymentCreate, Body(openapi_examples=examples({
        "installment": ("An installment", ex.PAYMENT),
        "payoff": ("A payoff against its quote", ex.PAYOFF_PAYMENT)}))],
    idempotency_key: IdempotencyKey,
) -> JSONResponse:
    """A repayment for a loan the partner originated. Repeating a request with the same
    Idempotency-Key and body returns the original answer (`Idempotent-Replayed: true`)."""
    result = await payments.receive_payment(_ctx(request), payments.ReceivePayment(
        loan_id=loan_id, principal_id=partner.id, idempotency_key=idempotency_key,
        amount=Decimal(body.amount), currency=body.currency, value_date=body.value_date,
        channel=body.channel.value, external_reference=body.external_reference,
        payoff_quote_id=body.payoff_quote_id))
    headers = {"Location": result.response["location"]}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(result.response, status_code=result.status_code, headers=headers)


@router.get("/loans", response_model=LoanPagePublic, responses=PROBLEMS)
async def list_loans(
    request: Request, operator: Operator,
    cursor: Annotated[str | None, Query(description="The last loan id of the page before")]
    = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    status: Annotated[Literal["booked", "active", "closed", "written_off", "cancelled"] | None,
                      Query()] = None,
) -> LoanPagePublic:
    """Every loan in loan id order with its standing as of the last closed business date:
    status, balances, days past due and bucket, the next due (what `GET /v1/loans/{id}`
    says, without the schedule). For operators reconciling views of the book."""
    page = await queries.loan_page(_ctx(request), cursor=cursor, limit=limit, status=status)
    return LoanPagePublic(items=[summary_public(item) for item in page.items],
                          next_cursor=page.next_cursor)


@router.get("/loans/{loan_id}", response_model=LoanPublic, responses=documented(
    READS, 200, {"current": ("Two installments paid", ex.LOAN)},
    problems_shown={404: [ex.NOT_FOUND]}))
async def get_loan(request: Request, loan_id: str, principal: AnyPrincipal) -> LoanPublic:
    """The schedule with each installment's status, the next due, days past due and the
    balances, as of the last closed business date."""
    return loan_public(await queries.loan_view(_ctx(request), loan_id, _scope(principal)))


@router.get("/loans/{loan_id}/payoff", response_model=PayoffQuotePublic, responses=documented(
    READS, 200, {"quote": ("Valid three days", ex.PAYOFF)},
    problems_shown={404: [ex.NOT_FOUND], 422: [ex.AS_OF_PAST]}))
async def get_payoff(request: Request, loan_id: str, principal: AnyPrincipal,
                     as_of: Annotated[date | None, Query()] = None) -> PayoffQuotePublic:
    """What settles the loan when paid with a value date from `as_of` (default: the current
    business date) up to `valid_until`; pass its `quote_id` with the payment."""
    return payoff_public(await queries.payoff_quote(_ctx(request), loan_id,
                                                    _scope(principal), as_of))


STATEMENT_RESPONSES = documented(READS, 200, {"january": ("January 2026", ex.STATEMENT)},
                                 problems_shown={404: [ex.NOT_FOUND], 422: [ex.BAD_PERIOD]})
STATEMENT_RESPONSES[200]["content"]["text/html"] = {}
STATEMENT_RESPONSES[200]["description"] = ("JSON, or a printable page with `format=html` or "
                                           "`Accept: text/html`")


@router.get("/loans/{loan_id}/statement", response_model=StatementPublic,
            responses=STATEMENT_RESPONSES)
async def get_statement(
    request: Request, loan_id: str, principal: AnyPrincipal,
    period_from: Annotated[date | None, Query(alias="from")] = None,
    period_to: Annotated[date | None, Query(alias="to")] = None,
    format: Annotated[Literal["json", "html"] | None, Query()] = None,
) -> Any:
    st = statement_public(await queries.statement(
        _ctx(request), loan_id, _scope(principal), period_from, period_to))
    wants_html = format == "html" or (
        format is None and "text/html" in request.headers.get("accept", ""))
    if wants_html:
        return HTMLResponse(render_statement(st))
    return st


@admin.post("/business-day/close", response_model=DayClosePublic, responses=ADMIN)
async def close_business_day(request: Request, body: DayCloseCreate,
                             operator: Closer) -> DayClosePublic:
    """Close every business day up to `as_of`, in order, each emitting BusinessDayClosed
    with who closed it. Idempotent: days already closed are skipped. `as_of` may not be later
    than today's date in the lender's time zone, unless an admin sets `allow_future_date`
    (recorded on each day so closed)."""
    if body.allow_future_date and operator.role != "admin":
        raise ProblemError(
            403, "Only an admin may close days later than today's date.", code="forbidden",
            errors=[{"field": "allow_future_date", "message": "admins only"}])
    result = await day_close.close_business_days(_ctx(request), day_close.CloseBusinessDays(
        body.as_of, by=operator.id, allow_future_date=body.allow_future_date))
    return DayClosePublic(requested=result.requested, business_date=result.business_date,
                          closed=[ClosedDayPublic(
                              business_date=d.business_date,
                              next_business_date=d.next_business_date,
                              seconds=round(d.seconds, 3), **d.counts.as_dict())
                              for d in result.closed])


@admin.get("/business-day", response_model=CalendarPublic, responses=ADMIN)
async def get_calendar(request: Request, operator: Operator) -> CalendarPublic:
    ctx = _ctx(request)
    last, upcoming = await holidays.calendar_state(ctx)
    return CalendarPublic(calendar_id=ctx.policy.calendar_id,
                          business_date=await day_close.current_business_date(ctx),
                          last_closed=last, holidays=upcoming)


@admin.put("/holidays/{day}", response_model=HolidayPublic, responses=ADMIN)
async def declare_holiday(request: Request, day: date, body: HolidayCreate,
                          operator: Closer) -> HolidayPublic:
    """Declare a future day a holiday: installments due that day fall due the next
    business day, and no close runs on it."""
    moved = await holidays.declare_holiday(_ctx(request), day, body.name, by=operator.id)
    return HolidayPublic(date=day, name=body.name, installments_moved=moved)


router.include_router(admin)
