"""Creates every topic and dead-letter topic of the registry, idempotently."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from lending_events import all_topics


async def ensure_topics(
    bootstrap: str, partitions: int, names: list[str] | None = None, wait: float = 60.0
) -> list[str]:
    """Creates the missing topics; returns those it created. Waits for the broker to answer."""
    wanted = names if names is not None else all_topics()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                )
            except TopicAlreadyExistsError:
                pass  # another process created them between our list and create
        return missing
    finally:
        await admin.close()
