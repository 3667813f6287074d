"""The ledger's accrual runs while payments keep arriving, over the real PostgreSQL, through
the ledger's real handlers and the consumer's lanes (one transaction per batch of loans).

An append waits for a concurrent uncommitted append to the same loan's stream. Before the
fix a consumer batch appended its loans in arrival order and the accrual in loan-id order,
so a batch holding loan B and waiting for A beside an accrual holding A and waiting for B
deadlocked. Now both append in one order (``ledger.lock_order``)."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

import lending_ledger
from lending_events import to_envelope, topics
from lending_events.servicing import PaymentReceived
from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.service_layer.day_close import AccrualWorker
from lending_ledger.service_layer.handlers import handlers
from lending_ledger.service_layer.ledger import LoanLedger, lock_order
from lending_ledger.testing import future_terms
from lending_messaging import InMemoryBroker, InMemoryConsumer, OutgoingMessage
from lending_messaging.inbox import PostgresInbox
from lending_platform.database import create_engine, upgrade_to_head_async
from lending_platform.dispatch import EventDispatcher

from .test_ledger_day_close import close_day

pytestmark = pytest.mark.integration
MIGRATIONS = Path(lending_ledger.__file__).parent / "migrations"
START = date(2031, 3, 3)
LOANS, ROUNDS, CLOSES = 48, 8, 12


async def test_accrual_and_a_stream_of_payments_never_deadlock(database_url: str) -> None:
    await upgrade_to_head_async(MIGRATIONS, database_url)
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    ledger = LoanLedger(snapshot_every=1000)
    run = uuid.uuid4().hex[:6]
    loans = [f"loan-{run}-{n:02d}" for n in range(LOANS)]
    terms = future_terms(start=START)

    def open_loan(account: LoanAccount) -> None:
        account.book(terms=terms, decision_id="d", offer_id="o", applicant_id="a",
                     partner_id="p", booked_on=START, disbursement_method="bank_transfer",
                     disbursement_account="acct")
        account.record_disbursement(disbursement_id="x", value_date=START,
                                    provider_reference="po")

    try:
        async with sessions() as session, session.begin():
            for loan_id in loans:
                await ledger.execute(session, loan_id, open_loan, create=True)
        broker = InMemoryBroker(partitions=4)
        consumer = InMemoryConsumer(
            broker, "ledger", [topics.SERVICING], EventDispatcher(handlers(ledger)),
            inbox=PostgresInbox(sessions, "ledger"), concurrency=4, lock_order=lock_order)
        accrual = AccrualWorker(sessions, ledger, batch_size=LOANS)
        rng = random.Random(run)

        async def payments() -> None:
            for r in range(ROUNDS):
                # a cent: less than a day's interest, so every close still accrues
                events = [PaymentReceived(
                    loan_id=loan_id, payment_id=f"pay-{run}-{r}-{loan_id}", currency="EUR",
                    amount=Decimal("0.01"), received_at=datetime.now(UTC),
                    value_date=START, method="bank_transfer",
                    processor_reference=f"bt-{r}") for loan_id in rng.sample(loans, LOANS)]
                envelopes = [to_envelope(e, source="/lending/servicing") for e in events]
                await broker.publish([OutgoingMessage(topics.SERVICING, e.subject.encode(),
                                                      e.to_bytes()) for e in envelopes])
                await consumer.drain()

        async def accruals() -> None:
            for n in range(1, CLOSES + 1):
                await close_day(sessions, START + timedelta(days=n))
                await accrual.run_until_idle()

        await asyncio.gather(payments(), accruals())
        async with engine.connect() as conn:
            applied = await conn.scalar(text(
                "SELECT count(*) FROM events WHERE type = 'PaymentApplied'"))
            accrued = await conn.scalar(text(
                "SELECT count(*) FROM events WHERE type = 'InterestAccrued'"))

        assert applied == LOANS * ROUNDS and accrued == LOANS * CLOSES
        assert (consumer.stats.fallbacks, consumer.stats.dead_lettered) == (0, 0)
    finally:
        await engine.dispose()
    async with create_engine(database_url).connect() as conn:  # every backend has reported
        deadlocks = await conn.scalar(text(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))
    assert deadlocks == 0
