"""InMemoryBroker: a fake Kafka for unit tests (topics of partitions, keys, group offsets)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka.partitioner import murmur2

from lending_events import Envelope
from lending_messaging.ports import ConsumedRecord, EventPublisher, OutgoingMessage, PublishError


class UnknownTopicError(PublishError):
    pass


@dataclass
class _Topic:
    partitions: list[list[ConsumedRecord]]
    log: list[ConsumedRecord] = field(default_factory=list)  # every record, in publish order


class InMemoryBroker(EventPublisher):
    """Partitions by key like Kafka's default partitioner (murmur2), so one key stays on one
    partition, in order. ``auto_create`` mirrors a broker with auto-created topics; ours has
    none, so set it False to catch a missing topic in a test."""

    def __init__(self, partitions: int = 3, *, auto_create: bool = True) -> None:
        self.default_partitions = partitions
        self.auto_create = auto_create
        self._topics: dict[str, _Topic] = {}
        self._committed: dict[tuple[str, str, int], int] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def create_topic(self, name: str, partitions: int | None = None) -> None:
        if name not in self._topics:
            count = partitions or self.default_partitions
            self._topics[name] = _Topic([[] for _ in range(count)])

    def _topic(self, name: str) -> _Topic:
        if name not in self._topics:
            if not self.auto_create:
                raise UnknownTopicError(f"unknown topic {name!r}")
            self.create_topic(name)
        return self._topics[name]

    def partition_for(self, topic: str, key: bytes | None) -> int:
        count = len(self._topic(topic).partitions)
        if key is None:
            return len(self._topic(topic).log) % count
        return (murmur2(key) & 0x7FFFFFFF) % count

    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        for message in batch:  # validate first: a batch is all-or-nothing here
            self._topic(message.topic)
        for message in batch:
            topic = self._topic(message.topic)
            partition = self.partition_for(message.topic, message.key)
            records = topic.partitions[partition]
            record = ConsumedRecord(
                message.topic, partition, len(records), message.key, message.value,
                message.headers,
            )
            records.append(record)
            topic.log.append(record)

    # --- reading, for consumers and assertions -------------------------------------------
    def topics(self) -> list[str]:
        return list(self._topics)

    def partition_count(self, topic: str) -> int:
        return len(self._topic(topic).partitions)

    def records(self, topic: str) -> list[ConsumedRecord]:
        """Every record of the topic, in publish order."""
        return list(self._topic(topic).log)

    def envelopes(self, topic: str) -> list[Envelope]:
        return [Envelope.from_bytes(r.value) for r in self.records(topic)]

    def read(self, topic: str, partition: int, offset: int, limit: int) -> list[ConsumedRecord]:
        return self._topic(topic).partitions[partition][offset : offset + limit]

    def committed(self, group_id: str, topic: str, partition: int) -> int:
        return self._committed.get((group_id, topic, partition), 0)

    def commit(self, group_id: str, offsets: dict[tuple[str, int], int]) -> None:
        for (topic, partition), offset in offsets.items():
            self._committed[(group_id, topic, partition)] = offset

    def lag(self, group_id: str, topic: str) -> int:
        parts = self._topic(topic).partitions
        return sum(len(p) - self.committed(group_id, topic, i) for i, p in enumerate(parts))
