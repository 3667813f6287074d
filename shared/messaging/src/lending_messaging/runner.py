"""ConsumerRunner: a Kafka consumer group member that feeds records to concurrent lanes.

Offsets are committed explicitly, only up to the lowest record of each partition whose
database transaction has not committed yet; never auto-commit, never "wherever the
consumer is".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from sqlalchemy.ext.asyncio import AsyncSession

from lending_messaging.inbox import PostgresInbox
from lending_messaging.kafka_publisher import KafkaEventPublisher
from lending_messaging.lanes import DEFAULT_CONCURRENCY, Lanes
from lending_messaging.ports import (
    Admission,
    BatchHandler,
    ConsumedRecord,
    EventPublisher,
    FaultHook,
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
        await self._runner._hand_back(set(revoked))

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self._runner._unanchored |= set(assigned)


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
        concurrency: int = DEFAULT_CONCURRENCY,
        poll_timeout_ms: int = 200,
        commit_interval: float = 0.05,
        fault_hook: FaultHook | None = None,
        lock_order: LockOrder | None = None,
        admission: Admission | None = None,
        handles: Collection[str] | None = None,
        **consumer_options: Any,
    ) -> None:
        """``concurrency``: how many transactions run at once (records of one key never
        run concurrently; services: ``<SERVICE>_CONSUMER_CONCURRENCY``); keep it below the
        database pool size. ``handles``: the event types the handler acts on; records
        whose type header names another are committed past undecoded (``processing``).
        ``max_records``: the most
        records in hand at once, and the largest batch one transaction takes.
        ``lock_order``: see ``ports.LockOrder``; ``admission``: ``ports.Admission``."""
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
            lock_order=lock_order,
            admission=admission,
            handles=handles,
        )
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        self._commit_interval = commit_interval
        self._fault = fault_hook or (lambda point: None)
        self._lanes = Lanes(
            self._processor, concurrency, max_records,
            after_batch=lambda: self._fault("consumer.db_committed"),
        )
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
        # Partitions assigned but not yet checked for a committed offset (see _anchor).
        self._unanchored: set[TopicPartition] = set()
        self._not_revoking = asyncio.Event()
        self._not_revoking.set()
        self._stopping = asyncio.Event()
        self.started = asyncio.Event()
        self.on_received: Callable[[Sequence[ConsumedRecord]], None] | None = None
        """Called with every fetched batch it will handle, before handling (metrics)."""

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    @property
    def stats(self) -> ProcessingStats:
        return self._processor.stats

    @property
    def on_finished(self) -> Callable[[str, str, int], None] | None:
        return self._processor.on_finished

    @on_finished.setter
    def on_finished(self, observer: Callable[[str, str, int], None] | None) -> None:
        """See ``MessageProcessor.on_finished``."""
        self._processor.on_finished = observer

    @property
    def prepare(self) -> Prepare | None:
        return self._processor.prepare

    @prepare.setter
    def prepare(self, prepare: Prepare | None) -> None:
        """See ``processing.Prepare``; set it before ``run()``."""
        self._processor.prepare = prepare

    @property
    def concurrency(self) -> int:
        return self._lanes.concurrency

    def assignment(self) -> set[TopicPartition]:
        """The partitions this member owns right now (empty before it joined)."""
        return set(self._consumer.assignment()) if self._consumer is not None else set()

    def stop(self) -> None:
        """Graceful: the records in hand finish and are committed, then the group is left."""
        self._stopping.set()

    async def run(self) -> None:
        consumer = AIOKafkaConsumer(**self._options)
        consumer.subscribe(self._topics, listener=_CommitOnRevoke(self))
        self._consumer = consumer
        if self._own_dead_letters:
            await self._dead_letters.start()
        await consumer.start()
        self.started.set()
        next_commit = 0.0
        try:
            while not self._stopping.is_set():
                room = await self._lanes.room(self._max_records)
                batches = await consumer.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=room
                )
                await self._not_revoking.wait()
                if self._unanchored:
                    await self._anchor(consumer, batches)
                self._submit(consumer, batches)
                if time.monotonic() >= next_commit:  # a crash re-delivers (inbox) at most this
                    await self._commit(None)
                    next_commit = time.monotonic() + self._commit_interval
        except asyncio.CancelledError:
            await self._lanes.cancel()  # rolled back: those records come again
            raise
        finally:
            await self._lanes.drain()
            await self._commit(None)
            await consumer.stop()  # leaves the group: partitions move on at once
            if self._own_dead_letters:
                await self._dead_letters.stop()
            self._consumer = None
        if self._lanes.failure is not None:
            raise self._lanes.failure

    async def _anchor(
        self,
        consumer: AIOKafkaConsumer,
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    ) -> None:
        """Commits where the group starts on a partition it has never committed on (the
        first record fetched, or the position when none was): with ``latest`` that is the
        end at assignment, which nothing else would ever record. So the committed offsets
        always tell how far the group has come (the lag probe, credential freshness)."""
        assigned = consumer.assignment()
        for tp in list(self._unanchored):
            self._unanchored.discard(tp)
            if tp not in assigned:
                continue
            try:
                if await consumer.committed(tp) is not None:
                    continue
                records = batches.get(tp)
                start = records[0].offset if records else await consumer.position(tp)
                await consumer.commit({tp: start})
            except (CommitFailedError, IllegalStateError, KafkaError) as exc:
                log.warning("could not record the starting offset of %s (%r)", tp, exc)

    def _submit(
        self,
        consumer: AIOKafkaConsumer,
        batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]],
    ) -> None:
        # Records fetched before a rebalance took their partition away belong to the new
        # owner now; handling them would be safe (inbox) but wasted.
        assigned = consumer.assignment()
        owned = [_consumed(r) for tp, rs in batches.items() if tp in assigned for r in rs]
        if owned:
            if self.on_received is not None:
                self.on_received(owned)
            self._lanes.submit(owned)

    async def _hand_back(self, revoked: set[TopicPartition]) -> None:
        # The records in hand finish (their DB commits, then their offset commits) before
        # the partitions move, so the next owner starts after what we handled; nothing
        # fetched meanwhile is handed to a lane until the assignment is settled.
        self._not_revoking.clear()
        try:
            await self._lanes.drain()
            await self._commit(revoked)
            self._lanes.tracker.forget((tp.topic, tp.partition) for tp in revoked)
        finally:
            self._not_revoking.set()

    async def _commit(self, only: set[TopicPartition] | None) -> None:
        consumer = self._consumer
        safe = self._lanes.tracker.committable()
        offsets = {
            TopicPartition(topic, partition): offset
            for (topic, partition), offset in safe.items()
            if only is None or TopicPartition(topic, partition) in only
        }
        if consumer is None or not offsets:
            return
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError) as exc:
            # The partitions moved on without us: the next owner re-reads from the last
            # committed offset and the inbox turns those redeliveries into no-ops.
            log.warning("offset commit failed (%r); redelivery will be deduplicated", exc)
            return
        self._lanes.tracker.committed({(tp.topic, tp.partition): o for tp, o in offsets.items()})
