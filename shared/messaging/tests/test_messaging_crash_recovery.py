"""A relay or consumer killed at the worst moment: the effect still happens exactly once.

The processes really die (os._exit at the named crash point, no cleanup), and each test
first proves the duplicate really reaches the consumer, so none can pass vacuously.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from lending_messaging import ConsumerRunner, KafkaEventPublisher, OutboxRelay, add_to_outbox
from lending_messaging.kafka_admin import topic_partitions
from lending_messaging.testing.real_harnesses import end_offsets, prepared_engine
from lending_messaging.testing.scenario import (
    applied_ids,
    count_loan_effect,
    create_counter_tables,
    drain_outbox,
    loan_counters,
    loan_events,
    outbox_count,
    run_child,
    write_through_outbox,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await prepared_engine(database_url)
    await create_counter_tables(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def publisher(kafka_bootstrap: str) -> AsyncIterator[KafkaEventPublisher]:
    publisher = KafkaEventPublisher(kafka_bootstrap)
    await publisher.start()
    yield publisher
    await publisher.stop()


async def committed_offsets(bootstrap: str, group: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        tps: list[TopicPartition] = await topic_partitions(bootstrap, topic)
        return sum([(await consumer.committed(tp)) or 0 for tp in tps])
    finally:
        await consumer.stop()


async def consume_in_process(
    bootstrap: str, engine: AsyncEngine, topic: str, records: int
) -> ConsumerRunner:
    runner = ConsumerRunner(
        bootstrap, f"g-{uuid.uuid4().hex[:8]}", [topic], async_sessionmaker(engine),
        count_loan_effect,
    )
    task = asyncio.create_task(runner.run())
    async with asyncio.timeout(60):
        while runner.stats.handled + runner.stats.duplicates < records:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    runner.stop()
    await task
    return runner


async def test_a_consumer_killed_between_db_commit_and_offset_commit_applies_each_event_once(
    engine: AsyncEngine, publisher: KafkaEventPublisher, kafka_bootstrap: str,
    topic_factory: Callable[..., str], database_url: str,
) -> None:
    topic, group = topic_factory(), f"g-{uuid.uuid4().hex[:8]}"
    events = loan_events(loans=6, per_loan=5)
    await write_through_outbox(engine, topic, events)
    await drain_outbox(OutboxRelay(engine, publisher))

    code, _ = await run_child(
        "consumer", database_url, kafka_bootstrap, topic, group, str(len(events)),
        "consumer.db_committed",
    )
    assert code == 1
    applied_before_crash = len(await applied_ids(engine))
    assert applied_before_crash > 0  # the effect of the first batch is committed ...
    assert await committed_offsets(kafka_bootstrap, group, topic) == 0  # ... its offsets not

    code, stats = await run_child(
        "consumer", database_url, kafka_bootstrap, topic, group, str(len(events))
    )
    assert code == 0
    assert stats["duplicates"] == applied_before_crash  # really redelivered, then skipped
    assert Counter(await applied_ids(engine)) == Counter({e.id: 1 for e in events})
    assert await loan_counters(engine) == {f"loan-{n}": 5 for n in range(6)}
    assert await committed_offsets(kafka_bootstrap, group, topic) == len(events)


async def test_a_relay_killed_between_publish_and_delete_republishes_and_effects_stay_single(
    engine: AsyncEngine, kafka_bootstrap: str, topic_factory: Callable[..., str],
    database_url: str,
) -> None:
    topic = topic_factory()
    events = loan_events(loans=5, per_loan=4)
    await write_through_outbox(engine, topic, events)

    code, _ = await run_child("relay", database_url, kafka_bootstrap, "relay.published")
    assert code == 1
    assert await outbox_count(engine) == len(events)  # published but not deleted
    assert await end_offsets(kafka_bootstrap, topic) == len(events)

    code, stats = await run_child("relay", database_url, kafka_bootstrap)
    assert code == 0 and stats["published"] == len(events)
    assert await outbox_count(engine) == 0
    assert await end_offsets(kafka_bootstrap, topic) == 2 * len(events)  # every event twice

    runner = await consume_in_process(kafka_bootstrap, engine, topic, 2 * len(events))
    assert runner.stats.duplicates == len(events)
    assert Counter(await applied_ids(engine)) == Counter({e.id: 1 for e in events})
    assert await loan_counters(engine) == {f"loan-{n}": 4 for n in range(5)}


async def test_the_same_event_delivered_twice_changes_the_loan_once(
    engine: AsyncEngine, publisher: KafkaEventPublisher, kafka_bootstrap: str,
    topic_factory: Callable[..., str],
) -> None:
    topic = topic_factory()
    [event] = loan_events(loans=1, per_loan=1)
    async with engine.begin() as conn:
        await add_to_outbox(conn, event, topic)
        await add_to_outbox(conn, event, topic)  # the same event id, written twice
    assert await drain_outbox(OutboxRelay(engine, publisher)) == 2

    runner = await consume_in_process(kafka_bootstrap, engine, topic, 2)
    assert (runner.stats.handled, runner.stats.duplicates) == (1, 1)
    assert await loan_counters(engine) == {"loan-0": 1}
