"""The SMS gateway simulator: one message per idempotency key, scripted failures that
deliver nothing, refused recipients, and its registration in SIMULATORS."""

from __future__ import annotations

import httpx

from lending_simulators import SIMULATORS
from lending_simulators.sms_gateway import DEFAULT_PORT, create_app

BODY = {"channel": "sms", "to": "app-1", "body": "Your loan is 3 days overdue."}


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()),
                             base_url="http://sim")


def test_the_gateway_is_registered_on_its_port():
    assert SIMULATORS["sms_gateway"] == DEFAULT_PORT == 8102


async def test_a_repeated_idempotency_key_returns_the_first_message():
    async with client() as sim:
        assert (await sim.get("/healthz")).json() == {"status": "ok"}
        first = await sim.post("/v1/messages", json=BODY, headers={"Idempotency-Key": "a1"})
        again = await sim.post("/v1/messages", json=BODY, headers={"Idempotency-Key": "a1"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["message_id"] == again.json()["message_id"]
        state = (await sim.get("/admin/messages")).json()
        assert len(state["messages"]) == 1 and state["requests"] == {"a1": 2}


async def test_scripted_failures_deliver_nothing_and_opted_out_recipients_are_refused():
    async with client() as sim:
        await sim.post("/admin/fail-next", json={"count": 2})
        codes = [(await sim.post("/v1/messages", json=BODY,
                                 headers={"Idempotency-Key": "b1"})).status_code
                 for _ in range(3)]
        assert codes == [503, 503, 201]
        refused = await sim.post("/v1/messages", json={**BODY, "to": "optout-7"},
                                 headers={"Idempotency-Key": "b2"})
        assert refused.status_code == 422
        assert refused.json()["code"] == "recipient_opted_out"
        missing_key = await sim.post("/v1/messages", json=BODY)
        assert missing_key.status_code == 422
        assert len((await sim.get("/admin/messages")).json()["messages"]) == 1
