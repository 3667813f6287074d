"""Harnesses for the real adapters: Kafka and PostgreSQL from the devstack fixtures."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from lending_events import Envelope, dlq_topic
from lending_messaging.inbox import PostgresInbox
from lending_messaging.kafka_admin import topic_partitions
from lending_messaging.kafka_publisher import KafkaEventPublisher
from lending_messaging.ports import ConsumedRecord, Handler, Inbox, OutgoingMessage
from lending_messaging.processing import ProcessingStats, RetryPolicy
from lending_messaging.runner import ConsumerRunner
from lending_messaging.tables import create_tables
from lending_messaging.testing.harnesses import (
    ConsumerHarness,
    InboxHarness,
    PublisherHarness,
    StopWhen,
)

FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05)


async def read_records(
    bootstrap: str, topic: str, count: int, wait_seconds: float = 30.0
) -> list[ConsumedRecord]:
    """Reads the first ``count`` records of every partition of ``topic`` (no group)."""
    tps = await topic_partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[ConsumedRecord] = []
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while len(found) < count and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found.extend(
                    ConsumedRecord(r.topic, r.partition, r.offset, r.key, r.value or b"",
                                   tuple(r.headers))
                    for r in records
                )
        return found
    finally:
        await consumer.stop()


async def end_offsets(bootstrap: str, topic: str) -> int:
    """The number of records ever written to ``topic`` (sum of its partitions' end offsets)."""
    tps = await topic_partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        return sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()


class KafkaPublisherHarness(PublisherHarness):
    def __init__(self, bootstrap: str, topic_factory: Callable[..., str]) -> None:
        self.publisher = KafkaEventPublisher(bootstrap)
        self._bootstrap = bootstrap
        self._topic_factory = topic_factory

    def new_topic(self) -> str:
        return self._topic_factory(partitions=3)

    async def read(self, topic: str, count: int) -> list[ConsumedRecord]:
        return await read_records(self._bootstrap, topic, count)


class PostgresInboxHarness(InboxHarness):
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    def inbox(self, group_id: str) -> Inbox:
        return PostgresInbox(self._sessions, group_id)


async def prepared_engine(database_url: str) -> AsyncEngine:
    engine = create_async_engine(database_url)
    await create_tables(engine)
    return engine


class RealConsumerHarness(ConsumerHarness):
    def __init__(self, bootstrap: str, topic: str, engine: AsyncEngine) -> None:
        self.topic = topic
        self._bootstrap = bootstrap
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._publisher = KafkaEventPublisher(bootstrap)

    async def setup(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(text("CREATE TABLE effects (event_id text NOT NULL)"))
        await self._publisher.start()

    async def teardown(self) -> None:
        await self._publisher.stop()

    async def publish(self, records: list[tuple[bytes, bytes]]) -> None:
        await self._publisher.publish([OutgoingMessage(self.topic, k, v) for k, v in records])

    async def record_effect(self, session: Any, envelope: Envelope) -> None:
        await session.execute(text("INSERT INTO effects VALUES (:id)"), {"id": envelope.id})

    async def effects(self) -> list[str]:
        async with self._engine.connect() as conn:
            return list((await conn.execute(text("SELECT event_id FROM effects"))).scalars())

    async def dead_letters(self, count: int) -> list[ConsumedRecord]:
        return await read_records(self._bootstrap, dlq_topic(self.topic), count)

    async def consume(self, handler: Handler, stop_when: StopWhen) -> ProcessingStats:
        runner = ConsumerRunner(
            self._bootstrap, f"group-{uuid.uuid4().hex[:8]}", [self.topic], self._sessions,
            handler, dead_letters=self._publisher, retry=FAST_RETRY,
        )
        task = asyncio.create_task(runner.run())
        try:
            async with asyncio.timeout(60):
                while not await stop_when(runner.stats):
                    if task.done():
                        task.result()
                    await asyncio.sleep(0.05)
        finally:
            runner.stop()
            await task
        return runner.stats
