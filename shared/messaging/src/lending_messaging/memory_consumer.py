"""InMemoryConsumer: the runner's logic (inbox, concurrent lanes, batches, retries, dead
letters) against the InMemoryBroker, so a service's unit tests can drive its real handlers
without Kafka."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from lending_messaging.inbox import InMemoryInbox
from lending_messaging.lanes import Lanes
from lending_messaging.memory_broker import InMemoryBroker
from lending_messaging.ports import (
    Admission,
    BatchHandler,
    ConsumedRecord,
    Handler,
    Inbox,
    LockOrder,
)
from lending_messaging.processing import (
    MessageProcessor,
    Prepare,
    ProcessingStats,
    RetryPolicy,
)

FAST_RETRY = RetryPolicy(attempts=3, initial_wait=0.0, max_wait=0.0)


class InMemoryConsumer:
    """A group member that owns every partition. Restarting (a new instance on the same
    broker and inbox) resumes from the committed offsets, as a Kafka consumer would.

    ``concurrency`` defaults to one lane (the Kafka runner's default is 8): a service's
    in-memory fakes rarely isolate concurrent transactions from each other; pass more lanes
    to test handlers that are meant to."""

    def __init__(
        self,
        broker: InMemoryBroker,
        group_id: str,
        topics: Sequence[str],
        handler: Handler | None,
        *,
        batch_handler: BatchHandler | None = None,
        inbox: Inbox | None = None,
        session_factory: Callable[[], AbstractAsyncContextManager[Any]] | None = None,
        retry: RetryPolicy = FAST_RETRY,
        max_records: int = 500,
        concurrency: int = 1,
        prepare: Prepare | None = None,
        lock_order: LockOrder | None = None,
        admission: Admission | None = None,
        handles: Collection[str] | None = None,
    ) -> None:
        self.group_id = group_id
        self._broker = broker
        self._topics = list(topics)
        self.inbox = inbox or InMemoryInbox(group_id, session_factory)
        self._processor = MessageProcessor(
            self.inbox, handler, broker, retry, batch_handler, prepare=prepare,
            lock_order=lock_order, admission=admission, handles=handles,
        )
        self._lanes = Lanes(self._processor, concurrency, max_records)
        self._max_records = max_records
        self._positions: dict[tuple[str, int], int] = {}
        self._stopping = asyncio.Event()

    @property
    def stats(self) -> ProcessingStats:
        return self._processor.stats

    def _fetch(self) -> list[ConsumedRecord]:
        fetched: list[ConsumedRecord] = []
        for topic in self._topics:
            for partition in range(self._broker.partition_count(topic)):
                if len(fetched) >= self._max_records:
                    return fetched
                tp = (topic, partition)
                position = self._positions.setdefault(
                    tp, self._broker.committed(self.group_id, topic, partition)
                )
                records = self._broker.read(
                    topic, partition, position, self._max_records - len(fetched)
                )
                fetched.extend(records)
                self._positions[tp] = position + len(records)
        return fetched

    async def poll_once(self) -> int:
        """Handles one batch and commits its offsets; returns how many records it held."""
        records = self._fetch()
        if not records:
            return 0
        self._lanes.submit(records)
        await self._lanes.drain()
        offsets = self._lanes.tracker.committable()
        self._broker.commit(self.group_id, offsets)
        self._lanes.tracker.committed(offsets)
        if self._lanes.failure is not None:
            raise self._lanes.failure
        return len(records)

    async def drain(self) -> int:
        """Handles everything available now, including events its own handlers publish to
        subscribed topics; returns the number of records handled."""
        total = 0
        while n := await self.poll_once():
            total += n
        return total

    def stop(self) -> None:
        self._stopping.set()

    async def run(self, idle_sleep: float = 0.01) -> None:
        while not self._stopping.is_set():
            if not await self.poll_once():
                await asyncio.sleep(idle_sleep)
