"""Errors leave every service as RFC 9457 problem details that name the offending field."""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import text

from lending_platform.database import create_engine
from lending_platform.problems import ProblemError, install_problem_handlers


class ApplicationCreate(BaseModel):
    amount: str = Field(pattern=r"^\d+\.\d{2}$")
    term: int = Field(ge=1)


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/v1/applications")
    async def create(body: ApplicationCreate) -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/v1/loans/{loan_id}")
    async def loan(loan_id: str) -> dict[str, str]:
        raise ProblemError(409, f"loan {loan_id} is not active", code="loan-not-active")

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/v1/ledger-down")
    async def ledger_down() -> None:  # a database nothing listens for (a restart)
        engine = create_engine("postgresql+asyncpg://u:p@127.0.0.1:9/none")
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    @app.get("/v1/partner-down")
    async def partner_down() -> None:  # a socket error that is not the database's
        raise ConnectionRefusedError(111, "Connection refused")

    return app


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_a_validation_error_names_each_bad_field(client):
    response = await client.post("/v1/applications", json={"amount": "12.5", "term": 0})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/validation-error")
    assert {e["field"] for e in body["errors"]} == {"amount", "term"}
    assert "amount" in body["detail"] and "term" in body["detail"]


async def test_a_domain_problem_keeps_its_status_code_and_detail(client):
    body = (await client.get("/v1/loans/L1")).json()
    assert body == {
        "type": "/problems/loan-not-active",
        "title": "Conflict",
        "status": 409,
        "detail": "loan L1 is not active",
        "instance": "/v1/loans/L1",
    }


async def test_an_unexpected_error_is_a_500_problem_without_internals(client):
    response = await client.get("/v1/boom")
    assert response.status_code == 500
    assert "secret" not in response.text
    assert response.json()["type"].endswith("/internal-error")


async def test_a_database_that_is_away_answers_503_with_retry_after_and_no_traceback(
        client, caplog):
    r = await client.get("/v1/ledger-down")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "2"
    assert r.json()["type"].endswith("/database-unavailable")
    assert not any(rec.exc_info for rec in caplog.records)  # an outage, not a bug
    other = await client.get("/v1/partner-down")
    assert other.status_code == 500  # only the driver's socket errors are the database's


async def test_the_server_sees_no_exception_when_the_database_is_away():
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as strict:
        response = await strict.get("/v1/ledger-down")  # raised again, it would fail here
    assert response.status_code == 503
