"""Issue 17 (3): the day close runs while payments keep arriving, over the real PostgreSQL
and the real Kafka, with servicing's real consumer (concurrent lanes, one transaction per
batch of many loans).

Before the fix a batch took its loans' slice locks in arrival order (shared) while the
close took its slices' locks in ascending order (exclusive): a batch holding slice 5 and
asking for 2 against a close holding 2 and asking for 5 deadlocked, and either the close
failed with `deadlock detected` or the batch fell back to one message per transaction."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from lending_events import IntegrationEvent, to_envelope, topics
from lending_platform.testing import running
from lending_servicing.adapters.close_partitions import PARTITIONS, partition_of
from lending_servicing.service_layer.day_close import CloseBusinessDays, close_business_days
from lending_servicing.testing import contract_terms, disbursed, loan_booked, payment_applied

from .intake_helpers import eventually
from .test_servicing_delinquency_over_kafka import start_group_at_end

pytestmark = pytest.mark.integration
START = date(2025, 1, 15)
LEDGER = "/lending/ledger"
LOANS_PER_SLICE = 4
ROUNDS = 12  # bursts of one payment per loan
CLOSES = 24  # business days closed, one at a time, while the bursts arrive


def loans_on_every_slice(run: str) -> list[str]:
    ids: list[str] = []
    per_slice = dict.fromkeys(range(PARTITIONS), 0)
    n = 0
    while min(per_slice.values()) < LOANS_PER_SLICE:
        loan_id, n = f"cl-{run}-{n}", n + 1
        if per_slice[partition_of(loan_id)] < LOANS_PER_SLICE:
            per_slice[partition_of(loan_id)] += 1
            ids.append(loan_id)
    return ids


async def publish_all(producer: AIOKafkaProducer, events: list[IntegrationEvent]) -> None:
    sent = []
    for event in events:
        envelope = to_envelope(event, source=LEDGER)
        sent.append(await producer.send(topics.LEDGER, envelope.to_bytes(),
                                        key=envelope.subject.encode()))
    await asyncio.gather(*sent)


async def count(app, sql: str, **params: object) -> int:
    async with app.state.runtime.sessions() as session:
        return int(await session.scalar(text(sql), params) or 0)


async def deadlocks_in(database_url: str) -> int:
    """What PostgreSQL counted for the database (its backends flush their counts on exit)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(text(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")))
    finally:
        await engine.dispose()


async def test_day_closes_and_a_stream_of_payments_on_every_slice_never_deadlock(
        service_app, kafka_bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    loans = loans_on_every_slice(run)
    terms = contract_terms(start=START)  # 3 x 310.00 monthly: the closes find missed ones
    group = f"test-servicing-{run}"
    await start_group_at_end(kafka_bootstrap, group, [topics.LEDGER, topics.INTAKE])
    app = service_app("servicing", initial_business_date=START, consumer_group=group)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        async with running(app):
            ctx = app.state.runtime.ports["servicing"]
            consumer = app.state.runtime.workers["consumer"]
            await publish_all(producer, [e for loan_id in loans for e in (
                loan_booked(loan_id, terms), disbursed(loan_id, terms))])

            async def all_active() -> bool:
                return await count(app, "SELECT count(*) FROM loans WHERE loan_id LIKE :p "
                                   "AND status = 'active'", p=f"cl-{run}-%") == len(loans)

            await eventually(all_active, within=90)
            rng = random.Random(run)

            async def payments() -> None:
                for r in range(ROUNDS):
                    order = rng.sample(loans, len(loans))  # slices in no particular order
                    await publish_all(producer, [payment_applied(
                        loan_id, f"pay-{run}-{r}-{loan_id}", "EUR", 100, START,
                        90_000 - 100 * (r + 1)) for loan_id in order])
                    await asyncio.sleep(0.05)

            async def closes() -> None:
                for n in range(CLOSES):
                    closed = await close_business_days(ctx, CloseBusinessDays(
                        START + timedelta(days=n), by="ops-closer"))
                    assert [d.business_date for d in closed.closed] == [
                        START + timedelta(days=n)]
                    await asyncio.sleep(0.01)

            await asyncio.gather(payments(), closes())

            async def all_applied() -> bool:
                return await count(app, "SELECT count(*) FROM payments WHERE loan_id LIKE :p "
                                   "AND status = 'applied'",
                                   p=f"cl-{run}-%") == len(loans) * ROUNDS

            await eventually(all_applied, within=90)
            paid = await count(app, "SELECT count(*) FROM loans WHERE loan_id LIKE :p "
                               "AND paid_to_schedule = :paid", p=f"cl-{run}-%",
                               paid=100 * ROUNDS)
            assert paid == len(loans)
            stats = consumer.stats
            assert (stats.dead_lettered, stats.fallbacks) == (0, 0), stats
    finally:
        await producer.stop()
    # Not merely retried: the locks come in one order, so PostgreSQL never had to break a
    # cycle (the app has stopped, so every one of its connections reported its count).
    assert await deadlocks_in(app.state.runtime.settings.database_url) == 0
