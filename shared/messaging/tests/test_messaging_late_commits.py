"""The relay never skips a row whose transaction commits late, and keeps each loan's order.

PostgreSQL hands out sequence values at insert time; transactions commit in another
order. These tests hold transactions open on purpose, then at random.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lending_events import Envelope
from lending_messaging import InMemoryBroker, KafkaEventPublisher, OutboxRelay, add_to_outbox
from lending_messaging.testing.real_harnesses import prepared_engine, read_records
from lending_messaging.testing.scenario import drain_outbox

pytestmark = pytest.mark.integration
TOPIC = "lending.test.v1"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await prepared_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE scratch (n int)"))
        await conn.execute(text("CREATE TABLE loan_seq (loan_id text PRIMARY KEY, seq int)"))
    yield engine
    await engine.dispose()


def event(loan: str, seq: int) -> Envelope:
    return Envelope(source="test", type="PaymentApplied", subject=loan, data={"seq": seq})


def published(broker: InMemoryBroker) -> list[tuple[str, int]]:
    return [(e.subject, e.data["seq"]) for e in broker.envelopes(TOPIC)]


async def take_xid(conn: AsyncConnection) -> None:
    await conn.execute(text("INSERT INTO scratch VALUES (1)"))


async def test_a_row_committed_late_holds_back_later_rows_then_all_go_in_position_order(
    engine: AsyncEngine,
) -> None:
    broker = InMemoryBroker()
    relay = OutboxRelay(engine, broker)
    async with engine.connect() as slow:
        await add_to_outbox(slow, event("loan-a", 1), TOPIC)  # position 1, not committed
        async with engine.begin() as fast:
            await add_to_outbox(fast, event("loan-b", 1), TOPIC)  # position 2, committed
        assert await relay.relay_once() == 0  # position 2 waits for position 1
        await slow.commit()
    assert await drain_outbox(relay) == 2
    assert published(broker) == [("loan-a", 1), ("loan-b", 1)]


async def test_an_early_transaction_writing_after_a_younger_commit_does_not_jump_the_queue(
    engine: AsyncEngine,
) -> None:
    """The case a plain ``tx_id < xmin`` filter gets wrong: T2 takes its xid first (an inbox
    insert, say), T1 writes loan-x #1 and commits, then T2 writes loan-x #2. While an older
    transaction T0 is still open, T2's row is 'settled' and T1's is not."""
    broker = InMemoryBroker()
    relay = OutboxRelay(engine, broker)
    async with engine.connect() as t2, engine.connect() as t0:
        await take_xid(t2)
        await take_xid(t0)
        async with engine.begin() as t1:
            await add_to_outbox(t1, event("loan-x", 1), TOPIC)
        await add_to_outbox(t2, event("loan-x", 2), TOPIC)
        await t2.commit()
        assert await relay.relay_once() == 0  # publishing #2 now would put it before #1
        await t0.commit()
    assert await drain_outbox(relay) == 2
    assert published(broker) == [("loan-x", 1), ("loan-x", 2)]


async def test_random_commit_delays_and_rollbacks_lose_nothing_and_keep_each_loans_order(
    engine: AsyncEngine, kafka_bootstrap: str, topic_factory: Callable[..., str]
) -> None:
    topic, rng = topic_factory(partitions=3), random.Random(20261128)
    loans = [f"loan-{n}" for n in range(8)]
    committed: list[str] = []

    async def one_transaction() -> None:
        loan = rng.choice(loans)
        async with engine.connect() as conn:
            if rng.random() < 0.5:
                await take_xid(conn)  # an xid taken before the loan's lock
            await asyncio.sleep(rng.random() * 0.02)
            # Per-loan serialisation, as a service's aggregate lock would do it.
            seq = (
                await conn.execute(
                    text(
                        "INSERT INTO loan_seq VALUES (:l, 1) ON CONFLICT (loan_id) "
                        "DO UPDATE SET seq = loan_seq.seq + 1 RETURNING seq"
                    ),
                    {"l": loan},
                )
            ).scalar_one()
            written = await add_to_outbox(conn, event(loan, seq), topic)
            await asyncio.sleep(rng.random() * 0.05)  # commit late, at random
            if rng.random() < 0.15:
                await conn.rollback()
                return
            await conn.commit()
            committed.append(written.id)

    publisher = KafkaEventPublisher(kafka_bootstrap)
    await publisher.start()
    relay = OutboxRelay(engine, publisher, batch_size=20, poll_interval=0.005)
    relay_task = asyncio.create_task(relay.run())
    for _ in range(6):
        await asyncio.gather(*(one_transaction() for _ in range(40)))
    async with asyncio.timeout(30):
        while relay.published < len(committed):  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    relay.stop()
    await relay_task
    await publisher.stop()

    records = await read_records(kafka_bootstrap, topic, len(committed))
    envelopes = [Envelope.from_bytes(r.value) for r in sorted(records, key=lambda r: r.offset)]
    assert sorted(e.id for e in envelopes) == sorted(committed)  # none lost, none extra
    by_loan: dict[str, list[int]] = defaultdict(list)
    for e in envelopes:
        by_loan[e.subject].append(e.data["seq"])
    for seqs in by_loan.values():
        assert seqs == sorted(seqs)  # rolled-back seqs leave gaps, never disorder
    assert len(committed) > 150
