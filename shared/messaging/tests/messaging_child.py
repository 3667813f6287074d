"""A relay or consumer in its own process, so tests can kill it at an exact crash point.

    python messaging_child.py relay DB_URL BOOTSTRAP [CRASH_AT]
    python messaging_child.py consumer DB_URL BOOTSTRAP TOPIC GROUP EXPECTED [CRASH_AT]

At CRASH_AT the process ends with os._exit(1): no cleanup, no offset commit, no delete,
like a SIGKILL. Otherwise the relay exits when the outbox is empty, the consumer after it
has processed EXPECTED records; both print their stats as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from lending_messaging import ConsumerRunner, KafkaEventPublisher, OutboxRelay
from lending_messaging.testing.scenario import count_loan_effect

CRASHED = 1


def fault_hook(crash_at: str | None):  # type: ignore[no-untyped-def]
    def hook(point: str) -> None:
        if point == crash_at:
            os._exit(CRASHED)

    return hook


async def relay(db_url: str, bootstrap: str, crash_at: str | None) -> None:
    engine = create_async_engine(db_url)
    publisher = KafkaEventPublisher(bootstrap)
    await publisher.start()
    relay = OutboxRelay(engine, publisher, batch_size=1000, fault_hook=fault_hook(crash_at))
    task = asyncio.create_task(relay.run())
    while True:
        await asyncio.sleep(0.05)
        async with engine.connect() as conn:
            left = (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar()
        if left == 0 or task.done():
            break
    relay.stop()
    await task
    await publisher.stop()
    await engine.dispose()
    print(json.dumps({"published": relay.published}))


async def consumer(
    db_url: str, bootstrap: str, topic: str, group: str, expected: int, crash_at: str | None
) -> None:
    engine = create_async_engine(db_url)
    runner = ConsumerRunner(
        bootstrap, group, [topic], async_sessionmaker(engine), count_loan_effect,
        fault_hook=fault_hook(crash_at),
        # the broker's minimum: the killed member's partitions are freed sooner
        session_timeout_ms=6000, heartbeat_interval_ms=1000,
    )
    task = asyncio.create_task(runner.run())
    while not task.done():
        s = runner.stats
        if s.handled + s.duplicates + s.dead_lettered >= expected:
            break
        await asyncio.sleep(0.05)
    runner.stop()
    await task
    await engine.dispose()
    s = runner.stats
    print(json.dumps({"handled": s.handled, "duplicates": s.duplicates}))


def main(argv: list[str]) -> None:
    role, *args = argv
    if role == "relay":
        asyncio.run(relay(args[0], args[1], args[2] if len(args) > 2 else None))
    else:
        db_url, bootstrap, topic, group, expected, *rest = args
        asyncio.run(
            consumer(db_url, bootstrap, topic, group, int(expected), rest[0] if rest else None)
        )


if __name__ == "__main__":
    main(sys.argv[1:])
