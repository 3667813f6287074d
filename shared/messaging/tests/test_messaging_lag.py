"""The lag probe sees what a consumer group has not yet committed past, as the broker does."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from lending_messaging.lag import ConsumerLagProbe

pytestmark = pytest.mark.integration


async def test_lag_counts_records_until_the_group_commits_past_them(kafka_bootstrap,
                                                                    topic_factory):
    topic = topic_factory("lag", partitions=2)
    group = f"lag-{uuid.uuid4().hex[:8]}"
    probe = ConsumerLagProbe(kafka_bootstrap, group, [topic])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all",
                                enable_idempotence=True)
    await producer.start()
    try:
        assert await probe.lag_by_topic() == {topic: 0}
        for n in range(5):
            await producer.send_and_wait(topic, b"x", key=str(n).encode(), partition=n % 2)
        assert await probe.lag_by_topic() == {topic: 5}  # acknowledged means counted

        consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap, group_id=group,
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        await consumer.start()
        try:
            seen = 0
            while seen < 5:
                batches = await consumer.getmany(timeout_ms=1000)
                seen += sum(len(records) for records in batches.values())
            assert await probe.lag_by_topic() == {topic: 5}  # read is not done
            await consumer.commit({TopicPartition(topic, 0): 3})
            assert await probe.lag_by_topic() == {topic: 2}
            await consumer.commit()
            assert await probe.lag_by_topic() == {topic: 0}
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
        await probe.close()
