"""A REST request's correlation id and traceparent become the context its events inherit."""

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from lending_events import Envelope
from lending_messaging.context import current_context, stamp
from lending_platform.observability import install_observability


def _app() -> FastAPI:
    app = FastAPI()
    install_observability(app, CollectorRegistry())

    @app.post("/v1/things")
    async def create() -> dict[str, str | None]:
        ctx = current_context()
        assert ctx is not None
        event = stamp(Envelope(source="test", type="ThingCreated", subject="L1"))
        return {"correlationid": event.correlationid, "traceparent": event.traceparent}

    return app


async def _post(headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/v1/things", headers=headers)


async def test_an_incoming_correlation_id_and_trace_reach_the_events_a_request_causes():
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = await _post({"X-Correlation-ID": "partner-abc", "traceparent": parent})
    body = response.json()
    assert body["correlationid"] == "partner-abc"
    assert body["traceparent"].split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert response.headers["X-Correlation-ID"] == "partner-abc"


async def test_a_request_without_ids_gets_fresh_ones_echoed_back():
    response = await _post({})
    body = response.json()
    assert body["correlationid"] == response.headers["X-Correlation-ID"]
    assert len(body["traceparent"].split("-")[1]) == 32
