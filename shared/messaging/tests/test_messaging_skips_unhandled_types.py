"""A consumer passes over the event types its service does not handle from their ``ce_type``
header: no decoding, no inbox row, no transaction; offsets still commit past them only once
every record before them is finished, and a loan's handled events still run once, in order.
A record without the header is decoded as before (the fallback)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from lending_events import Envelope
from lending_messaging import ConsumerRunner, KafkaEventPublisher, OutboxRelay
from lending_messaging.inbox import InMemoryInbox, PostgresInbox
from lending_messaging.lag import ConsumerLagProbe
from lending_messaging.memory_broker import InMemoryBroker
from lending_messaging.memory_consumer import InMemoryConsumer
from lending_messaging.outbox import wire_headers
from lending_messaging.ports import OutgoingMessage
from lending_messaging.testing.real_harnesses import prepared_engine
from lending_messaging.testing.scenario import (
    applied_ids,
    count_loan_effect,
    drain_outbox,
    write_through_outbox,
)

HANDLED = "PaymentApplied"
TOPIC = "lending.ledger.v1"


def a_loans_day(loans: int) -> list[Envelope]:
    """Per loan: interest accrued, a payment, interest accrued again (the last record of
    every loan is one the consumer does not handle, so committing to the end means
    committing past skipped records)."""
    out: list[Envelope] = []
    for seq, kind in enumerate(("InterestAccrued", HANDLED, "InterestAccrued"), start=1):
        out += [Envelope(source="/lending/ledger", type=kind, subject=f"loan-{n}",
                         data={"seq": seq}) for n in range(loans)]
    return out


def as_published(envelope: Envelope, *, with_headers: bool = True) -> OutgoingMessage:
    headers = tuple((k, v.encode()) for k, v in wire_headers(envelope).items())
    return OutgoingMessage(TOPIC, envelope.subject.encode(), envelope.to_bytes(),
                           headers if with_headers else ())


class Handled:
    """A handler that acts on payments only, as a dispatcher does, and remembers them."""

    def __init__(self) -> None:
        self.seen: list[Envelope] = []

    async def __call__(self, session: Any, envelope: Envelope) -> None:
        if envelope.type == HANDLED:
            self.seen.append(envelope)


async def test_a_loans_unhandled_events_are_committed_past_without_an_inbox_row() -> None:
    broker = InMemoryBroker(partitions=2)
    day = a_loans_day(loans=5)
    no_header = Envelope(source="/lending/ledger", type="InterestAccrued", subject="loan-9")
    await broker.publish([as_published(e) for e in day]
                         + [as_published(no_header, with_headers=False)])
    handler = Handled()
    consumer = InMemoryConsumer(broker, "collections", [TOPIC], handler, handles={HANDLED})

    await consumer.drain()

    payments = [e.id for e in day if e.type == HANDLED]
    assert sorted(e.id for e in handler.seen) == sorted(payments)
    # without a type header the record is decoded (and, unhandled, claimed) as before
    assert consumer.inbox.handled == {*payments, no_header.id}
    assert consumer.stats.skipped == 10
    assert consumer.stats.handled == 6
    assert broker.lag("collections", TOPIC) == 0


async def test_a_redelivered_day_with_skipped_events_pays_each_payment_once() -> None:
    broker = InMemoryBroker(partitions=2)
    day = a_loans_day(loans=4)
    await broker.publish([as_published(e) for e in day])
    inbox = InMemoryInbox("collections")
    first = Handled()
    await InMemoryConsumer(broker, "collections", [TOPIC], first, inbox=inbox,
                           handles={HANDLED}).drain()
    again = Handled()
    # another group over the same inbox: every record comes again, as after a lost commit
    redelivered = InMemoryConsumer(broker, "collections-again", [TOPIC], again, inbox=inbox,
                                   handles={HANDLED})

    await redelivered.drain()

    assert len(first.seen) == 4
    assert again.seen == []
    assert redelivered.stats.duplicates == 4
    assert redelivered.stats.skipped == 8
    assert inbox.handled == {e.id for e in first.seen}


# --- over the real Kafka and PostgreSQL --------------------------------------------------

@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await prepared_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text(
            "CREATE TABLE loan_counters (loan_id text PRIMARY KEY, events int NOT NULL)"))
        await conn.execute(text("CREATE TABLE applied (event_id text NOT NULL)"))
    yield engine
    await engine.dispose()


async def payments_only(session: Any, envelope: Envelope) -> None:
    if envelope.type == HANDLED:
        await count_loan_effect(session, envelope)


async def inbox_ids(engine: AsyncEngine, group: str) -> set[str]:
    async with engine.connect() as conn:
        return set((await conn.execute(
            text("SELECT event_id FROM inbox WHERE consumer_group = :g"), {"g": group}
        )).scalars())


@pytest.mark.integration
async def test_events_relayed_through_the_outbox_are_skipped_by_type_and_committed_to_the_end(
    engine: AsyncEngine, kafka_bootstrap: str, topic_factory: Callable[..., str],
) -> None:
    topic, group = topic_factory(partitions=3), f"g-{uuid.uuid4().hex[:8]}"
    day = a_loans_day(loans=30)
    await write_through_outbox(engine, topic, day, per_tx=13)
    publisher = KafkaEventPublisher(kafka_bootstrap)
    await publisher.start()
    try:
        await drain_outbox(OutboxRelay(engine, publisher))  # the relay writes ce_type
    finally:
        await publisher.stop()
    sessions = async_sessionmaker(engine)
    runner = ConsumerRunner(kafka_bootstrap, group, [topic], sessions, payments_only,
                            handles={HANDLED}, max_records=40)
    probe = ConsumerLagProbe(kafka_bootstrap, group, [topic])
    task = asyncio.create_task(runner.run())
    try:
        async with asyncio.timeout(60):
            while runner.stats.handled < 30 or (await probe.lag_by_topic())[topic]:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        runner.stop()
        await task
        await probe.close()
    payments = {e.id for e in day if e.type == HANDLED}
    assert runner.stats.skipped == 60
    assert await inbox_ids(engine, group) == payments
    assert sorted(await applied_ids(engine)) == sorted(payments)

    # a second pass over the whole topic into the same inbox: nothing happens twice
    again = ConsumerRunner(kafka_bootstrap, f"{group}-again", [topic], sessions, payments_only,
                           inbox=PostgresInbox(sessions, group), handles={HANDLED})
    task = asyncio.create_task(again.run())
    try:
        async with asyncio.timeout(60):
            while again.stats.duplicates + again.stats.skipped < len(day):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        again.stop()
        await task
    assert again.stats.handled == 0 and again.stats.duplicates == 30
    assert sorted(await applied_ids(engine)) == sorted(payments)
