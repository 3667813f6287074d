"""The day close in slices: every slice is closed, a close interrupted half-way finishes
without repeating an event, two closers at once record the day once, a day whose close has
begun cannot become a holiday, and the migrated schema is the one the code describes
(migrations 0006 and 0007 included, up and down)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from lending_platform.database import alembic_config
from lending_platform.testing import schema_differences
from lending_servicing.adapters import orm
from lending_servicing.adapters.close_partitions import PARTITIONS, partition_of
from lending_servicing.adapters.day_close_sql import close_slices, crossing_days
from lending_servicing.domain.errors import CalendarError
from lending_servicing.service_layer.day_close import slice_groups
from lending_servicing.service_layer.holidays import declare_holiday
from lending_servicing.testing import contract_terms, disbursed, loan_booked

from .servicing_support import MIGRATIONS, Servicing

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Did not recognize type .xid8.")]
START = date(2025, 1, 15)
MISSED_DAY = date(2025, 2, 16)  # the first installment (due 2025-02-15) is missed
LOANS = [f"loan-{n}" for n in range(64)]


@pytest.fixture
async def servicing(database_url: str):
    app = await Servicing.start(database_url, initial_business_date=START,
                                close_transaction_rows=1)  # one transaction per slice
    yield app
    await app.stop()


async def book_all(servicing: Servicing) -> None:
    terms = contract_terms(start=START)
    for loan_id in LOANS:
        await servicing.ledger(loan_booked(loan_id, terms), disbursed(loan_id, terms))


def test_a_small_book_closes_in_one_transaction_a_large_one_in_one_per_slice():
    assert slice_groups(0, 1_000_000) == [list(range(PARTITIONS))]
    assert slice_groups(3_000_000, 1_000_000) == [
        list(range(PARTITIONS))[n::3] for n in range(3)]
    assert slice_groups(50_000_000, 1_000_000) == [[n] for n in range(PARTITIONS)]
    groups = slice_groups(5_500_000, 1_000_000)
    assert sorted(p for g in groups for p in g) == list(range(PARTITIONS))


def test_a_close_looks_for_bucket_crossings_on_the_days_since_the_previous_close():
    bounds = [0, 1, 31, 61]
    day = date(2025, 3, 18)
    assert crossing_days(day, None, bounds) == []  # the first close reports every miss anew
    assert crossing_days(day, date(2025, 3, 17), bounds) == [date(2025, 2, 15),
                                                              date(2025, 1, 16)]
    # a holiday and a weekend day before: every day the close skipped counts
    assert crossing_days(day, date(2025, 3, 15), [0, 1, 31]) == [
        date(2025, 2, 15), date(2025, 2, 14), date(2025, 2, 13)]


def test_the_loans_spread_over_every_slice():
    assert {partition_of(loan_id) for loan_id in LOANS} == set(range(PARTITIONS))


async def test_python_and_the_database_agree_on_each_loans_slice(servicing):
    await book_all(servicing)
    rows = await servicing.sql("SELECT loan_id, close_partition FROM loans")
    assert {r.loan_id: r.close_partition for r in rows} == {
        loan_id: partition_of(loan_id) for loan_id in LOANS}
    mismatched = await servicing.sql(
        "SELECT count(*) FROM installments i JOIN loans l USING (loan_id) "
        "WHERE i.close_partition <> l.close_partition")
    assert mismatched[0][0] == 0


async def test_every_slice_is_closed(servicing):
    await book_all(servicing)
    result = await servicing.close(MISSED_DAY)
    assert result.closed[-1].counts.payments_missed == len(LOANS)
    missed = await servicing.data("PaymentMissed")
    assert sorted(m["loan_id"] for m in missed) == sorted(LOANS)
    assert len(await servicing.data("DelinquencyChanged")) == len(LOANS)


async def test_a_close_interrupted_half_way_finishes_without_repeating_an_event(servicing):
    await book_all(servicing)
    await servicing.close(MISSED_DAY - date.resolution)
    for part in range(PARTITIONS // 2):  # a crashed close: half its slices committed
        async with servicing.ctx.sessions() as session, session.begin():
            await close_slices(session, MISSED_DAY, [part], run="crashed",
                               previous=MISSED_DAY - date.resolution, source="/test",
                               now=START, correlation_id="c", traceparent="t")
    half = await servicing.data("PaymentMissed")
    assert 0 < len(half) < len(LOANS)
    assert await servicing.data("BusinessDayClosed") != []
    closes_before = len(await servicing.data("BusinessDayClosed"))
    result = await servicing.close(MISSED_DAY)
    assert [d.business_date for d in result.closed] == [MISSED_DAY]
    missed = await servicing.data("PaymentMissed")
    assert sorted(m["loan_id"] for m in missed) == sorted(LOANS)  # each once
    changed = await servicing.data("DelinquencyChanged")
    assert sorted(c["loan_id"] for c in changed) == sorted(LOANS)
    assert len(await servicing.data("BusinessDayClosed")) == closes_before + 1
    last = (await servicing.outbox())[-1]
    assert last.type == "BusinessDayClosed"  # after every event of its day


async def test_two_closers_at_once_record_the_day_once(servicing):
    await book_all(servicing)
    await servicing.close(MISSED_DAY - date.resolution)
    await asyncio.gather(servicing.close(MISSED_DAY), servicing.close(MISSED_DAY))
    closes = [c["business_date"] for c in await servicing.data("BusinessDayClosed")]
    assert closes.count(MISSED_DAY.isoformat()) == 1
    missed = await servicing.data("PaymentMissed")
    assert sorted(m["loan_id"] for m in missed) == sorted(LOANS)


async def test_a_day_whose_close_has_begun_cannot_become_a_holiday(servicing):
    await book_all(servicing)
    await servicing.close(MISSED_DAY - date.resolution)
    await servicing.sql("INSERT INTO day_closes (calendar_id, business_date) "
                        "VALUES ('main', :d)", d=MISSED_DAY)
    with pytest.raises(CalendarError, match="has begun"):
        await declare_holiday(servicing.ctx, MISSED_DAY, "too late", by="ops-1")
    assert await declare_holiday(servicing.ctx, MISSED_DAY + date.resolution, "ahead",
                                 by="ops-1") >= 0


async def test_the_migrated_schema_is_the_one_the_code_describes(servicing):
    engine = servicing.runtime.engine
    assert await schema_differences(engine, orm.metadata) == []
    await servicing.sql("DROP INDEX installments_to_remind")  # the check can see a change
    assert await schema_differences(engine, orm.metadata) != []


async def test_migration_0006_flags_the_loans_whose_cure_is_not_yet_published(database_url):
    config = alembic_config(MIGRATIONS, database_url)
    await asyncio.to_thread(command.upgrade, config, "0005")
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            for loan_id, since, bucket in (("cured", None, "dpd_1_30"),
                                           ("delinquent", date(2025, 2, 15), "dpd_1_30"),
                                           ("current", None, "current")):
                await conn.execute(text(
                    "INSERT INTO loans (loan_id, partner_id, applicant_id, status, currency, "
                    "minor_digits, principal, start_date, maturity_date, frequency, grace_days, "
                    "schedule_total, terms, booked_on, outstanding_principal, delinquent_since, "
                    "bucket, close_partition) VALUES (:id, 'p', 'a', 'active', 'EUR', 2, 100, "
                    ":start, :start, 'monthly', 0, 110, '{}', :start, 100, :since, :bucket, "
                    ":part)"), {"id": loan_id, "start": START, "since": since,
                                "bucket": bucket, "part": partition_of(loan_id)})
        await asyncio.to_thread(command.upgrade, config, "0006")
        async with engine.connect() as conn:
            flags = {r.loan_id: r.cure_pending for r in await conn.execute(text(
                "SELECT loan_id, cure_pending FROM loans"))}
            options = await conn.scalar(text(
                "SELECT reloptions FROM pg_class WHERE oid = 'loans'::regclass"))
        assert flags == {"cured": True, "delinquent": False, "current": False}
        assert options == ["fillfactor=70"]  # room for the close's heap-only updates
        await asyncio.to_thread(command.downgrade, config, "0005")  # and back again
        await asyncio.to_thread(command.upgrade, config, "head")
        assert await schema_differences(engine, orm.metadata) == []
    finally:
        await engine.dispose()


async def test_migration_0007_keeps_what_was_reported_missed_as_a_range_on_the_loan(
        database_url):
    config = alembic_config(MIGRATIONS, database_url)
    await asyncio.to_thread(command.upgrade, config, "0006")
    engine = create_async_engine(database_url)
    # (loan, its installments' states: 1 due 2025-02-15, 2 due 03-15, 3 due 04-15)
    books = {"late": ("missed", "missed", "open"),
             "reversed": ("open", "missed", "open"),  # 1 cured, then unpaid again
             "current": ("settled", "settled", "open")}
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO business_days (calendar_id, business_date, next_business_date) "
                "VALUES ('main', '2025-03-20', '2025-03-21')"))
            for loan_id, states in books.items():
                part = partition_of(loan_id)
                await conn.execute(text(
                    "INSERT INTO loans (loan_id, partner_id, applicant_id, status, currency, "
                    "minor_digits, principal, start_date, maturity_date, frequency, grace_days, "
                    "schedule_total, terms, booked_on, outstanding_principal, "
                    "paid_to_schedule, close_partition) VALUES (:id, 'p', 'a', 'active', "
                    "'EUR', 2, 300, '2025-01-15', '2025-04-15', 'monthly', 0, 330, '{}', "
                    "'2025-01-15', 300, :paid, :part)"),
                    {"id": loan_id, "paid": 220 if loan_id == "current" else 0, "part": part})
                for n, state in enumerate(states, start=1):
                    due = date(2025, 1 + n, 15)
                    await conn.execute(text(
                        "INSERT INTO installments (loan_id, number, due_date, effective_due, "
                        "overdue_from, principal, interest, fees, total, cumulative_due, "
                        "tolerance, state, close_partition) VALUES (:id, :n, :due, :due, "
                        ":over, 100, 10, 0, 110, :cum, 0, :state, :part)"),
                        {"id": loan_id, "n": n, "due": due, "over": due + date.resolution,
                         "cum": 110 * n, "state": state, "part": part})
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as conn:
            loans = {r.loan_id: (r.missed_from, r.missed_through, r.close_review)
                     for r in await conn.execute(text(
                         "SELECT loan_id, missed_from, missed_through, close_review FROM loans"))}
            states = set((await conn.execute(text("SELECT state FROM installments"))).scalars())
        assert loans == {"late": (1, 2, False), "reversed": (2, 2, True),
                         "current": (None, None, False)}
        assert states == {"open", "settled"}
        await asyncio.to_thread(command.downgrade, config, "0006")  # and back again
        async with engine.connect() as conn:
            back = {(r.loan_id, r.number): r.state for r in await conn.execute(text(
                "SELECT loan_id, number, state FROM installments"))}
        assert back == {(loan_id, n): state for loan_id, states in books.items()
                        for n, state in enumerate(states, start=1)}
        await asyncio.to_thread(command.upgrade, config, "head")
        assert await schema_differences(engine, orm.metadata) == []
    finally:
        await engine.dispose()
