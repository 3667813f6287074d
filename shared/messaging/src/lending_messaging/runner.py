"""ConsumerRunner: a Kafka consumer group member that feeds batches to the MessageProcessor.

Offsets are committed explicitly, per batch, only after the batch's database transaction
committed; never auto-commit, never "wherever the consumer is".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from sqlalchemy.ext.asyncio import AsyncSession

from lending_messaging.inbox import PostgresInbox
from lending_messaging.kafka_publisher import KafkaEventPublisher
from lending_messaging.ports import (
    BatchHandler,
    ConsumedRecord,
    EventPublisher,
    FaultHook,
    Handler,
    Inbox,
)
from lending_messaging.processing import MessageProcessor, ProcessingStats, RetryPolicy

log = logging.getLogger("lending_messaging.consumer")


def _consumed(record: ConsumerRecord[bytes, bytes]) -> ConsumedRecord:
    return ConsumedRecord(
        record.topic, record.partition, record.offset, record.key, record.value or b"",
        tuple(record.headers),
    )


class _CommitOnRevoke(ConsumerRebalanceListener):
    def __init__(self, runner: ConsumerRunner) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: Any) -> None:
        # Wait for the batch in hand: its DB commit and then its offset commit finish
        # before the partitions move, so the next owner starts after what we handled.
        async with self._runner._batch_lock:
            await self._runner._commit_pending(set(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        return None


class ConsumerRunner:
    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        topics: Sequence[str],
        session_factory: Callable[[], AsyncSession],
        handler: Handler | None,
        *,
        batch_handler: BatchHandler | None = None,
        dead_letters: EventPublisher | None = None,
        inbox: Inbox | None = None,
        retry: RetryPolicy | None = None,
        max_records: int = 500,
        poll_timeout_ms: int = 200,
        fault_hook: FaultHook | None = None,
        **consumer_options: Any,
    ) -> None:
        self.group_id = group_id
        self._topics = list(topics)
        self._own_dead_letters = dead_letters is None
        self._dead_letters = dead_letters or KafkaEventPublisher(bootstrap_servers)
        self._processor = MessageProcessor(
            inbox or PostgresInbox(session_factory, group_id),
            handler,
            self._dead_letters,
            retry,
            batch_handler,
        )
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        self._fault = fault_hook or (lambda point: None)
        self._options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "group_id": group_id,
            "auto_offset_reset": "earliest",
            "max_poll_interval_ms": 300_000,
            "fetch_max_wait_ms": 100,
            "max_partition_fetch_bytes": 4 * 1024 * 1024,
            **consumer_options,
            "enable_auto_commit": False,
        }
        self._consumer: AIOKafkaConsumer | None = None
        self._batch_lock = asyncio.Lock()
        self._pending: dict[TopicPartition, int] = {}
        self._stopping = asyncio.Event()
        self.started = asyncio.Event()

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    @property
    def stats(self) -> ProcessingStats:
        return self._processor.stats

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member owns right now (empty before it joined)."""
        return set(self._consumer.assignment()) if self._consumer is not None else set()

    def stop(self) -> None:
        """Graceful: the batch in hand finishes and is committed, then the group is left."""
        self._stopping.set()

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(**self._options)
        consumer.subscribe(self._topics, listener=_CommitOnRevoke(self))
        self._consumer = consumer
        if self._own_dead_letters:
            await self._dead_letters.start()
        await consumer.start()
        self.started.set()
        try:
            while not self._stopping.is_set():
                batches = await consumer.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=self._max_records
                )
                if batches:
                    async with self._batch_lock:
                        await self._handle(consumer, batches)
        finally:
            async with self._batch_lock:
                await self._commit_pending(None)
            await consumer.stop()  # leaves the group: partitions move on at once
            if self._own_dead_letters:
                await self._dead_letters.stop()
            self._consumer = None

    async def _handle(
        self,
        consumer: AIOKafkaConsumer,
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    ) -> None:
        # Records fetched before a rebalance took their partition away belong to the new
        # owner now; handling them would be safe (inbox) but wasted.
        assigned = consumer.assignment()
        owned = {tp: records for tp, records in batches.items() if tp in assigned and records}
        if not owned:
            return
        await self._processor.process([_consumed(r) for rs in owned.values() for r in rs])
        for tp, records in owned.items():
            self._pending[tp] = records[-1].offset + 1
        self._fault("consumer.db_committed")
        await self._commit_pending(None)

    async def _commit_pending(self, only: set[TopicPartition] | None) -> None:
        consumer = self._consumer
        offsets = {tp: o for tp, o in self._pending.items() if only is None or tp in only}
        if consumer is None or not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError) as exc:
            # The partitions moved on without us: the next owner re-reads from the last
            # committed offset and the inbox turns those redeliveries into no-ops.
            log.warning("offset commit failed (%r); redelivery will be deduplicated", exc)
        for tp in offsets:
            self._pending.pop(tp, None)
