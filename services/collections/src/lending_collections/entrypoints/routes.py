"""The collections service's /v1 routes: thin, request model -> command -> handler -> response.

Every route needs a collector (or admin) operator key; who did it is the key's principal.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from lending_collections.entrypoints.errors import domain_errors
from lending_collections.entrypoints.schemas import (
    ActionPublic,
    AssignmentCreate,
    CaseDetailPublic,
    CasePage,
    CasePublic,
    ContactCreate,
    ContactPublic,
    PromiseCreate,
    PromisePublic,
)
from lending_collections.service_layer import cases as commands
from lending_collections.service_layer import queries
from lending_collections.service_layer.context import CollectionsContext
from lending_events import from_minor_units
from lending_platform.auth import require_operator
from lending_platform.credentials import Principal
from lending_platform.problems import ProblemError

router = APIRouter(tags=["collections"])
Collector = Annotated[Principal, Depends(require_operator("collector"))]


def _ctx(request: Request) -> CollectionsContext:
    ctx: CollectionsContext = request.app.state.runtime.ports["collections"]
    return ctx


@router.get("/cases", response_model=CasePage)
async def list_cases(
    request: Request, collector: Collector,
    status: Annotated[str | None, Query(pattern=r"^(open|closed)$")] = "open",
    bucket: str | None = None, assignee: str | None = None,
    due_by: Annotated[date | None, Query(description="Next action due on or before")] = None,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CasePage:
    async with _ctx(request).sessions() as session:
        rows = await queries.list_cases(session, queries.CaseFilter(
            status, bucket, assignee, due_by, cursor, limit))
    items = [CasePublic.of(r) for r in rows]
    return CasePage(items=items,
                    next_cursor=items[-1].case_id if len(items) == limit else None)


@router.get("/cases/{case_id}", response_model=CaseDetailPublic)
async def get_case(request: Request, case_id: str, collector: Collector) -> CaseDetailPublic:
    async with _ctx(request).sessions() as session:
        found = await queries.case_detail(session, case_id)
    if found is None:
        raise ProblemError(404, f"no case {case_id}", code="case-not-found")
    row, actions, promises = found
    return CaseDetailPublic(
        **CasePublic.of(row).model_dump(),
        actions=[ActionPublic.model_validate(a, from_attributes=True) for a in actions],
        promises=[_promise(p) for p in promises])


@router.post("/cases/{case_id}/assignment", response_model=CasePublic)
async def assign_case(request: Request, case_id: str, body: AssignmentCreate,
                      collector: Collector) -> CasePublic:
    ctx = _ctx(request)
    with domain_errors():
        async with ctx.sessions() as session, session.begin():
            await commands.assign(session, ctx.policy, case_id, assignee=body.assignee,
                                  by=collector.id, why=body.reason)
    async with ctx.sessions() as session:
        found = await queries.case_detail(session, case_id)
    assert found is not None
    return CasePublic.of(found[0])


@router.post("/cases/{case_id}/contacts", response_model=ContactPublic, status_code=201)
async def record_contact(request: Request, case_id: str, body: ContactCreate,
                         collector: Collector) -> ContactPublic:
    """A contact an agent made; 409 when the case is closed or has had its week's contacts
    (automated and manual contacts share the strategy's `max_contacts_per_week`)."""
    ctx = _ctx(request)
    with domain_errors():
        async with ctx.sessions() as session, session.begin():
            action_id = await commands.record_contact(
                session, ctx.policy, case_id, channel=body.channel, outcome=body.outcome,
                stage=body.stage.value, by=collector.id, why=body.reason)
    return ContactPublic(action_id=action_id, case_id=case_id)


@router.post("/cases/{case_id}/promises", response_model=PromisePublic, status_code=201)
async def record_promise(request: Request, case_id: str, body: PromiseCreate,
                         collector: Collector) -> PromisePublic:
    ctx = _ctx(request)
    with domain_errors():
        async with ctx.sessions() as session, session.begin():
            promise = await commands.record_promise(
                session, ctx.policy, case_id, amount=body.amount, currency=body.currency,
                promised_date=body.promised_date, by=collector.id, why=body.reason)
    return PromisePublic(
        promise_id=promise.promise_id, case_id=promise.case_id, currency=promise.currency,
        amount=str(body.amount), paid=format(from_minor_units(0, promise.currency), "f"),
        promised_date=promise.promised_date, recorded_by=collector.id, status=promise.status)


def _promise(row: Any) -> PromisePublic:
    def money(minor: int) -> str:
        return format(from_minor_units(minor, row.currency), "f")

    return PromisePublic(
        promise_id=row.promise_id, case_id=row.case_id, currency=row.currency,
        amount=money(row.amount), paid=money(row.paid), promised_date=row.promised_date,
        recorded_on=row.recorded_on, recorded_by=row.recorded_by, status=row.status)
