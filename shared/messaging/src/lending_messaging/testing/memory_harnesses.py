"""Harnesses for the in-memory fakes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from lending_events import Envelope, dlq_topic
from lending_messaging.inbox import InMemoryInbox
from lending_messaging.memory_broker import InMemoryBroker
from lending_messaging.memory_consumer import InMemoryConsumer
from lending_messaging.ports import ConsumedRecord, Handler, Inbox, OutgoingMessage
from lending_messaging.processing import ProcessingStats
from lending_messaging.testing.harnesses import (
    ConsumerHarness,
    InboxHarness,
    PublisherHarness,
    StopWhen,
)


class MemoryPublisherHarness(PublisherHarness):
    def __init__(self) -> None:
        self.publisher = self.broker = InMemoryBroker(partitions=3, auto_create=False)
        self._names = itertools.count()

    def new_topic(self) -> str:
        name = f"test.{next(self._names)}"
        self.broker.create_topic(name)
        self.broker.create_topic(dlq_topic(name))
        return name

    async def read(self, topic: str, count: int) -> list[ConsumedRecord]:
        return self.broker.records(topic)[:count]


class MemoryInboxHarness(InboxHarness):
    def __init__(self) -> None:
        self._inboxes: dict[str, InMemoryInbox] = {}

    def inbox(self, group_id: str) -> Inbox:
        return self._inboxes.setdefault(group_id, InMemoryInbox(group_id))


class RecordingSession:
    """A service's fake unit of work in miniature: effects count only once committed."""

    def __init__(self) -> None:
        self.staged: list[str] = []


class MemoryConsumerHarness(ConsumerHarness):
    def __init__(self) -> None:
        self.broker = InMemoryBroker(partitions=3)
        self.topic = "test.consumer"
        self._committed: list[str] = []

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[RecordingSession]:
        session = RecordingSession()
        yield session
        self._committed.extend(session.staged)

    async def publish(self, records: list[tuple[bytes, bytes]]) -> None:
        await self.broker.publish([OutgoingMessage(self.topic, k, v) for k, v in records])

    async def record_effect(self, session: Any, envelope: Envelope) -> None:
        session.staged.append(envelope.id)

    async def effects(self) -> list[str]:
        return list(self._committed)

    async def dead_letters(self, count: int) -> list[ConsumedRecord]:
        return self.broker.records(dlq_topic(self.topic))[:count]

    async def consume(self, handler: Handler, stop_when: StopWhen) -> ProcessingStats:
        consumer = InMemoryConsumer(
            self.broker, "test-group", [self.topic], handler, session_factory=self._session
        )
        for _ in range(100):
            await consumer.drain()
            if await stop_when(consumer.stats):
                break
            await asyncio.sleep(0)
        return consumer.stats
