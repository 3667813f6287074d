"""The relay looks at the outbox as soon as a transaction that wrote to it commits, in any
process (PostgreSQL notifies it), not at its next poll, and an idle relay does not wake
itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lending_events import Envelope
from lending_messaging import InMemoryBroker, OutboxRelay, add_to_outbox
from lending_messaging.testing.real_harnesses import prepared_engine

pytestmark = pytest.mark.integration
TOPIC = "lending.test.v1"
NEVER = 3600.0  # a poll interval no test outlives: only a wake-up can explain a publish


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await prepared_engine(database_url)
    yield engine
    await engine.dispose()


async def write(engine: AsyncEngine, seq: int) -> None:
    async with engine.begin() as conn:
        await add_to_outbox(
            conn, Envelope(source="t", type="PaymentApplied", subject="loan-1", data={"seq": seq}),
            TOPIC)


async def published_count(broker: InMemoryBroker, n: int) -> None:
    async with asyncio.timeout(10):
        while len(broker.envelopes(TOPIC)) < n:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_a_commit_on_the_engine_wakes_the_relay_at_once(engine: AsyncEngine) -> None:
    broker = InMemoryBroker()
    relay = OutboxRelay(engine, broker, poll_interval=NEVER)
    task = asyncio.create_task(relay.run())
    await asyncio.wait_for(relay.active.wait(), 10)
    try:
        for seq in range(1, 4):  # each written while the relay sleeps its endless poll
            await asyncio.sleep(0.05)
            await write(engine, seq)
            await published_count(broker, seq)
        assert [e.data["seq"] for e in broker.envelopes(TOPIC)] == [1, 2, 3]
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


async def test_an_idle_relay_does_not_wake_itself(engine: AsyncEngine) -> None:
    broker = InMemoryBroker()
    relay = OutboxRelay(engine, broker, poll_interval=NEVER)
    looks = 0
    real_batch = relay._relay_batch

    async def counted(driver: object) -> int:
        nonlocal looks
        looks += 1
        return await real_batch(driver)

    relay._relay_batch = counted  # type: ignore[method-assign]
    task = asyncio.create_task(relay.run())
    await asyncio.wait_for(relay.active.wait(), 10)
    await write(engine, 1)
    await published_count(broker, 1)
    settled = looks
    await asyncio.sleep(0.5)
    try:
        assert looks == settled  # its own publish and delete did not wake it again
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


async def test_transactions_that_write_no_outbox_row_leave_the_relay_asleep(
        engine: AsyncEngine) -> None:
    broker = InMemoryBroker()
    relay = OutboxRelay(engine, broker, poll_interval=NEVER)
    looks = 0
    real_batch = relay._relay_batch

    async def counted(driver: object) -> int:
        nonlocal looks
        looks += 1
        return await real_batch(driver)

    relay._relay_batch = counted  # type: ignore[method-assign]
    task = asyncio.create_task(relay.run())
    await asyncio.wait_for(relay.active.wait(), 10)
    try:
        await asyncio.sleep(0.1)
        settled = looks
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TEMP TABLE scratch (n int) ON COMMIT DROP"))
            await conn.execute(text("INSERT INTO scratch (n) VALUES (1)"))
        for _ in range(20):  # reads, as an API's GETs
            async with engine.connect() as conn:
                await conn.execute(text("SELECT count(*) FROM outbox"))
        await asyncio.sleep(0.2)
        assert looks == settled
        await write(engine, 1)
        await published_count(broker, 1)
        assert looks == settled + 1
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)


async def test_a_commit_in_another_process_wakes_the_relay_through_postgresql(
        engine: AsyncEngine, database_url: str) -> None:
    broker = InMemoryBroker()
    relay = OutboxRelay(engine, broker, poll_interval=NEVER)
    other = await prepared_engine(database_url)  # another replica's pool, another process's
    task = asyncio.create_task(relay.run())
    await asyncio.wait_for(relay.active.wait(), 10)
    try:
        for seq in range(1, 3):
            await asyncio.sleep(0.05)
            await write(other, seq)
            await published_count(broker, seq)
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
        await other.dispose()
