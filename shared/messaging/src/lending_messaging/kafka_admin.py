"""Topic metadata look-ups shared by the DLQ tooling and the tests."""

from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


class UnknownTopicError(LookupError):
    pass


async def topic_partitions(bootstrap_servers: str, topic: str,
                           **client_options: Any) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **client_options)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described["error_code"] != 0 or not described["partitions"]:
        raise UnknownTopicError(f"no topic {topic!r} (error code {described['error_code']})")
    return sorted(TopicPartition(topic, p["partition"]) for p in described["partitions"])
