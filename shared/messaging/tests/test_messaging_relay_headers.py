"""What the relay puts in Kafka headers: the standard CloudEvents headers the writer built,
traceparent only when the event has one, and any other header a writer stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lending_events import Envelope
from lending_messaging import InMemoryBroker, OutboxRelay, add_many_to_outbox
from lending_messaging.outbox import CONTENT_TYPE, wire_headers
from lending_messaging.testing.real_harnesses import prepared_engine
from lending_messaging.testing.scenario import drain_outbox

pytestmark = pytest.mark.integration
TOPIC = "lending.test.v1"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await prepared_engine(database_url)
    yield engine
    await engine.dispose()


async def test_headers_are_the_wire_headers_of_each_event(engine: AsyncEngine) -> None:
    traced = Envelope(source="t", type="PaymentApplied", subject="loan-1",
                      traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    async with engine.begin() as conn:
        [written] = await add_many_to_outbox(conn, [traced], TOPIC)
        await conn.execute(text(  # as a writer with its own SQL might: one extra header
            "INSERT INTO outbox (topic, key, event_id, event_type, payload, headers) VALUES "
            "(:t, 'loan-2', 'e-2', 'X', 'null', jsonb_build_object('content-type', 'x/y', "
            "'ce_id', 'e-2', 'ce_type', 'X', 'tenant', 'acme'))"), {"t": TOPIC})
    broker = InMemoryBroker()
    assert await drain_outbox(OutboxRelay(engine, broker)) == 2
    first, second = broker.records(TOPIC)
    assert dict(first.headers) == {k: v.encode() for k, v in wire_headers(written).items()}
    assert dict(first.headers)["content-type"] == CONTENT_TYPE.encode()
    assert dict(second.headers) == {"content-type": b"x/y", "ce_id": b"e-2", "ce_type": b"X",
                                    "tenant": b"acme"}  # no traceparent: none was stored
