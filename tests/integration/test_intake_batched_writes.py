"""Concurrent submissions share a batch (one statement) yet each keeps every guarantee: its
own application and ApplicationSubmitted in the outbox, its idempotency key, and an error of
its own that never fails its neighbours."""

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from lending_intake.adapters.orm import applications, idempotency_keys
from lending_intake.adapters.submissions import NewSubmission
from lending_messaging.tables import outbox
from lending_platform.testing import running

from .intake_helpers import application_body, auth, make_partner, new_key

pytestmark = pytest.mark.integration


async def _rows(app, query):
    async with app.state.runtime.engine.connect() as conn:
        return (await conn.execute(query)).all()


async def test_concurrent_submissions_each_get_their_application_event_and_key(service_app):
    app = service_app("intake", run_background_workers=False,  # the outbox stays put
                      webhook_allowed_hosts="127.0.0.1")
    async with running(app) as client:
        partner = await make_partner(app)
        keys = [new_key() for _ in range(40)]
        repeated, reused = keys[0], keys[1]
        requests = [(k, application_body()) for k in keys]
        requests += [(repeated, application_body())] * 3  # same key, same body
        requests += [(reused, application_body(purpose="education"))]  # another body
        responses = await asyncio.gather(*(
            client.post("/v1/applications", json=body, headers=auth(partner.api_key, key))
            for key, body in requests))

        by_key: dict[str, set[str]] = {}
        for (key, _), response in zip(requests, responses, strict=True):
            if key == reused and response.status_code == 422:
                assert response.json()["type"].endswith("/idempotency-key-reused")
                continue
            assert response.status_code == 202, response.text
            by_key.setdefault(key, set()).add(response.json()["id"])
        assert all(len(ids) == 1 for ids in by_key.values()) and len(by_key) == len(keys)
        ids = {i for found in by_key.values() for i in found}

        stored = dict(await _rows(app, select(idempotency_keys.c.key,
                                              idempotency_keys.c.application_id)))
        assert {k: {v} for k, v in stored.items()} == by_key
        assert {r[0] for r in await _rows(app, select(applications.c.id))} == ids
        events = await _rows(app, select(outbox.c.key, outbox.c.event_type, outbox.c.payload)
                             .where(outbox.c.event_type == "ApplicationSubmitted"))
        assert sorted(e.key for e in events) == sorted(ids)
        assert all(json.loads(e.payload)["data"]["loan_id"] == e.key for e in events)


async def test_a_submission_the_database_refuses_fails_alone(service_app):
    app = service_app("intake", run_background_workers=False,
                      webhook_allowed_hosts="127.0.0.1")
    async with running(app):
        writer = app.state.runtime.ports["intake"].submissions
        now = datetime.now(UTC)

        def submission(amount: str) -> NewSubmission:
            app_id = f"app-{uuid.uuid4().hex}"
            return NewSubmission(
                partner_id="ptn-x", idempotency_key=new_key(), request_sha256="0" * 64,
                response={"id": app_id}, application={
                    "id": app_id, "partner_id": "ptn-x", "product_code": "personal-credit",
                    "status": "submitted", "currency": "CNY", "requested_amount": amount,
                    "identity_hash": "h", "request": {}, "documents": [],
                    "missing_documents": [], "submitted_at": now,
                    "identity_sealed": None, "identity_key_id": None},
                events=[], topic="lending.intake.v1")

        batch = [submission("100.00") for _ in range(5)]
        batch.insert(2, submission("not a number"))
        outcomes = await asyncio.gather(*(writer.write(s) for s in batch),
                                        return_exceptions=True)
        assert [isinstance(o, Exception) for o in outcomes] == [False, False, True] + \
            [False] * 3
        assert all(o is None for i, o in enumerate(outcomes) if i != 2)
        written = {r[0] for r in await _rows(app, select(applications.c.id))}
        assert written == {s.application["id"] for i, s in enumerate(batch) if i != 2}
