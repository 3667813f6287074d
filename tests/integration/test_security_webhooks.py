"""Webhooks (issue 20, item 7): secrets sealed at rest and rotatable; URLs into our own
network refused when set and again when called; nothing a receiver answers reaches the
partner's delivery log."""

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import text, update

from lending_intake.adapters.orm import partners
from lending_intake.domain.errors import InvalidWebhookUrlError
from lending_intake.service_layer import credentials
from lending_platform.testing import running
from lending_simulators.serving import serve_http
from lending_simulators.webhook_receiver import create_app as receiver_app

from .intake_helpers import application_body, auth, eventually, make_partner, new_key

pytestmark = pytest.mark.integration
SECRET_ANSWER = "db-password=hunter2"
INTERNAL = ["http://127.0.0.1:5432/", "https://127.0.0.1/hook", "https://169.254.169.254/latest/",
            "https://10.0.0.5/hook", "https://192.168.1.10/", "https://[::1]/hook",
            "https://[::ffff:10.0.0.1]/", "https://localhost/hook", "https://kafka.internal/",
            "http://partner.example.com/hook", "https://user:pw@partner.example.com/"]


def internal_service(calls: list[str]) -> FastAPI:
    """Something inside our network that must never be reached, nor its answer read."""
    app = FastAPI()

    @app.post("/{path:path}")
    async def anything(path: str, request: Request) -> PlainTextResponse:
        calls.append(path)
        return PlainTextResponse(SECRET_ANSWER, status_code=500)

    return app


@pytest.mark.parametrize("url", INTERNAL)
async def test_a_webhook_url_into_our_network_is_refused(service_app, url):
    app = service_app("intake", run_background_workers=False)
    async with running(app):
        issuer = app.state.runtime.ports["issuer"]
        with pytest.raises(InvalidWebhookUrlError):
            await credentials.create_partner(issuer, "sneaky", webhook_url=url)
        partner = await credentials.create_partner(
            issuer, "honest", webhook_url="https://hooks.partner.example.com/lending")
        with pytest.raises(InvalidWebhookUrlError):
            await credentials.set_webhook_url(issuer, partner.principal_id, url)


async def _deliveries_after_one_submission(app, client, partner) -> list[dict]:
    await client.post("/v1/applications", json=application_body(),
                      headers=auth(partner.api_key, new_key()))

    async def tried():
        items = (await client.get("/v1/webhook-deliveries",
                                  headers=auth(partner.api_key))).json()["items"]
        return items if items and items[0]["attempts"] >= 1 else None

    return list(await eventually(tried, within=30))


async def test_a_stored_url_into_our_network_is_never_called(service_app):
    calls: list[str] = []
    app = service_app("intake", webhook_poll_seconds=0.05)
    async with serve_http(internal_service(calls)) as internal, running(app) as client:
        partner = await make_partner(app, webhook_url="https://hooks.partner.example.com/x")
        async with app.state.runtime.sessions() as session, session.begin():
            # A URL kept from before the check existed, or put there behind its back.
            await session.execute(update(partners).where(partners.c.id == partner.principal_id)
                                  .values(webhook_url=f"{internal}/admin/flush"))
        app.state.runtime.ports["intake"].partners._cache.clear()
        [entry] = await _deliveries_after_one_submission(app, client, partner)
        assert calls == []
        assert entry["last_status_code"] is None
        assert entry["last_error"].startswith("refused")


async def test_a_receivers_answer_is_never_shown_to_the_partner(service_app):
    calls: list[str] = []
    app = service_app("intake", webhook_poll_seconds=0.05, webhook_allowed_hosts="127.0.0.1")
    async with serve_http(internal_service(calls)) as receiver, running(app) as client:
        partner = await make_partner(app, webhook_url=f"{receiver}/hooks")
        [entry] = await _deliveries_after_one_submission(app, client, partner)
        assert calls  # allow-listed, so called
        assert entry["last_status_code"] == 500
        assert entry["last_error"] == "HTTP 500"
        log = (await client.get("/v1/webhook-deliveries", headers=auth(partner.api_key))).text
        assert SECRET_ANSWER not in log


async def test_webhook_secrets_are_stored_sealed_and_can_be_rotated(service_app):
    app = service_app("intake", webhook_poll_seconds=0.05, webhook_allowed_hosts="127.0.0.1")
    receiver = receiver_app()
    async with serve_http(receiver) as base, running(app) as client:
        partner = await make_partner(app, webhook_url=f"{base}/webhooks/acme")
        async with app.state.runtime.engine.connect() as conn:
            row = (await conn.execute(text(
                "SELECT webhook_secret, webhook_secret_sealed, webhook_secret_key_id, "
                "CAST(partners AS text) AS everything FROM partners WHERE id = :id"),
                {"id": partner.principal_id})).one()
        assert row.webhook_secret is None and row.webhook_secret_key_id == "dev-1"
        assert partner.webhook_secret.encode() not in bytes(row.webhook_secret_sealed)
        assert partner.webhook_secret not in row.everything

        rotated = await credentials.rotate_webhook_secret(app.state.runtime.ports["issuer"],
                                                          partner.principal_id)
        assert rotated.webhook_secret != partner.webhook_secret
        async with httpx.AsyncClient(base_url=base) as control:
            await control.put("/control/secrets/acme", json={"secret": rotated.webhook_secret})
            await client.post("/v1/applications", json=application_body(),
                              headers=auth(partner.api_key, new_key()))

            async def received():
                return (await control.get("/received")).json()

            [delivery] = await eventually(received, within=30)
        assert delivery["verified"] is True  # signed with the new secret


async def test_a_secret_stored_in_clear_before_is_sealed_by_the_at_rest_worker(service_app):
    app = service_app("intake", run_background_workers=False)
    async with running(app):
        partner = await make_partner(app)
        async with app.state.runtime.sessions() as session, session.begin():
            await session.execute(update(partners).where(partners.c.id == partner.principal_id)
                                  .values(webhook_secret="whsec_from-before",
                                          webhook_secret_sealed=None, webhook_secret_key_id=None))
        assert await app.state.runtime.ports["at_rest"].seal_pass() >= 1
        async with app.state.runtime.engine.connect() as conn:
            clear = (await conn.execute(text("SELECT webhook_secret FROM partners WHERE id = :id"),
                                        {"id": partner.principal_id})).scalar()
        assert clear is None
