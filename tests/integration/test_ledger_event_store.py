"""The event store on the real PostgreSQL: optimistic concurrency between two writers of one
loan, and the ledger-as-its-own-outbox publishing every committed event, in each loan's
order, even when transactions commit late and at random."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

import lending_ledger
from lending_events import topic_for
from lending_ledger.adapters.event_store import ConcurrencyConflictError
from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.service_layer.ledger import LoanLedger
from lending_ledger.testing import future_terms
from lending_messaging import KafkaEventPublisher, OutboxRelay
from lending_platform.database import create_engine, upgrade_to_head_async

from .ledger_support import end_offsets, ledger_events_for

pytestmark = pytest.mark.integration
MIGRATIONS = Path(lending_ledger.__file__).parent / "migrations"
PAY_DAY = date(2031, 3, 10)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_to_head_async(MIGRATIONS, database_url)
    engine = create_engine(database_url, pool_size=20)
    yield engine
    await engine.dispose()


async def open_loans(sessions: async_sessionmaker, ledger: LoanLedger, ids: list[str]) -> None:
    terms = future_terms()

    def book_and_pay_out(account: LoanAccount) -> None:
        account.book(terms=terms, decision_id=f"d-{account.loan_id}", offer_id="o",
                     applicant_id="a", partner_id="p", booked_on=date(2031, 3, 3),
                     disbursement_method="bank_transfer", disbursement_account="acct")
        account.record_disbursement(disbursement_id=account.loan_id,
                                    value_date=date(2031, 3, 3), provider_reference="po")

    async with sessions() as session, session.begin():
        for loan_id in ids:
            await ledger.execute(session, loan_id, book_and_pay_out, create=True)


def pay(payment_id: str, amount: int = 100):
    def command(account: LoanAccount) -> None:
        account.receive_payment(payment_id=payment_id, amount=amount, value_date=PAY_DAY,
                                received_at="2031-03-10T09:00:00Z", method="card")
    return command


async def test_two_writers_on_one_loan_one_wins_and_the_other_retries_on_fresh_state(engine):
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    ledger = LoanLedger()
    loan_id = f"loan-{uuid.uuid4().hex[:10]}"
    await open_loans(sessions, ledger, [loan_id])
    loaded, winner_committed = asyncio.Event(), asyncio.Event()
    seen_versions: list[int] = []

    async def slow_writer() -> None:
        async def command(account: LoanAccount) -> None:
            seen_versions.append(account.version)
            if len(seen_versions) == 1:
                loaded.set()
                await winner_committed.wait()  # the other writer appends meanwhile
            pay("slow")(account)

        async with sessions() as session, session.begin():
            await ledger.execute(session, loan_id, command)

    async def fast_writer() -> None:
        await loaded.wait()
        async with sessions() as session, session.begin():
            await ledger.execute(session, loan_id, pay("fast"))
        winner_committed.set()

    await asyncio.gather(slow_writer(), fast_writer())
    assert ledger.stats.conflicts == 1
    assert seen_versions == [2, 3]  # read v2, lost to the fast writer's v3, retried on v3
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT version, data->>'payment_id' FROM events WHERE stream_id = :s "
            "ORDER BY version"), {"s": loan_id})).all()
    assert [tuple(r) for r in rows] == [(1, None), (2, None), (3, "fast"), (4, "slow")]


async def test_a_stale_append_is_refused_never_overwritten(engine):
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    ledger = LoanLedger(max_attempts=1)
    loan_id = f"loan-{uuid.uuid4().hex[:10]}"
    await open_loans(sessions, ledger, [loan_id])
    async with sessions() as session, session.begin():
        stale = await ledger.load(session, loan_id)
    async with sessions() as session, session.begin():
        await ledger.execute(session, loan_id, pay("first"))
    assert stale is not None
    pay("second")(stale)
    with pytest.raises(ConcurrencyConflictError):
        async with sessions() as session, session.begin():
            await ledger.save(session, [stale])


async def test_commits_delayed_at_random_lose_no_event_and_keep_each_loans_order(
    engine, kafka_bootstrap
):
    rng = random.Random(20311128)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    ledger = LoanLedger(max_attempts=200)  # 40 writers on 6 loans: contention on purpose
    loans = [f"loan-{uuid.uuid4().hex[:10]}" for _ in range(6)]
    topic = topic_for("PaymentApplied")
    since = await end_offsets(kafka_bootstrap, topic)
    publisher = KafkaEventPublisher(kafka_bootstrap)
    await publisher.start()
    relay = OutboxRelay(engine, publisher, batch_size=25, poll_interval=0.005)
    relay_task = asyncio.create_task(relay.run())
    await open_loans(sessions, ledger, loans)

    async def one_payment(n: int) -> None:
        loan_id = rng.choice(loans)
        async with sessions() as session:
            await session.begin()
            if rng.random() < 0.5:  # take an xid early, as the consumer's inbox insert does
                await session.execute(text("SELECT pg_current_xact_id()"))
            await asyncio.sleep(rng.random() * 0.02)
            await ledger.execute(session, loan_id, pay(f"p{n}"))
            await asyncio.sleep(rng.random() * 0.05)  # commit late, at random
            if rng.random() < 0.15:
                await session.rollback()
            else:
                await session.commit()

    for wave in range(4):
        await asyncio.gather(*(one_payment(wave * 40 + i) for i in range(40)))
    async with engine.connect() as conn:
        committed = (await conn.execute(text(
            "SELECT stream_id, data->>'payment_id' FROM events WHERE type = 'PaymentApplied' "
            "AND stream_id = ANY(:ids) ORDER BY stream_id, version"), {"ids": loans})).all()
    # xmin is cluster-wide: an idle transaction in another database (another test run on this
    # server) holds the relay back until idle_in_transaction_session_timeout (60s) ends it.
    async with asyncio.timeout(180):
        while True:
            async with engine.connect() as conn:
                if not await conn.scalar(text("SELECT count(*) FROM outbox")):
                    break
            await asyncio.sleep(0.05)
    relay.stop()
    await relay_task
    await publisher.stop()

    published = await ledger_events_for(kafka_bootstrap, since, set(loans),
                                        len(committed) + 2 * len(loans))
    applied = [e for e in published if e.type == "PaymentApplied"]
    assert sorted(e.data["payment_id"] for e in applied) == sorted(r[1] for r in committed)
    by_loan: dict[str, list[str]] = defaultdict(list)
    for e in applied:
        by_loan[e.subject].append(e.data["payment_id"])
    expected: dict[str, list[str]] = defaultdict(list)
    for stream_id, payment_id in committed:
        expected[stream_id].append(payment_id)
    assert by_loan == expected  # each loan's events in version order, none missing or extra
    assert 100 < len(committed) < 160  # some rolled back, most committed


async def test_an_append_as_the_first_statement_of_a_transaction_rolls_back_with_it(engine):
    """The append goes straight to asyncpg; SQLAlchemy sends BEGIN lazily, with its own
    first statement. An append sent before that would commit on its own."""
    from lending_ledger.adapters.event_store import NewEvent, PostgresEventStore

    loan = f"loan-{uuid.uuid4().hex[:8]}"
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        async with session.begin():
            await PostgresEventStore().append(session, [NewEvent(loan, 1, "Probe", {})])
            await session.rollback()
    async with engine.connect() as conn:
        kept = await conn.scalar(text("SELECT count(*) FROM events WHERE stream_id = :s"),
                                 {"s": loan})
    assert kept == 0


async def test_events_appended_with_their_outbox_rows_carry_the_standard_headers(engine):
    """The append writes its integration events with lending_messaging's own outbox
    INSERT: rows in the given order, headers as ``wire_headers`` of each envelope."""
    from lending_events import to_envelope
    from lending_events.samples import sample_event
    from lending_ledger.adapters.event_store import NewEvent, PostgresEventStore
    from lending_messaging.outbox import wire_headers

    loan = f"loan-{uuid.uuid4().hex[:8]}"
    envelopes = [to_envelope(sample_event("PaymentReceived"), source="test") for _ in range(3)]
    async with async_sessionmaker(engine)() as session, session.begin():
        await PostgresEventStore().append(session, [NewEvent(loan, 1, "Probe", {})],
                                          outbox=("lending.ledger.v1", envelopes))
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT topic, event_id, CAST(headers AS text) FROM outbox "
            "WHERE event_id = ANY(:ids) ORDER BY position"),
            {"ids": [e.id for e in envelopes]})).all()
    assert [(r[0], r[1]) for r in rows] == [("lending.ledger.v1", e.id) for e in envelopes]
    for row, envelope in zip(rows, envelopes, strict=True):
        headers = json.loads(row[2])
        assert headers["traceparent"]  # stamped from the message context
        assert headers == wire_headers(envelope.model_copy(
            update={"traceparent": headers["traceparent"]}))
