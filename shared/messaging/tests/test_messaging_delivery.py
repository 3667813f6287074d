"""End to end through the real PostgreSQL and Kafka: outbox → relay → consumer runner."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from lending_events import Envelope
from lending_messaging import (
    ConsumerRunner,
    KafkaEventPublisher,
    MessageContext,
    OutboxRelay,
    add_to_outbox,
    use_context,
)
from lending_messaging.context import parse_traceparent
from lending_messaging.testing.real_harnesses import prepared_engine, read_records
from lending_messaging.testing.scenario import applied_ids, drain_outbox, write_through_outbox

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await prepared_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE applied (event_id text NOT NULL)"))
        await conn.execute(text("CREATE TABLE loan_seq (loan_id text PRIMARY KEY, seq int)"))
        await conn.execute(text("CREATE TABLE out_of_order (loan_id text, seq int, last int)"))
    yield engine
    await engine.dispose()


@pytest.fixture
async def publisher(kafka_bootstrap: str) -> AsyncIterator[KafkaEventPublisher]:
    publisher = KafkaEventPublisher(kafka_bootstrap)
    await publisher.start()
    yield publisher
    await publisher.stop()


async def check_sequence(session: Any, envelope: Envelope) -> None:
    """Each loan's events must come as seq 1, 2, 3, ...; anything else is recorded."""
    loan, seq = envelope.subject, envelope.data["seq"]
    last = (
        await session.execute(
            text("SELECT seq FROM loan_seq WHERE loan_id = :l FOR UPDATE"), {"l": loan}
        )
    ).scalar() or 0
    if seq != last + 1:
        await session.execute(
            text("INSERT INTO out_of_order VALUES (:l, :s, :last)"),
            {"l": loan, "s": seq, "last": last},
        )
    await session.execute(
        text("INSERT INTO loan_seq VALUES (:l, :s) ON CONFLICT (loan_id) DO UPDATE SET seq = :s"),
        {"l": loan, "s": seq},
    )
    await session.execute(text("INSERT INTO applied VALUES (:id)"), {"id": envelope.id})


async def writer(
    engine: AsyncEngine, topic: str, loans: list[str], per_loan: int, half: int
) -> None:
    """Writes one half of its loans' events interleaved, a few per transaction, in seq
    order per loan."""
    middle = per_loan // 2
    seqs = range(1, middle + 1) if half == 1 else range(middle + 1, per_loan + 1)
    events = [
        Envelope(source="test", type="PaymentApplied", subject=loan, data={"seq": seq})
        for seq in seqs
        for loan in loans
    ]
    await write_through_outbox(engine, topic, events, per_tx=7)


async def test_each_loans_events_arrive_in_order_across_partitions_and_a_rebalance(
    engine: AsyncEngine, publisher: KafkaEventPublisher, kafka_bootstrap: str,
    topic_factory: Callable[..., str],
) -> None:
    topic, group = topic_factory(partitions=3), f"g-{uuid.uuid4().hex[:8]}"
    loans, per_loan = [f"loan-{n}" for n in range(40)], 15
    sessions = async_sessionmaker(engine)
    relay = OutboxRelay(engine, publisher, batch_size=100, poll_interval=0.01)
    first, second = (
        ConsumerRunner(kafka_bootstrap, group, [topic], sessions, check_sequence, max_records=50)
        for _ in range(2)
    )
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(first.run())]
    await asyncio.gather(*(writer(engine, topic, loans[i::4], per_loan, 1) for i in range(4)))
    tasks.append(asyncio.create_task(second.run()))  # joins mid-stream: a rebalance
    async with asyncio.timeout(30):
        while not second.assignment():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    await asyncio.gather(*(writer(engine, topic, loans[i::4], per_loan, 2) for i in range(4)))

    expected = len(loans) * per_loan
    async with asyncio.timeout(60):
        while len(await applied_ids(engine)) < expected:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
    for stoppable in (relay, first, second):
        stoppable.stop()
    await asyncio.gather(*tasks)

    async with engine.connect() as conn:
        disorder = (await conn.execute(text("SELECT * FROM out_of_order"))).all()
        final = dict((await conn.execute(text("SELECT loan_id, seq FROM loan_seq"))).all())
    assert disorder == []
    assert final == {loan: per_loan for loan in loans}
    assert set(Counter(await applied_ids(engine)).values()) == {1}
    assert first.stats.handled > 0 and second.stats.handled > 0  # both really took part


async def test_correlation_and_causation_flow_from_an_outbox_write_through_a_consumer(
    engine: AsyncEngine, publisher: KafkaEventPublisher, kafka_bootstrap: str,
    topic_factory: Callable[..., str],
) -> None:
    intake_topic, ledger_topic = topic_factory(), topic_factory()
    request = MessageContext("corr-123", None, "00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    with use_context(request):
        async with engine.begin() as conn:
            accepted = await add_to_outbox(
                conn, Envelope(source="intake", type="OfferAccepted", subject="loan-9"),
                intake_topic,
            )
    relay = OutboxRelay(engine, publisher)
    await drain_outbox(relay)

    async def book_loan(session: Any, envelope: Envelope) -> None:
        booked = Envelope(source="ledger", type="LoanBooked", subject=envelope.subject)
        await add_to_outbox(session, booked, ledger_topic)

    runner = ConsumerRunner(
        kafka_bootstrap, f"g-{uuid.uuid4().hex[:8]}", [intake_topic], async_sessionmaker(engine),
        book_loan,
    )
    task = asyncio.create_task(runner.run())
    async with asyncio.timeout(30):
        while runner.stats.handled < 1:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    runner.stop()
    await task
    await drain_outbox(relay)

    [record] = await read_records(kafka_bootstrap, ledger_topic, 1)
    booked = Envelope.from_bytes(record.value)
    assert accepted.correlationid == "corr-123" and accepted.traceparent == request.traceparent
    assert booked.correlationid == "corr-123"
    assert booked.causationid == accepted.id
    trace_id, span_id, _ = parse_traceparent(booked.traceparent) or ("", "", "")
    assert trace_id == "a" * 32 and span_id != "b" * 16
    assert dict(record.headers)["traceparent"] == booked.traceparent.encode()  # type: ignore[union-attr]
