"""The devstack gives tests a real PostgreSQL server and a real Kafka broker."""

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

pytestmark = pytest.mark.integration


async def test_each_test_gets_its_own_real_postgres_database(database_url: str) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        version = await conn.fetchval("SHOW server_version_num")
        assert int(version) >= 180000
        assert (await conn.fetchval("SELECT current_database()")).startswith("test_")
    finally:
        await conn.close()


async def test_a_message_produced_to_the_real_broker_comes_back(topic_factory, kafka_bootstrap):
    topic = topic_factory(partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all",
                                enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"loan-1")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000)
        values = [(m.key, m.value) for msgs in batch.values() for m in msgs]
        assert values == [(b"loan-1", b"hello")]
    finally:
        await consumer.stop()
