"""The receiver simulator verifies intake's signatures and fails on demand."""

import time

import httpx

from lending_intake.domain.webhooks import signature
from lending_simulators import SIMULATORS
from lending_simulators.webhook_receiver import create_app


async def test_the_receiver_verifies_signed_deliveries_and_fails_when_told() -> None:
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        await client.put("/control/secrets/p1", json={"secret": "whsec_test_secret"})
        await client.post("/control/fail-next", json={"count": 1})
        body = b'{"id":"whd_1"}'
        good = {"Lending-Signature": signature("whsec_test_secret", int(time.time()), body)}
        bad = {"Lending-Signature": signature("whsec_wrong_secret", int(time.time()), body)}
        assert (await client.post("/webhooks/p1", content=body, headers=good)).status_code == 500
        assert (await client.post("/webhooks/p1", content=body, headers=good)).status_code == 204
        assert (await client.post("/webhooks/p1", content=body, headers=bad)).status_code == 204
        received = (await client.get("/received", params={"partner": "p1"})).json()
    assert [(r["answered"], r["verified"]) for r in received] == [
        (500, True), (204, True), (204, False)]
    assert SIMULATORS["webhook_receiver"] == 8104
