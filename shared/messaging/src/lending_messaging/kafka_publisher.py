"""The real EventPublisher: an idempotent aiokafka producer waiting for acks from all replicas."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from lending_messaging.ports import EventPublisher, OutgoingMessage, PublishError


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

    async def start(self) -> None:
        if self._producer is None:
            producer = AIOKafkaProducer(**self._options)
            await producer.start()
            self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        if self._producer is None:
            raise PublishError("publisher not started")
        try:
            # send() only enqueues (in order, per partition); then wait for every ack.
            futures = [
                await self._producer.send(m.topic, m.value, key=m.key, headers=list(m.headers))
                for m in batch
            ]
            results = await asyncio.gather(*futures, return_exceptions=True)
        except KafkaError as exc:
            raise PublishError(f"{type(exc).__name__}: {exc}") from exc
        for result in results:
            if isinstance(result, BaseException):
                raise PublishError(f"{type(result).__name__}: {result}") from result
