"""An approved offer nobody signs before its expiry: the sweep marks the application expired,
announces it (ApplicationWithdrawn, reason offer_expired, by system) and tells the partner,
once, however many replicas sweep at the same time."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lending_intake.adapters import repository
from lending_intake.adapters.orm import applications, webhook_deliveries
from lending_intake.domain.application import Offer
from lending_intake.service_layer.context import SOURCE
from lending_intake.service_layer.expiry import expire_due_offers
from lending_messaging.tables import outbox
from lending_platform.testing import running
from lending_platform.unit_of_work import UnitOfWork

from .intake_helpers import (
    application_body,
    approval,
    auth,
    eventually,
    find_record,
    make_partner,
    new_key,
    publish,
    topic_tail,
)

pytestmark = pytest.mark.integration
HOOKS = "http://127.0.0.1:9/hooks"  # nobody listens: deliveries stay in the log, pending


async def _stored_status(app, app_id: str) -> str:
    async with app.state.runtime.engine.connect() as conn:
        return (await conn.execute(select(applications.c.status)
                                   .where(applications.c.id == app_id))).scalar_one()


async def test_an_unsigned_offer_expires_is_announced_and_the_partner_is_told(
    service_app, kafka_bootstrap
):
    app = service_app("intake", offer_expiry_poll_seconds=0.2,
                      webhook_allowed_hosts="127.0.0.1")
    async with running(app) as client, topic_tail(kafka_bootstrap, "lending.intake.v1") as tail:
        partner = await make_partner(app, webhook_url=HOOKS)
        created = await client.post("/v1/applications", json=application_body(),
                                    headers=auth(partner.api_key, new_key()))
        app_id = created.json()["id"]
        await publish(kafka_bootstrap, approval(app_id, expires_in=timedelta(seconds=2)),
                      "/lending/underwriting")

        async def stored(status):
            return await _stored_status(app, app_id) == status

        await eventually(lambda: stored("approved"), within=30)
        offer = (await client.get(f"/v1/applications/{app_id}",
                                  headers=auth(partner.api_key))).json()["offer"]
        await eventually(lambda: stored("expired"), within=30)  # nobody read it meanwhile

        withdrawn = json.loads(await find_record(tail, app_id, "ApplicationWithdrawn"))
        assert withdrawn["data"]["reason"] == "offer_expired"
        assert withdrawn["data"]["withdrawn_by"] == "system"
        log = (await client.get("/v1/webhook-deliveries", params={"application_id": app_id},
                                headers=auth(partner.api_key))).json()["items"]
        statuses = [(e["payload"]["data"]["previous_status"], e["payload"]["data"]["status"])
                    for e in log]
        assert ("approved", "expired") in statuses
        assert [e["payload"]["data"]["reasons"] for e in log
                if e["payload"]["data"]["status"] == "expired"] == [["offer_expired"]]

        late = await client.post(f"/v1/applications/{app_id}/offer/acceptance", json={
            "offer_id": offer["offer_id"], "terms_version": "2025-01",
            "accepted_at": datetime.now(UTC).isoformat(),
            "disclosure_sha256": offer["disclosure_sha256"], "ip_address": "203.0.113.7",
            "device_id": "device-42"}, headers=auth(partner.api_key))
        assert late.status_code == 409 and late.json()["type"].endswith("/offer-expired")


async def _approve_with_offer(app, app_id: str, expires_at: datetime) -> None:
    async with UnitOfWork(app.state.runtime.sessions, SOURCE) as uow:
        found = await repository.get_application(uow.session, app_id, for_update=True)
        assert found is not None
        application = found[0]
        offer = Offer(f"offer-{app_id[-8:]}", "dec-1", expires_at, {}, "0" * 64)
        application.approve(offer, {"outcome": "approved", "reasons": []},
                            datetime.now(UTC))
        application.changes = []
        await repository.save_application(uow.session, application)
        await uow.commit()


async def test_concurrent_sweeps_expire_each_due_offer_exactly_once(service_app):
    app = service_app("intake", run_background_workers=False,  # the outbox stays put
                      webhook_allowed_hosts="127.0.0.1")
    async with running(app) as client:
        partner = await make_partner(app, webhook_url=HOOKS)
        ids = []
        for _ in range(24):
            created = await client.post("/v1/applications", json=application_body(),
                                        headers=auth(partner.api_key, new_key()))
            ids.append(created.json()["id"])
        past, future = datetime.now(UTC) - timedelta(minutes=1), datetime.now(UTC) + \
            timedelta(days=1)
        due, not_due = ids[:20], ids[20:]
        for app_id in due:
            await _approve_with_offer(app, app_id, past)
        for app_id in not_due:
            await _approve_with_offer(app, app_id, future)

        ctx = app.state.runtime.ports["intake"]

        async def sweeper() -> int:
            total = 0
            while expired := await expire_due_offers(ctx, batch_size=3):
                total += expired
            return total

        counts = await asyncio.gather(*(sweeper() for _ in range(4)))
        assert sum(counts) == len(due)
        assert [await _stored_status(app, i) for i in due] == ["expired"] * len(due)
        assert [await _stored_status(app, i) for i in not_due] == ["approved"] * len(not_due)
        async with app.state.runtime.engine.connect() as conn:
            announced = (await conn.execute(
                select(outbox.c.key, func.count()).where(
                    outbox.c.event_type == "ApplicationWithdrawn").group_by(outbox.c.key)
            )).all()
            told = (await conn.execute(
                select(webhook_deliveries.c.application_id, func.count()).where(
                    webhook_deliveries.c.body.contains('"status":"expired"'))
                .group_by(webhook_deliveries.c.application_id)
            )).all()
        assert dict(announced) == dict.fromkeys(due, 1)
        assert dict(told) == dict.fromkeys(due, 1)
