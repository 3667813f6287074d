"""One partner's endpoint never delays another's webhooks: a hanging endpoint holds only its
own few delivery slots, and an endpoint that fails is probed once per rest instead of
being sent every queued delivery."""

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lending_platform.testing import running
from lending_simulators.serving import serve_http

from .intake_helpers import application_body, auth, eventually, make_partner, new_key

pytestmark = pytest.mark.integration


class Endpoint:
    """A partner's webhook endpoint: hangs until released, or answers ``status``."""

    def __init__(self, status: int = 204, hang: bool = False) -> None:
        self.status, self.received = status, 0
        self.release = asyncio.Event()
        if not hang:
            self.release.set()
        self.app = Starlette(routes=[Route("/hooks", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        await request.body()
        self.received += 1
        await self.release.wait()
        return Response(status_code=self.status)


async def submit(client, partner, count: int) -> None:
    for _ in range(count):
        answer = await client.post("/v1/applications", json=application_body(),
                                   headers=auth(partner.api_key, new_key()))
        assert answer.status_code == 202, answer.text


async def deliveries(client, partner, state: str) -> list[dict]:
    page = await client.get("/v1/webhook-deliveries", params={"state": state},
                            headers=auth(partner.api_key))
    return list(page.json()["items"])


async def test_a_hanging_partner_endpoint_never_holds_back_another_partners_webhooks(
        service_app):
    slow, quick = Endpoint(hang=True), Endpoint()
    app = service_app("intake", webhook_poll_seconds=0.05, webhook_allowed_hosts="127.0.0.1",
                      webhook_timeout_seconds=60, webhook_batch_size=4, webhook_per_partner=2)
    async with serve_http(slow.app) as slow_url, serve_http(quick.app) as quick_url, \
            running(app) as client:
        try:
            hanging = await make_partner(app, webhook_url=f"{slow_url}/hooks")
            other = await make_partner(app, webhook_url=f"{quick_url}/hooks")
            await submit(client, hanging, 6)
            await eventually(lambda: asyncio.sleep(0, slow.received >= 2 or None), within=10)
            await submit(client, other, 3)
            delivered = await eventually(
                lambda: _all(deliveries(client, other, "delivered"), 3), within=15)
            assert len(delivered) == 3
            assert slow.received == 2  # its own two slots, still hanging
        finally:
            slow.release.set()


async def test_a_failing_partner_endpoint_is_probed_once_per_rest_not_once_per_delivery(
        service_app):
    down = Endpoint(status=503)
    app = service_app("intake", webhook_poll_seconds=0.05, webhook_allowed_hosts="127.0.0.1",
                      webhook_backoff_scale=0.2)  # rests of 2 s, 6 s, ...
    async with serve_http(down.app) as url, running(app) as client:
        partner = await make_partner(app, webhook_url=f"{url}/hooks")
        await submit(client, partner, 1)
        await eventually(lambda: asyncio.sleep(0, down.received >= 1 or None), within=10)
        await submit(client, partner, 4)  # queued while the endpoint rests
        await asyncio.sleep(1.0)  # within the first rest
        assert down.received == 1
        pending = await deliveries(client, partner, "pending")
        assert len(pending) == 5 and sum(d["attempts"] for d in pending) == 1
        down.status = 204  # the endpoint is back: the next probe succeeds, the rest follow
        delivered = await eventually(
            lambda: _all(deliveries(client, partner, "delivered"), 5), within=30)
        assert len(delivered) == 5


async def _all(found, count: int) -> list[dict] | None:
    items = await found
    return items if len(items) >= count else None
