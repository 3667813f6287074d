"""The real EventPublisher: an idempotent aiokafka producer waiting for acks from all replicas."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from lending_messaging.ports import EventPublisher, OutgoingMessage, PublishError

_PARTITIONER = DefaultPartitioner()
# Keys remembered per (topic, partition count): a loan's events come many times, and
# aiokafka's murmur2 is pure Python (several µs a key). Bounded: cleared when full.
_KEY_CACHE_SIZE = 100_000


class KafkaEventPublisher(EventPublisher):
    def __init__(
        self,
        bootstrap_servers: str,
        *,
        linger_ms: int = 5,
        max_batch_size: int = 512 * 1024,
        request_timeout_ms: int = 30_000,
        **producer_options: Any,
    ) -> None:
        self._options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "linger_ms": linger_ms,
            "max_batch_size": max_batch_size,
            "request_timeout_ms": request_timeout_ms,
            **producer_options,
            # aiokafka defaults to acks=1 without idempotence: a leader failover could
            # then lose or duplicate-and-reorder an acknowledged event. Not negotiable.
            "acks": "all",
            "enable_idempotence": True,
        }
        self._producer: AIOKafkaProducer | None = None
        self._wanted = False  # started and not stopped: publish() connects if need be
        self._partition_of: dict[tuple[str, int], dict[bytes | None, int]] = {}

    async def start(self) -> None:
        """Raises if the broker does not answer; ``publish`` then tries again itself (a
        service starts and serves through a broker outage: its outbox holds the events)."""
        self._wanted = True
        if self._producer is None:
            producer = AIOKafkaProducer(**self._options)
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer

    async def stop(self) -> None:
        self._wanted = False
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        if self._producer is None and self._wanted:
            try:
                await self.start()
            except (KafkaError, OSError) as exc:
                raise PublishError(f"broker unavailable: {type(exc).__name__}: {exc}") from exc
        producer = self._producer
        if producer is None:
            raise PublishError("publisher not started")
        try:
            futures = [
                await producer.send_batch(builder, topic, partition=partition)
                for (topic, partition), builder in await self._record_batches(producer, batch)
            ]
            results = await asyncio.gather(*futures, return_exceptions=True)
        except KafkaError as exc:
            raise PublishError(f"{type(exc).__name__}: {exc}") from exc
        for result in results:
            if isinstance(result, BaseException):
                raise PublishError(f"{type(result).__name__}: {result}") from result

    async def _record_batches(
        self, producer: AIOKafkaProducer, batch: Sequence[OutgoingMessage]
    ) -> list[tuple[tuple[str, int], Any]]:
        """The messages as record batches per partition, in order.

        One ``send_batch`` per partition instead of one ``send`` per message: the relay's
        per-event cost halves. The partition comes from the producer's own default
        partitioner (murmur2 of the key), so a loan lands where ``send`` would put it.
        """
        known: dict[str, tuple[list[int], dict[bytes | None, int]]] = {}
        builders: list[tuple[tuple[str, int], Any]] = []
        open_builder: dict[tuple[str, int], Any] = {}
        for m in batch:
            if m.topic not in known:
                every = sorted(await producer.partitions_for(m.topic))
                cache = self._partition_of.setdefault((m.topic, len(every)), {})
                if len(cache) >= _KEY_CACHE_SIZE:
                    cache.clear()
                known[m.topic] = every, cache
            every, cache = known[m.topic]
            partition = cache.get(m.key)
            if partition is None:
                partition = cache[m.key] = _PARTITIONER(m.key, every, every)
            tp = (m.topic, partition)
            builder = open_builder.get(tp)
            if builder is None or builder.append(
                key=m.key, value=m.value, timestamp=None, headers=list(m.headers)
            ) is None:
                builder = producer.create_batch()
                if builder.append(
                    key=m.key, value=m.value, timestamp=None, headers=list(m.headers)
                ) is None:
                    raise PublishError(f"a message of {len(m.value)} bytes exceeds a batch")
                open_builder[tp] = builder
                builders.append((tp, builder))
        for _, builder in builders:
            builder.close()
        return builders
