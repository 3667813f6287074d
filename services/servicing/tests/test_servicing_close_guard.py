"""The day close never runs ahead of the wall clock unless an admin says so, and every closed
day and declared holiday names who did it (issue 20, item 3). On a real PostgreSQL, with the
test's wall clock (servicing_support.WALL_CLOCK, 2025-01-15 09:00 UTC)."""

from __future__ import annotations

from datetime import date

import pytest

from lending_servicing.domain.errors import InvalidCloseError
from lending_servicing.service_layer.holidays import declare_holiday
from lending_servicing.testing import contract_terms, disbursed, loan_booked

from .servicing_support import Servicing

pytestmark = pytest.mark.integration
START = date(2025, 1, 10)
TODAY = date(2025, 1, 15)  # the date of WALL_CLOCK in UTC


@pytest.fixture
async def servicing(database_url: str):
    app = await Servicing.start(database_url, initial_business_date=START)
    yield app
    await app.stop()


async def test_a_close_later_than_today_is_refused_without_the_override(servicing):
    terms = contract_terms(start=START)  # first due 2025-02-10: a far close would miss it
    await servicing.ledger(loan_booked("loan-1", terms), disbursed("loan-1", terms))
    with pytest.raises(InvalidCloseError) as refused:
        await servicing.close(date(2035, 1, 1), by="ops-1", allow_future_date=False)
    assert refused.value.field == "as_of" and "later than today's date" in str(refused.value)
    with pytest.raises(InvalidCloseError):
        await servicing.close(date(2025, 1, 16), by="ops-1", allow_future_date=False)
    assert await servicing.sql("SELECT * FROM business_days") == []
    assert await servicing.outbox() == []
    closed = await servicing.close(TODAY, by="ops-1", allow_future_date=False)
    assert [d.business_date for d in closed.closed][-1] == TODAY


async def test_each_closed_day_records_who_closed_it_and_whether_it_was_ahead(servicing):
    await servicing.close(TODAY, by="ops-1", allow_future_date=False)
    await servicing.close(date(2025, 1, 17), by="boss-1", allow_future_date=True)
    rows = await servicing.sql(
        "SELECT business_date, closed_by, ahead_of_wall_clock FROM business_days "
        "ORDER BY business_date")
    assert [tuple(r) for r in rows] == [
        (TODAY, "ops-1", False), (date(2025, 1, 16), "boss-1", True),
        (date(2025, 1, 17), "boss-1", True)]
    closes = await servicing.data("BusinessDayClosed")
    assert [(c["business_date"], c["closed_by"]) for c in closes] == [
        ("2025-01-15", "ops-1"), ("2025-01-16", "boss-1"), ("2025-01-17", "boss-1")]


async def test_today_is_the_date_in_the_lenders_time_zone(database_url: str):
    # 09:00 UTC on the 15th is 22:00 on the 14th in Pago Pago (UTC-11)
    app = await Servicing.start(database_url, initial_business_date=START,
                                time_zone="Pacific/Pago_Pago")
    try:
        with pytest.raises(InvalidCloseError, match=r"today's date \(2025-01-14\)"):
            await app.close(TODAY, allow_future_date=False)
        closed = await app.close(date(2025, 1, 14), allow_future_date=False)
        assert closed.business_date == TODAY
    finally:
        await app.stop()


async def test_the_end_of_the_calendar_is_a_field_error_even_for_an_admin(servicing):
    with pytest.raises(InvalidCloseError) as refused:
        await servicing.close(date(9999, 12, 31), by="boss-1", allow_future_date=True)
    assert refused.value.field == "as_of" and "beyond the business calendar" in str(
        refused.value)
    with pytest.raises(InvalidCloseError) as holiday:
        await declare_holiday(servicing.ctx, date(9999, 12, 31), "end of time", by="boss-1")
    assert holiday.value.field == "path.day"


async def test_a_holiday_records_who_declared_it(servicing):
    await declare_holiday(servicing.ctx, date(2025, 1, 20), "founders' day", by="ops-7")
    [row] = await servicing.sql("SELECT holiday, name, declared_by FROM holidays")
    assert tuple(row) == (date(2025, 1, 20), "founders' day", "ops-7")
