"""How far a consumer group is behind its topics, as the broker sees it.

Lag is measured against the group's *committed* offsets, not the consumer's position: the
runner commits an offset only after the record's database transaction committed, so a lag
of zero means every record published so far has had its effect. End offsets are asked of
the partition leaders, so a record acknowledged to its producer a moment ago already counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


class ConsumerLagProbe:
    """Opened on first use and kept open; ``close()`` at shutdown."""

    def __init__(self, bootstrap_servers: str, group_id: str, topics: Sequence[str],
                 **client_options: Any) -> None:
        self.group_id, self.topics = group_id, list(topics)
        self._bootstrap = bootstrap_servers
        self._client_options = client_options
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._partitions: list[TopicPartition] = []
        self._lock = asyncio.Lock()

    async def _open(self) -> None:
        if self._admin is not None:
            return
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=5000,
                                    **self._client_options)
        offsets = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, group_id=None,
                                   enable_auto_commit=False, request_timeout_ms=5000,
                                   **self._client_options)
        await admin.start()
        try:
            await offsets.start()
        except Exception:
            await admin.close()
            raise
        self._admin, self._offsets = admin, offsets

    async def _topic_partitions(self) -> list[TopicPartition]:
        assert self._admin is not None
        described = await self._admin.describe_topics(self.topics)
        return sorted(TopicPartition(t["topic"], p["partition"])
                      for t in described for p in t.get("partitions", []))

    async def lag_by_topic(self) -> dict[str, int]:
        """Records published to each topic that the group has not yet committed past."""
        done, ends = await self.offsets()
        lag = dict.fromkeys(self.topics, 0)
        for tp, end in ends.items():
            lag[tp.topic] += max(0, end - done[tp])
        return lag

    async def offsets(self) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
        """(how far the group has committed, the end) per partition, asked in that order
        reversed: the ends first, so ``done >= end`` proves every record published before
        the call has had its effect."""
        async with self._lock:
            try:
                await self._open()
                assert self._admin is not None and self._offsets is not None
                if not self._partitions:
                    self._partitions = await self._topic_partitions()
                ends = await self._offsets.end_offsets(self._partitions)
                committed = await self._admin.list_consumer_group_offsets(self.group_id)
                starts = await self._offsets.beginning_offsets(self._partitions)
            except Exception:
                await self.close()  # reopened on the next call (a broker restart)
                raise
        done = {}
        for tp in self._partitions:
            mark = committed.get(tp)
            done[tp] = mark.offset if mark is not None and mark.offset >= 0 else starts[tp]
        return done, dict(ends)

    async def topic_sizes(self, topics: Sequence[str]) -> dict[str, int]:
        """Records each topic holds now (end minus beginning offsets); a topic that does
        not exist yet (a dead-letter topic before its first letter) is left out."""
        async with self._lock:
            try:
                await self._open()
                assert self._admin is not None and self._offsets is not None
                described = await self._admin.describe_topics(list(topics))
                partitions = [TopicPartition(t["topic"], p["partition"]) for t in described
                              if not t.get("error_code") for p in t.get("partitions", [])]
                if not partitions:
                    return {}
                ends = await self._offsets.end_offsets(partitions)
                starts = await self._offsets.beginning_offsets(partitions)
            except Exception:
                await self.close()
                raise
        sizes: dict[str, int] = {}
        for tp in partitions:
            sizes[tp.topic] = sizes.get(tp.topic, 0) + max(0, ends[tp] - starts[tp])
        return sizes

    async def close(self) -> None:
        admin, offsets = self._admin, self._offsets
        self._admin = self._offsets = None
        self._partitions = []
        if offsets is not None:
            await offsets.stop()
        if admin is not None:
            await admin.close()
