"""The publisher puts each key where aiokafka's own ``send`` would (its default murmur2
partitioner), also when the key's partition comes from its cache the second time."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiokafka.partitioner import DefaultPartitioner

from lending_messaging import KafkaEventPublisher
from lending_messaging.ports import OutgoingMessage
from lending_messaging.testing.real_harnesses import read_records

pytestmark = pytest.mark.integration


async def test_each_key_lands_on_the_default_partitioners_partition_every_time(
    kafka_bootstrap: str, topic_factory: Callable[..., str],
) -> None:
    topic = topic_factory(partitions=5)
    keys = [f"loan-{n}".encode() for n in range(40)]
    publisher = KafkaEventPublisher(kafka_bootstrap)
    await publisher.start()
    try:
        for round_ in range(2):  # the second round's partitions come from the cache
            await publisher.publish([OutgoingMessage(topic, k, b"%d" % round_) for k in keys])
    finally:
        await publisher.stop()

    records = await read_records(kafka_bootstrap, topic, 2 * len(keys))
    expected = {k: DefaultPartitioner()(k, list(range(5)), list(range(5))) for k in keys}
    assert len(records) == 2 * len(keys)
    assert {(r.key, r.partition) for r in records} == set(expected.items())
    assert len(set(expected.values())) > 1  # the keys really spread
