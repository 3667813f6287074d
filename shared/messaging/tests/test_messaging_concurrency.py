"""Concurrent lanes: keys run at the same time, one key's records never do, and no offset
is committed past a record whose transaction has not committed."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from lending_events import Envelope
from lending_messaging import ConsumerRunner, KafkaEventPublisher, OutboxRelay
from lending_messaging.inbox import InMemoryInbox
from lending_messaging.lanes import Lanes, OffsetTracker
from lending_messaging.memory_broker import InMemoryBroker
from lending_messaging.memory_consumer import FAST_RETRY, InMemoryConsumer
from lending_messaging.ports import ConsumedRecord, OutgoingMessage
from lending_messaging.processing import MessageProcessor
from lending_messaging.testing.real_harnesses import prepared_engine
from lending_messaging.testing.scenario import applied_ids, loan_events, write_through_outbox


class Watcher:
    """Records, per key, the order handlers saw and whether two ever overlapped."""

    def __init__(self, pause: float = 0.002) -> None:
        self.seen: dict[str, list[int]] = defaultdict(list)
        self.active: Counter[str] = Counter()
        self.overlaps: list[str] = []
        self.running = 0
        self.most_at_once = 0
        self._pause = pause
        self._rng = random.Random(5)

    async def handle(self, session: Any, envelope: Envelope) -> None:
        key = envelope.subject or ""
        self.active[key] += 1
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        if self.active[key] > 1:
            self.overlaps.append(key)
        try:
            await asyncio.sleep(self._rng.random() * self._pause)  # lets other lanes in
            self.seen[key].append(envelope.data["seq"])
        finally:
            self.active[key] -= 1
            self.running -= 1


def record(offset: int, key: str, event: Envelope, partition: int = 0) -> ConsumedRecord:
    return ConsumedRecord("t", partition, offset, key.encode(), event.to_bytes())


def keys_on_distinct_lanes(lanes: Lanes, count: int) -> list[str]:
    keys: dict[int, str] = {}
    n = 0
    while len(keys) < count:
        key = f"loan-{n}"
        lane = lanes.lane_of(ConsumedRecord("t", 0, 0, key.encode(), b""))
        keys.setdefault(lane, key)
        n += 1
    return list(keys.values())


async def test_keys_run_concurrently_but_one_keys_records_never_overlap_or_reorder() -> None:
    broker, watcher = InMemoryBroker(partitions=3), Watcher()
    events = loan_events(loans=24, per_loan=8)
    await broker.publish([OutgoingMessage("t", e.subject.encode(), e.to_bytes())
                          for e in events if e.subject])
    consumer = InMemoryConsumer(broker, "g", ["t"], watcher.handle, concurrency=6)
    assert await consumer.drain() == len(events)
    assert watcher.overlaps == []
    assert {k: s for k, s in watcher.seen.items()} == {
        f"loan-{n}": list(range(1, 9)) for n in range(24)
    }
    assert watcher.most_at_once > 1  # it really ran lanes side by side
    assert consumer.stats.handled == len(events)


async def test_one_lane_means_one_record_at_a_time() -> None:
    broker, watcher = InMemoryBroker(partitions=3), Watcher()
    events = loan_events(loans=10, per_loan=3)
    await broker.publish([OutgoingMessage("t", e.subject.encode(), e.to_bytes())
                          for e in events if e.subject])
    await InMemoryConsumer(broker, "g", ["t"], watcher.handle, concurrency=1).drain()
    assert watcher.most_at_once == 1


async def test_a_slow_record_holds_its_partitions_commit_while_later_records_finish() -> None:
    release = asyncio.Event()
    slow_id = ""

    async def handler(session: Any, envelope: Envelope) -> None:
        if envelope.id == slow_id:
            await release.wait()

    processor = MessageProcessor(InMemoryInbox("g"), handler, InMemoryBroker(), FAST_RETRY)
    lanes = Lanes(processor, concurrency=4)
    slow_key, *fast_keys = keys_on_distinct_lanes(lanes, 3)
    slow = Envelope(source="t", type="X", subject=slow_key, data={"seq": 1})
    slow_id = slow.id
    lanes.submit([record(0, slow_key, slow)] + [
        record(i + 1, k, Envelope(source="t", type="X", subject=k, data={"seq": 1}))
        for i, k in enumerate(fast_keys)])
    async with asyncio.timeout(5):
        while lanes.in_flight > 1:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
    assert processor.stats.handled == 2  # offsets 1 and 2 are committed in the database ...
    assert lanes.tracker.committable() == {("t", 0): 0}  # ... but offset 0 is not yet
    release.set()
    await lanes.drain()
    assert lanes.tracker.committable() == {("t", 0): 3}


async def test_an_infrastructure_failure_commits_nothing_past_it_and_a_restart_applies_once(
) -> None:
    applied: list[str] = []

    @asynccontextmanager
    async def transaction() -> AsyncIterator[list[str]]:
        staged: list[str] = []
        yield staged  # an exception skips the commit below: a rollback
        applied.extend(staged)

    broker, inbox = InMemoryBroker(partitions=1), InMemoryInbox("g", transaction)
    events = loan_events(loans=6, per_loan=3)
    await broker.publish([OutgoingMessage("t", e.subject.encode(), e.to_bytes())
                          for e in events if e.subject])
    broken = events[7]  # loan-1's second event, offset 7

    async def database_lost(session: Any, envelope: Envelope) -> None:
        if envelope.id == broken.id:
            raise OSError("connection reset")
        session.append(envelope.id)

    first = InMemoryConsumer(broker, "g", ["t"], database_lost, inbox=inbox, concurrency=4)
    with pytest.raises(OSError):
        await first.drain()
    assert broker.committed("g", "t", 0) <= 7
    assert broken.id not in applied
    assert len(applied) > broker.committed("g", "t", 0)  # later records did finish

    async def healthy(session: Any, envelope: Envelope) -> None:
        session.append(envelope.id)

    second = InMemoryConsumer(broker, "g", ["t"], healthy, inbox=inbox, concurrency=4)
    await second.drain()
    assert Counter(applied) == Counter({e.id: 1 for e in events})
    assert broker.committed("g", "t", 0) == len(events)


def test_the_tracker_commits_only_below_the_lowest_unfinished_offset() -> None:
    tracker, event = OffsetTracker(), Envelope(source="t", type="X", subject="k")
    records = [record(o, "k", event) for o in range(5)]
    for r in records:
        tracker.started(r)
    tracker.finished([records[1], records[3], records[4]])
    assert tracker.committable() == {("t", 0): 0}
    tracker.finished([records[0]])
    assert tracker.committable() == {("t", 0): 2}
    tracker.committed({("t", 0): 2})
    assert tracker.committable() == {}  # nothing moved since
    tracker.finished([records[2]])
    assert tracker.committable() == {("t", 0): 5}


async def test_prepare_runs_before_the_transaction_and_its_failure_is_not_fatal() -> None:
    broker, order = InMemoryBroker(partitions=1), []
    events = loan_events(loans=2, per_loan=1)
    await broker.publish([OutgoingMessage("t", e.subject.encode(), e.to_bytes())
                          for e in events if e.subject])

    @asynccontextmanager
    async def transaction() -> AsyncIterator[None]:
        order.append("begin")
        yield None

    async def prepare(envelopes: Any) -> None:
        order.append(f"prepare {len(envelopes)}")
        raise ConnectionError("the bureau is down")  # best effort: handlers still run

    async def handler(session: Any, envelope: Envelope) -> None:
        order.append("handle")

    consumer = InMemoryConsumer(broker, "g", ["t"], handler, prepare=prepare,
                                inbox=InMemoryInbox("g", transaction))
    await consumer.drain()
    assert order == ["prepare 2", "begin", "handle", "handle"]
    assert consumer.stats.handled == 2 and consumer.stats.dead_lettered == 0


# --- the Kafka runner on the real PostgreSQL and Kafka -------------------------------------
@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = await prepared_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE applied (event_id text NOT NULL)"))
        await conn.execute(text("CREATE TABLE loan_seq (loan_id text PRIMARY KEY, seq int)"))
        await conn.execute(text("CREATE TABLE out_of_order (loan_id text, seq int, last int)"))
    yield engine
    await engine.dispose()


def sequence_checker(watcher: Watcher) -> Any:
    async def check(session: Any, envelope: Envelope) -> None:
        loan, seq = envelope.subject, envelope.data["seq"]
        last = (await session.execute(
            text("SELECT seq FROM loan_seq WHERE loan_id = :l"), {"l": loan})).scalar() or 0
        await watcher.handle(session, envelope)  # other lanes run while this one waits
        if seq != last + 1:
            await session.execute(text("INSERT INTO out_of_order VALUES (:l, :s, :last)"),
                                  {"l": loan, "s": seq, "last": last})
        await session.execute(text(
            "INSERT INTO loan_seq VALUES (:l, :s) ON CONFLICT (loan_id) DO UPDATE SET seq = :s"),
            {"l": loan, "s": seq})
        await session.execute(text("INSERT INTO applied VALUES (:id)"), {"id": envelope.id})

    return check


@pytest.mark.integration
async def test_the_kafka_runner_keeps_each_loans_order_and_applies_each_event_once_concurrently(
    engine: AsyncEngine, kafka_bootstrap: str, topic_factory: Callable[..., str],
) -> None:
    topic, group = topic_factory(partitions=3), f"g-{uuid.uuid4().hex[:8]}"
    events = loan_events(loans=30, per_loan=12)
    publisher = KafkaEventPublisher(kafka_bootstrap)
    await publisher.start()
    watcher = Watcher(pause=0.005)
    sessions = async_sessionmaker(engine)
    # Read-then-write without a row lock: two transactions of one loan at the same time
    # would both read the same last seq, so any overlap shows up as out_of_order.
    first, second = (
        ConsumerRunner(kafka_bootstrap, group, [topic], sessions, sequence_checker(watcher),
                       dead_letters=publisher, max_records=40, concurrency=6)
        for _ in range(2)
    )
    relay = OutboxRelay(engine, publisher, poll_interval=0.01)
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(first.run())]
    try:
        await write_through_outbox(engine, topic, events[: len(events) // 2], per_tx=15)
        tasks.append(asyncio.create_task(second.run()))  # joins mid-stream: a rebalance
        await write_through_outbox(engine, topic, events[len(events) // 2:], per_tx=15)
        async with asyncio.timeout(90):
            while len(await applied_ids(engine)) < len(events):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        for stoppable in (relay, first, second):
            stoppable.stop()
        await asyncio.gather(*tasks)
        await publisher.stop()
    async with engine.connect() as conn:
        disorder = (await conn.execute(text("SELECT * FROM out_of_order"))).all()
    assert disorder == [] and watcher.overlaps == []
    assert Counter(await applied_ids(engine)) == Counter({e.id: 1 for e in events})
    assert watcher.most_at_once > 1
