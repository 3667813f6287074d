"""Issue 20, item 3, on the real PostgreSQL and the real Kafka: a servicer cannot close
business days ahead of the wall clock (which would book penalties, reminders and write-off
recommendations for days that have not happened), only an admin's explicit override can, and
every BusinessDayClosed on Kafka names who closed it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from lending_events import topics
from lending_events.servicing import BusinessDayClosed
from lending_platform.testing import running
from lending_servicing.testing import contract_terms, disbursed, loan_booked

from .intake_helpers import eventually, publish, topic_tail
from .test_servicing_delinquency_over_kafka import Tail, issue_key, start_group_at_end

pytestmark = pytest.mark.integration
LEDGER = "/lending/ledger"
CLOSE = "/v1/admin/business-day/close"


async def bearer(app: object, principal_id: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {await issue_key(app, principal_id, 'operator', role)}"}


async def test_a_servicer_cannot_close_a_loans_future_days_and_each_close_names_its_closer(
        service_app, kafka_bootstrap: str) -> None:
    today = datetime.now(UTC).date()  # the service's time zone is UTC by default
    loan_id = f"app-{uuid.uuid4().hex[:12]}"
    terms = contract_terms(start=today - timedelta(days=3))
    group = f"test-servicing-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_bootstrap, group, [topics.LEDGER, topics.INTAKE])
    app = service_app("servicing", initial_business_date=today - timedelta(days=3),
                      consumer_group=group)
    async with running(app) as client, topic_tail(kafka_bootstrap, topics.SERVICING) as tail_:
        tail = Tail(tail_)
        servicer = await bearer(app, "ops-night", "servicer")
        admin = await bearer(app, "boss-1", "admin")
        await publish(kafka_bootstrap, loan_booked(loan_id, terms), LEDGER)
        await publish(kafka_bootstrap, disbursed(loan_id, terms), LEDGER)

        async def active() -> bool:
            found = await client.get(f"/v1/loans/{loan_id}", headers=servicer)
            return found.status_code == 200 and found.json()["status"] == "active"

        await eventually(active, within=60)
        # the attack: ten years in one request, which would miss every installment
        ahead = (today + timedelta(days=3650)).isoformat()
        refused = await client.post(CLOSE, headers=servicer, json={"as_of": ahead})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "as_of"
        forged = await client.post(CLOSE, headers=servicer,
                                   json={"as_of": ahead, "allow_future_date": True})
        assert forged.status_code == 403, forged.text
        overflow = await client.post(CLOSE, headers=admin,
                                     json={"as_of": "9999-12-31", "allow_future_date": True})
        assert overflow.status_code == 422, overflow.text

        closed = await client.post(CLOSE, headers=servicer, json={"as_of": today.isoformat()})
        assert closed.status_code == 200, closed.text
        day = await tail.find(today.isoformat(), "BusinessDayClosed", within=60)
        assert isinstance(day, BusinessDayClosed) and day.closed_by == "ops-night"

        tomorrow = today + timedelta(days=1)
        override = await client.post(CLOSE, headers=admin, json={
            "as_of": tomorrow.isoformat(), "allow_future_date": True})
        assert override.status_code == 200, override.text
        next_day = await tail.find(tomorrow.isoformat(), "BusinessDayClosed", within=60)
        assert isinstance(next_day, BusinessDayClosed) and next_day.closed_by == "boss-1"
        closes = [json.loads(v) for _, v in tail.seen
                  if json.loads(v)["type"] == "BusinessDayClosed"]
        assert max(c["data"]["business_date"] for c in closes) == tomorrow.isoformat()
        async with app.state.runtime.engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT business_date, closed_by, ahead_of_wall_clock FROM business_days "
                "ORDER BY business_date"))).all()
        assert [tuple(r) for r in rows] == [(today, "ops-night", False),
                                            (tomorrow, "boss-1", True)]
