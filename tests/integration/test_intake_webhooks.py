"""Every status change is POSTed to the partner, signed as documented, and retried after the
receiver fails; the delivery log shows it all."""

import time

import pytest

from lending_intake.service_layer import credentials
from lending_platform.testing import running
from lending_simulators.serving import serve_http
from lending_simulators.webhook_receiver import create_app as receiver_app
from lending_simulators.webhook_receiver import verify_signature

from .intake_helpers import (
    application_body,
    approval,
    auth,
    eventually,
    make_partner,
    new_key,
    publish,
)

pytestmark = pytest.mark.integration


async def test_a_webhook_verifies_with_the_documented_recipe_and_is_retried(
    service_app, kafka_bootstrap
):
    receiver = receiver_app()
    app = service_app("intake", webhook_backoff_scale=0.01, webhook_poll_seconds=0.05,
                      webhook_allowed_hosts="127.0.0.1")  # the receiver runs on loopback
    async with serve_http(receiver) as base, running(app) as client:
        import httpx

        partner = await make_partner(app, webhook_url=f"{base}/webhooks/acme")
        async with httpx.AsyncClient(base_url=base) as control:
            await control.put("/control/secrets/acme", json={"secret": partner.webhook_secret})
            await control.post("/control/fail-next", json={"count": 2})
            created = await client.post("/v1/applications", json=application_body(),
                                        headers=auth(partner.api_key, new_key()))
            app_id = created.json()["id"]

            async def delivered():
                log = (await client.get("/v1/webhook-deliveries",
                                        headers=auth(partner.api_key))).json()["items"]
                return log if log and log[0]["state"] == "delivered" else None

            [entry] = await eventually(delivered, within=30)
            assert entry["attempts"] == 3 and entry["last_status_code"] == 204
            assert entry["payload"]["data"] == {
                "application_id": app_id, "status": "submitted", "previous_status": None,
                "reasons": [], "links": {"application": f"/v1/applications/{app_id}"}}
            received = (await control.get("/received")).json()
            assert [r["answered"] for r in received] == [500, 500, 204]
            assert all(r["verified"] for r in received)
            assert {r["delivery_id"] for r in received} == {entry["id"]}

            await publish(kafka_bootstrap, approval(app_id), "/lending/underwriting")

            async def approved_webhook():
                got = (await control.get("/received")).json()
                return [r for r in got if r["payload"]["data"]["status"] == "approved"]

            [hit] = await eventually(approved_webhook, within=30)
            assert hit["payload"]["data"]["previous_status"] == "submitted"

        # the recipe itself: a body altered in transit, or another secret, does not verify
        body = b'{"id":"whd_1"}'
        from lending_intake.domain.webhooks import signature

        now = int(time.time())
        header = signature(partner.webhook_secret, now, body)
        assert verify_signature(partner.webhook_secret, header, body, now)
        assert not verify_signature(partner.webhook_secret, header, body + b" ", now)
        assert not verify_signature("whsec_other-secret", header, body, now)
        assert not verify_signature(partner.webhook_secret, header, body, now + 3600)


async def test_a_partner_without_a_webhook_gets_no_deliveries(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await credentials.create_partner(app.state.runtime.ports["issuer"], "no-hooks")
        await client.post("/v1/applications", json=application_body(),
                          headers=auth(partner.api_key, new_key()))
        log = await client.get("/v1/webhook-deliveries", headers=auth(partner.api_key))
        assert log.status_code == 200 and log.json()["items"] == []
