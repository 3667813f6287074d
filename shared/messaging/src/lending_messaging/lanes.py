"""Concurrent consumption that keeps each key's order and commits offsets safely.

Records are spread over ``concurrency`` lanes by key (a loan's events share a lane, so
they are handled one after another, in offset order); a lane hands everything that queued
up on it to the MessageProcessor as one batch (one transaction with its inbox claims), and
lanes run concurrently. The OffsetTracker says how far each partition may be committed:
up to its lowest record not yet committed in the database (or dead-lettered), never past
a record still in a lane.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable

from lending_messaging.ports import ConsumedRecord
from lending_messaging.processing import MessageProcessor

log = logging.getLogger("lending_messaging.consumer")

# Enough to overlap the round trips of a few transactions, well below a pool of 10
# connections. Services set theirs with ``<SERVICE>_CONSUMER_CONCURRENCY``.
DEFAULT_CONCURRENCY = 8

TopicPartitionKey = tuple[str, int]


class OffsetTracker:
    """Per partition: the offsets handed out and not finished, and the next offset after
    the last one seen. Records of a partition arrive in offset order."""

    def __init__(self) -> None:
        self._open: dict[TopicPartitionKey, dict[int, None]] = {}
        self._next: dict[TopicPartitionKey, int] = {}
        self._committed: dict[TopicPartitionKey, int] = {}

    def started(self, record: ConsumedRecord) -> None:
        tp = (record.topic, record.partition)
        self._open.setdefault(tp, {})[record.offset] = None
        self._next[tp] = record.offset + 1

    def finished(self, records: Iterable[ConsumedRecord]) -> None:
        for r in records:
            open_offsets = self._open.get((r.topic, r.partition))
            if open_offsets is not None:
                open_offsets.pop(r.offset, None)

    def committable(self) -> dict[TopicPartitionKey, int]:
        """Offsets to commit now: moved since the last ``committed`` and safe (every record
        below each is finished)."""
        out: dict[TopicPartitionKey, int] = {}
        for tp, after_last in self._next.items():
            open_offsets = self._open.get(tp)
            safe = next(iter(open_offsets)) if open_offsets else after_last
            if safe > self._committed.get(tp, -1):
                out[tp] = safe
        return out

    def committed(self, offsets: dict[TopicPartitionKey, int]) -> None:
        for tp, offset in offsets.items():
            self._committed[tp] = max(offset, self._committed.get(tp, -1))

    def forget(self, tps: Iterable[TopicPartitionKey]) -> None:
        """A partition moved to another member: its next records are not ours to track."""
        for tp in tps:
            self._open.pop(tp, None)
            self._next.pop(tp, None)
            self._committed.pop(tp, None)


class Lanes:
    def __init__(
        self,
        processor: MessageProcessor,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_batch: int = 500,
        after_batch: Callable[[], None] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._processor = processor
        self._max_batch = max_batch
        self._after_batch = after_batch or (lambda: None)
        self._queues: list[deque[ConsumedRecord]] = [deque() for _ in range(concurrency)]
        self._tasks: list[asyncio.Task[None] | None] = [None] * concurrency
        self._progress = asyncio.Event()
        self.tracker = OffsetTracker()
        self.in_flight = 0
        self.failure: BaseException | None = None

    @property
    def concurrency(self) -> int:
        return len(self._queues)

    def lane_of(self, record: ConsumedRecord) -> int:
        # Same key, same lane (across topics too: a loan's events on two topics never race
        # each other in the database); no key: the partition's order is the order.
        key = record.key if record.key is not None else (record.topic, record.partition)
        return hash(key) % len(self._queues)

    def submit(self, records: Iterable[ConsumedRecord]) -> None:
        if self.failure is not None:
            raise self.failure
        for record in records:
            self.tracker.started(record)
            self.in_flight += 1
            lane = self.lane_of(record)
            self._queues[lane].append(record)
            if self._tasks[lane] is None:
                self._tasks[lane] = asyncio.create_task(self._run_lane(lane))

    async def _run_lane(self, lane: int) -> None:
        queue = self._queues[lane]
        batch: list[ConsumedRecord] = []
        try:
            while queue:
                batch = [queue.popleft() for _ in range(min(len(queue), self._max_batch))]
                await self._processor.process(batch)
                self.tracker.finished(batch)
                self.in_flight -= len(batch)
                batch = []
                self._after_batch()
                self._progress.set()
        except BaseException as exc:
            # A lost database or broker (or cancellation): this lane's records stay
            # unfinished, so no offset is ever committed past them; the runner stops.
            if self.failure is None and not isinstance(exc, asyncio.CancelledError):
                self.failure = exc
            self.in_flight -= len(batch) + len(queue)
            queue.clear()
            self._progress.set()
            if isinstance(exc, asyncio.CancelledError):
                raise
        finally:
            self._tasks[lane] = None

    async def room(self, limit: int) -> int:
        """Waits until fewer than ``limit`` records are in flight; returns how many fit."""
        while self.in_flight >= limit and self.failure is None:
            self._progress.clear()
            await self._progress.wait()
        if self.failure is not None:
            raise self.failure
        return limit - self.in_flight

    async def drain(self) -> None:
        """Waits for every record in hand: committed, dead-lettered or failed."""
        while running := [t for t in self._tasks if t is not None]:
            await asyncio.wait(running)

    async def cancel(self) -> None:
        running = [t for t in self._tasks if t is not None]
        for t in running:
            t.cancel()
        await asyncio.gather(*running, return_exceptions=True)
