"""schemathesis against intake's own OpenAPI: whatever it sends, no 5xx, and every error is
an RFC 9457 problem document. Bounded (few examples per operation) to keep the suite fast."""

import asyncio
import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from lending_intake.config import Settings
from lending_intake.entrypoints.app import create_app
from lending_intake.service_layer import credentials
from lending_simulators.serving import serve_http

pytestmark = pytest.mark.integration


def _content_type(response) -> str:
    value = response.headers.get("content-type")
    return value[0] if isinstance(value, list) else str(value)


async def test_no_request_breaks_the_intake_api(database_factory, kafka_bootstrap):
    app = create_app(Settings(database_url=database_factory(), log_json=False,
                              kafka_bootstrap_servers=kafka_bootstrap,
                              consumer_group=f"test-intake-{uuid.uuid4().hex[:8]}"))
    async with app.router.lifespan_context(app), serve_http(app) as base:
        partner = await credentials.create_partner(app.state.runtime.ports["issuer"], "fuzz")
        async with httpx.AsyncClient(base_url=base) as client:
            spec = (await client.get("/openapi.json")).json()
        schema = schemathesis.openapi.from_dict(spec)
        schema.config.base_url = base
        failures: list[str] = []

        def run_all() -> None:
            for result in schema.get_all_operations():
                operation = result.ok()
                strategy = operation.as_strategy()

                @settings(max_examples=8, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
                @given(case=strategy)
                def check(case) -> None:
                    case.headers = {**(case.headers or {}),
                                    "Authorization": f"Bearer {partner.api_key}"}
                    response = case.call(base_url=base, timeout=10)
                    label = f"{case.method} {case.formatted_path}: {response.status_code}"
                    if response.status_code >= 500:
                        failures.append(label + " " + response.text[:200])
                    elif response.status_code >= 400 and _content_type(response) != (
                            "application/problem+json"):
                        failures.append(label + " not problem+json")

                check()

        await asyncio.to_thread(run_all)
        assert failures == []
