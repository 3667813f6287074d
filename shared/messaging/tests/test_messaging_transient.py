"""Deadlock and serialization victims are run again whole, in one place
(``retry_transient``); the consumer never splits a batch or dead-letters a message for it;
a batch is handled in its service's lock order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from asyncpg.exceptions import DeadlockDetectedError, SerializationError
from sqlalchemy.exc import DBAPIError, IntegrityError

from lending_events import Envelope
from lending_messaging import (
    InMemoryBroker,
    InMemoryConsumer,
    OutgoingMessage,
    TransientFailureError,
    TransientRetry,
    is_transient,
    retry_transient,
)
from lending_messaging.processing import is_infrastructure_error

FAST = TransientRetry(attempts=4, initial_wait=0.0, max_wait=0.0)


def deadlock() -> DBAPIError:
    """What SQLAlchemy raises when PostgreSQL picks the transaction as the deadlock victim."""
    return DBAPIError("SELECT pg_advisory_xact_lock_shared(1, 2)", {},
                      DeadlockDetectedError("deadlock detected"))


class FlakyTransaction:
    """Fails as a deadlock victim ``victims`` times, then commits."""

    def __init__(self, victims: int, error: Any = deadlock) -> None:
        self.victims, self.error, self.calls = victims, error, 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.victims:
            raise self.error()
        return "committed"


def test_deadlock_and_serialization_failures_are_transient_and_nothing_else_is() -> None:
    assert is_transient(deadlock())
    assert is_transient(DeadlockDetectedError("raw asyncpg, as the ledger's append raises"))
    assert is_transient(DBAPIError("UPDATE", {}, SerializationError("could not serialize")))
    assert not is_transient(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_transient(ValueError("bad amount"))


async def test_a_payment_that_loses_a_deadlock_is_run_again_and_commits() -> None:
    payment = FlakyTransaction(victims=1)
    assert await retry_transient(payment, policy=FAST) == "committed"
    assert payment.calls == 2


async def test_a_transaction_that_keeps_losing_says_so_after_its_attempts() -> None:
    close = FlakyTransaction(victims=99)
    with pytest.raises(TransientFailureError) as raised:
        await retry_transient(close, what="day close", policy=FAST)
    assert close.calls == 4 and "day close" in str(raised.value)
    assert isinstance(raised.value.__cause__, DBAPIError)
    assert is_infrastructure_error(raised.value)  # a consumer never dead-letters it


async def test_any_other_error_passes_through_at_once() -> None:
    refused = FlakyTransaction(victims=1, error=lambda: ValueError("no such loan"))
    with pytest.raises(ValueError):
        await retry_transient(refused, policy=FAST)
    assert refused.calls == 1


class LoansBatch:
    """A consumer handler that loses a deadlock on its first batch, as the day close's
    victim would."""

    def __init__(self, victims: int = 1) -> None:
        self.victims = victims
        self.batches: list[list[str]] = []
        self.applied: list[str] = []

    async def handle(self, session: Any, envelopes: Sequence[Envelope]) -> None:
        self.batches.append([e.subject or "" for e in envelopes])
        if len(self.batches) <= self.victims:
            raise deadlock()
        self.applied.extend(e.id for e in envelopes)


def payments(loans: Sequence[str]) -> list[Envelope]:
    return [Envelope(source="test", type="PaymentApplied", subject=loan, data={"n": n})
            for n, loan in enumerate(loans)]


async def publish(broker: InMemoryBroker, events: Sequence[Envelope]) -> None:
    await broker.publish([OutgoingMessage("ledger", (e.subject or "").encode(), e.to_bytes())
                          for e in events])


async def test_a_batch_that_loses_a_deadlock_is_retried_whole_never_one_by_one() -> None:
    broker, handler = InMemoryBroker(partitions=1), LoansBatch(victims=2)
    events = payments(["loan-5", "loan-2", "loan-9"])
    await publish(broker, events)
    consumer = InMemoryConsumer(broker, "servicing", ["ledger"], None,
                                batch_handler=handler.handle)
    assert await consumer.drain() == 3
    assert [len(b) for b in handler.batches] == [3, 3, 3]  # the same batch, three times
    assert sorted(handler.applied) == sorted(e.id for e in events)
    stats = consumer.stats
    assert (stats.fallbacks, stats.dead_lettered, stats.transient_retries) == (0, 0, 2)
    assert broker.records("ledger.dlq") == []


async def test_a_batch_is_handled_in_lock_order_and_each_loans_events_keep_theirs() -> None:
    broker = InMemoryBroker(partitions=1)
    slice_of = {"loan-a": 5, "loan-b": 2, "loan-c": 9, "loan-d": 2}
    loans = ["loan-a", "loan-b", "loan-c", "loan-a", "loan-d", "loan-b"]
    await publish(broker, payments(loans))
    seen: list[tuple[str, int]] = []

    async def handle(session: Any, envelopes: Sequence[Envelope]) -> None:
        seen.extend((e.subject or "", e.data["n"]) for e in envelopes)

    consumer = InMemoryConsumer(broker, "servicing", ["ledger"], None, batch_handler=handle,
                                lock_order=slice_of.__getitem__)
    await consumer.drain()
    assert seen == [("loan-b", 1), ("loan-d", 4), ("loan-b", 5), ("loan-a", 0),
                    ("loan-a", 3), ("loan-c", 2)]


async def test_a_consumer_that_keeps_losing_deadlocks_stops_without_dead_lettering() -> None:
    broker, handler = InMemoryBroker(partitions=1), LoansBatch(victims=10_000)
    await publish(broker, payments(["loan-1"]))
    consumer = InMemoryConsumer(broker, "servicing", ["ledger"], None,
                                batch_handler=handler.handle)
    with pytest.raises(TransientFailureError):
        await asyncio.wait_for(consumer.drain(), timeout=60)
    assert consumer.stats.dead_lettered == 0 and broker.records("ledger.dlq") == []
