"""Every service starts on the real PostgreSQL and Kafka with the same skeleton and answers
the same operational endpoints."""

import importlib
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from lending_platform.database import alembic_config
from lending_platform.testing import operator_headers, running

from .conftest import SERVICES

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", SERVICES)
async def test_a_service_migrates_its_own_database_and_reports_ready(name, service_app):
    app = service_app(name)
    async with running(app) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        # what serving needs: the database (and a fresh credential projection where one is
        # kept); never the broker, whose outage the outbox buffers
        checks = ready.json()["checks"]
        assert checks["database"] == "ok" and "kafka" not in checks
        assert set(checks) <= {"database", "credentials"} and set(checks.values()) == {"ok"}
        async with app.state.runtime.engine.connect() as conn:
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
            tables = set(
                (await conn.execute(text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ))).scalars()
            )
        package = Path(importlib.import_module(f"lending_{name}").__file__).parent
        scripts = ScriptDirectory.from_config(alembic_config(package / "migrations", ""))
        assert version == scripts.get_current_head()
        assert {"outbox", "inbox", "credentials"} <= tables
        assert (await client.get("/v1/ops/messaging")).status_code == 401  # operators only
        status = (await client.get("/v1/ops/messaging",
                                   headers=await operator_headers(app))).json()
        assert status["service"] == name
        assert status["outbox_pending"] == 0
        assert status["consumer_lag"] is not None


@pytest.mark.parametrize("name", SERVICES)
async def test_errors_are_problem_details_and_requests_are_correlated(name, service_app):
    async with running(service_app(name)) as client:
        missing = await client.get("/v1/no-such-thing", headers={"X-Correlation-ID": "corr-42"})
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["status"] == 404
        assert missing.headers["X-Correlation-ID"] == "corr-42"
        metrics = await client.get("/metrics")
        assert "http_requests_total" in metrics.text
        openapi = (await client.get("/openapi.json")).json()
        assert "/v1/ops/messaging" in openapi["paths"]


async def test_a_second_start_finds_the_migrations_already_applied(service_app, database_url):
    app = service_app("ledger", database_url=database_url)
    async with running(app):
        pass
    again = service_app("ledger", database_url=database_url)
    async with running(again) as client:
        assert (await client.get("/readyz")).status_code == 200
