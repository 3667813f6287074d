"""Two real services, two databases, one real broker: an event intake commits reaches
underwriting through its outbox, the relay, Kafka and underwriting's inbox, exactly once."""

import asyncio
import uuid

import pytest
from sqlalchemy import select

from lending_events.samples import sample_event
from lending_messaging.context import context_from_headers, use_context
from lending_messaging.tables import inbox, outbox
from lending_platform.testing import operator_headers, running
from lending_platform.unit_of_work import UnitOfWork

pytestmark = pytest.mark.integration


async def _inbox_ids(app) -> list[str]:
    async with app.state.runtime.engine.connect() as conn:
        return list((await conn.execute(select(inbox.c.event_id))).scalars())


async def test_an_application_submitted_at_intake_is_handled_once_by_underwriting(service_app):
    # Both start at the topics' end: the shared topics' history is not this test's business.
    intake_app = service_app("intake", consumer_offset_reset="latest")
    underwriting_app = service_app("underwriting", consumer_offset_reset="latest")
    loan_id = f"app-{uuid.uuid4().hex[:12]}"
    event = sample_event("ApplicationSubmitted").model_copy(update={"loan_id": loan_id})
    async with (
        running(intake_app, from_now=True),
        running(underwriting_app, from_now=True) as underwriting,
    ):
        runtime = intake_app.state.runtime
        with use_context(context_from_headers({"x-correlation-id": "partner-req-1"})):
            async with UnitOfWork(runtime.sessions, source="intake") as uow:
                envelope = await uow.emit(event)
                await uow.commit()
        assert envelope.correlationid == "partner-req-1"
        for _ in range(300):
            if envelope.id in await _inbox_ids(underwriting_app):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("underwriting never handled the event")
        await asyncio.sleep(1.0)  # room for a duplicate to show up, if one were coming
        assert (await _inbox_ids(underwriting_app)).count(envelope.id) == 1
        status = (await underwriting.get(
            "/v1/ops/messaging", headers=await operator_headers(underwriting_app))).json()
        assert set(status["consumer_lag"]) == set(runtime_topics(underwriting_app))
        async with runtime.engine.connect() as conn:
            assert (await conn.execute(select(outbox))).first() is None  # relayed and cleared


def runtime_topics(app) -> list[str]:
    return app.state.runtime.workers["consumer"].topics
