"""Dead letters, counted as the broker holds them: records in every `<topic>.dlq`. The run
notes the count when it starts and fails the day any new one appears (a dead letter is an
event some service gave up on: something the stack did not do)."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition

from lending_events import TOPIC_BY_SERVICE, dlq_topic
from lending_messaging.kafka_admin import topic_partitions


class DeadLetterCounter:
    """One broker connection for the run; ``close()`` when done."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._bootstrap = bootstrap_servers
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: dict[str, list[TopicPartition]] = {}

    async def counts(self) -> dict[str, int]:
        """Records kept in each dead-letter topic (end offset less log start offset)."""
        if self._consumer is None:
            self._consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap,
                                              group_id=None, enable_auto_commit=False)
            await self._consumer.start()
            for topic in sorted(TOPIC_BY_SERVICE.values()):
                dlq = dlq_topic(topic)
                self._partitions[dlq] = await topic_partitions(self._bootstrap, dlq)
        every = [p for parts in self._partitions.values() for p in parts]
        try:
            ends = await self._consumer.end_offsets(every)
            starts = await self._consumer.beginning_offsets(every)
        except Exception:
            await self.close()  # the broker restarted: reconnect on the next call
            raise
        return {dlq: sum(ends[p] - starts[p] for p in parts)
                for dlq, parts in self._partitions.items()}

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
