"""Every request leaves one access log line naming the principal, the route template, the
status and the duration, and never the path's values nor the query string."""

import logging
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request

from lending_platform.access_log import AccessLogMiddleware, remember_principal
from lending_platform.credentials import Principal
from lending_platform.logs import JsonFormatter

OPERATOR = Principal(id="ops-9", kind="operator", name="Jane Doe", role="servicer", key_id="k1")


async def who(request: Request) -> Principal:
    remember_principal(request, OPERATOR)
    return OPERATOR


def _app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(AccessLogMiddleware)
    router = APIRouter()  # included under /v1, as build_app does

    @router.get("/loans/{loan_id}")
    async def loan(loan_id: str, _: Annotated[Principal, Depends(who)]) -> dict[str, str]:
        return {"loan_id": loan_id}

    @router.get("/public")
    async def public() -> dict[str, str]:
        return {}

    v1 = APIRouter(prefix="/v1")
    v1.include_router(router)
    app.include_router(v1)
    return app


async def _get(path: str, **params: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path, params=params)


async def test_a_request_leaves_a_line_with_principal_route_status_and_duration(caplog):
    caplog.set_level(logging.INFO, logger="lending.access")
    await _get("/v1/loans/loan-secret-42", national_id="19800101-1234")
    [record] = [r for r in caplog.records if r.name == "lending.access"]
    access = record.fields["access"]  # type: ignore[attr-defined]
    assert access["route"] == "/v1/loans/{loan_id}" and access["status"] == 200
    assert (access["principal_id"], access["principal_kind"], access["role"]) == (
        "ops-9", "operator", "servicer")
    assert access["duration_ms"] >= 0
    line = JsonFormatter("test").format(record)
    for private in ("loan-secret-42", "19800101", "national_id", "Jane Doe"):
        assert private not in line


async def test_an_anonymous_or_unknown_route_is_logged_too(caplog):
    caplog.set_level(logging.INFO, logger="lending.access")
    await _get("/v1/public")
    await _get("/nowhere/at/all")
    lines = [r.fields["access"] for r in caplog.records  # type: ignore[attr-defined]
             if r.name == "lending.access"]
    assert [(a["route"], a["status"], a["principal_id"]) for a in lines] == [
        ("/v1/public", 200, None), ("unmatched", 404, None)]


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
async def test_probes_are_logged_only_at_debug(caplog, path):
    app = FastAPI()
    app.add_middleware(AccessLogMiddleware)
    app.get(path)(lambda: {})
    caplog.set_level(logging.INFO, logger="lending.access")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.get(path)
    assert not [r for r in caplog.records if r.name == "lending.access"]
