"""The day close in slices: every slice is closed, a close interrupted half-way finishes
without repeating an event, two closers at once record the day once, a day whose close has
begun cannot become a holiday, and the migrated schema is the one the code describes
(migration 0006 included, up and down)."""

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
from lending_servicing.adapters.day_close_sql import close_slices
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
            await close_slices(session, MISSED_DAY, [part], run="crashed", source="/test",
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
        await declare_holiday(servicing.ctx, MISSED_DAY, "too late")
    assert await declare_holiday(servicing.ctx, MISSED_DAY + date.resolution, "ahead") >= 0


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
        await asyncio.to_thread(command.upgrade, config, "head")
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
