"""The consumer's batch handler (service_layer/batched.py) against the handlers one event at a
time: the same loans, cases, risk, warnings, outreach and published events, whatever the
batch holds (a stub before its booking, a borrower's second loan, a cure of an open case, a
payment on a promise, a day close in the middle); and a batch costs a few statements in
all, not a few per loan."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from lending_collections.service_layer.handlers import build_handlers
from lending_events import Envelope, IntegrationEvent, topics
from lending_messaging import InMemoryConsumer
from lending_messaging.inbox import PostgresInbox
from lending_platform.dispatch import EventDispatcher

from .collections_support import Collections, booked, day_closed, delinquency, event, payment

pytestmark = pytest.mark.integration
FEB16 = date(2025, 2, 16)
GENERATED = ("case_id", "action_id", "warning_id", "outreach_id", "updated_at",
             "performed_at", "raised_at", "promise_id", "dedupe_key")


def one_at_a_time(coll: Collections) -> Collections:
    """The same service, its consumer calling the handlers event by event (as before), one
    record per transaction: it reads the records in the batched consumer's order (topic by
    topic, partition by partition; topics are not ordered with each other)."""
    coll.consumer = InMemoryConsumer(
        coll.broker, "collections", [topics.SERVICING, topics.LEDGER, topics.UNDERWRITING],
        EventDispatcher(build_handlers(coll.ctx.policy)),
        inbox=PostgresInbox(coll.runtime.sessions, "collections"), max_records=1)
    return coll


@pytest.fixture
async def pair(database_factory: Callable[[], str]
               ) -> AsyncIterator[tuple[Collections, Collections]]:
    batched = await Collections.start(database_factory())
    alone = one_at_a_time(await Collections.start(database_factory()))
    try:
        yield batched, alone
    finally:
        for coll in (batched, alone):
            assert coll.consumer.stats.dead_lettered == 0
            await coll.stop()
        assert batched.consumer.stats.fallbacks == 0  # no batch failed into one by one


def missed(loan: str, as_of: date, dpd: int, installment: int = 1) -> IntegrationEvent:
    return event("PaymentMissed", loan, installment_number=installment,
                 due_date=as_of - timedelta(days=dpd), as_of=as_of, days_past_due=dpd,
                 amount_paid=Decimal("40.00"), amount_overdue=Decimal("300.02"))


def due_soon(loan: str, installment: int, due: date) -> IntegrationEvent:
    return event("InstallmentDueSoon", loan, installment_number=installment, due_date=due,
                 days_until_due=3)


def a_month_of_a_small_book() -> list[IntegrationEvent]:
    a, b, c, d = "loan-a", "loan-b", "loan-c", "loan-d"
    mar18 = date(2025, 3, 18)
    settled = payment(a, "pay-a1", "340.02", FEB16)
    return [
        delinquency(d, FEB16, 1, "current", "dpd_1_30"),  # before its booking: a stub
        booked(a), booked(b), booked(d, product="car-loan"),
        event("Disbursed", a), event("Disbursed", b), event("Disbursed", d),
        due_soon(a, 1, date(2025, 2, 15)), due_soon(b, 1, date(2025, 2, 15)),
        missed(a, FEB16, 1), delinquency(a, FEB16, 1, "current", "dpd_1_30"),
        missed(b, FEB16, 1), delinquency(b, FEB16, 1, "current", "dpd_1_30"),
        delinquency(c, FEB16, 3, "current", "dpd_1_30"),  # never booked: stub and case
        day_closed(FEB16),
        settled.model_copy(update={"installments_settled": [1]}),
        payment(b, "pay-b1", "100.00", date(2025, 2, 20), principal_after="900.00"),
        delinquency(a, date(2025, 2, 20), 0, "dpd_1_30", "current"),  # cures: case closes
        due_soon(a, 2, date(2025, 3, 15)), due_soon(b, 2, date(2025, 3, 15)),
        missed(b, mar18, 31, installment=2),
        delinquency(b, mar18, 31, "dpd_1_30", "dpd_31_60"),
        payment(c, "pay-c1", "50.00", mar18, principal_after="950.00"),
        event("LoanClosed", d),
    ]


async def state(coll: Collections) -> dict[str, Any]:
    """Every row the consumer writes, without the ids and clocks it generates."""
    def clean(rows: list[Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r._mapping.items() if k not in GENERATED} for r in rows]

    out = {
        "loans": clean(await coll.sql("SELECT * FROM loans ORDER BY loan_id")),
        "risk": clean(await coll.sql("SELECT * FROM loan_risk ORDER BY loan_id")),
        "cases": clean(await coll.sql("SELECT * FROM cases ORDER BY loan_id, opened_on")),
        "actions": clean(await coll.sql(
            "SELECT a.*, c.loan_id FROM case_actions a JOIN cases c USING (case_id) "
            "ORDER BY c.loan_id, a.business_date, a.kind, a.code NULLS FIRST")),
        "warnings": clean(await coll.sql(
            "SELECT * FROM early_warnings ORDER BY loan_id, as_of")),
        "outreach": clean(await coll.sql(
            "SELECT * FROM outreach ORDER BY loan_id, installment_number")),
        "business_date": await coll.sql("SELECT business_date FROM business_day"),
    }
    published = await coll.sql("SELECT key, event_type, payload FROM outbox ORDER BY position")
    per_loan: dict[str, list[Any]] = {}
    for key, event_type, payload in published:
        data = json.loads(bytes(payload))["data"]
        per_loan.setdefault(key, []).append(
            (event_type, {k: v for k, v in data.items() if k not in GENERATED}))
    out["published"] = per_loan
    return out


@pytest.mark.parametrize("booked_first", [False, True])
async def test_a_month_of_loans_in_one_batch_ends_as_one_event_at_a_time(pair, booked_first):
    batched, alone = pair
    events = a_month_of_a_small_book()
    # all at once, servicing's topic comes first: delinquency before booking (stubs)
    first = [e for e in events if booked_first and e.event_type in ("LoanBooked", "Disbursed")]
    rest = [e for e in events if e not in first]

    for coll in (batched, alone):
        if first:
            await coll.deliver(*first)
        await coll.deliver(*rest)

    assert batched.consumer.stats.handled == alone.consumer.stats.handled == len(events)
    found, expected = await state(batched), await state(alone)
    assert [c["status"] for c in expected["cases"]] == ["closed", "open", "open", "closed"]
    assert expected["outreach"] and expected["warnings"]  # the paths below were exercised
    for table in expected:
        assert found[table] == expected[table], table


async def test_a_redelivered_batch_changes_nothing(pair):
    batched, _ = pair
    envelopes = await batched.deliver(*a_month_of_a_small_book())
    before = await state(batched)

    await batched.deliver(*envelopes)

    assert await state(batched) == before
    assert batched.consumer.stats.duplicates == len(envelopes)


async def test_two_hundred_loans_events_in_one_batch_take_a_few_statements(pair):
    batched, _ = pair
    loans = [f"loan-{n:03d}" for n in range(200)]
    events = [e for loan in loans for e in (
        booked(loan), event("Disbursed", loan), due_soon(loan, 1, date(2025, 2, 15)),
        missed(loan, FEB16, 1), delinquency(loan, FEB16, 1, "current", "dpd_1_30"),
        payment(loan, f"pay-{loan}", "40.00", FEB16, principal_after="960.00"))]
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa_event.listen(batched.runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        await batched.deliver(*events)
    finally:
        sa_event.remove(batched.runtime.engine.sync_engine, "before_cursor_execute", count)

    assert batched.consumer.stats.handled == 1200
    assert len(await batched.sql("SELECT 1 FROM cases WHERE status = 'open'")) == 200
    # per batch of up to 500: the inbox claim, a load and a write per table, the outbox;
    # one event at a time it was about ten statements per event
    assert len(statements) <= 60, len(statements)


async def test_each_action_a_close_announces_is_its_own_loans_event_caused_by_the_close(pair):
    batched, _ = pair
    loans = [f"loan-{n}" for n in range(5)]
    await batched.deliver(*(e for loan in loans for e in (
        booked(loan), delinquency(loan, FEB16, 9, "current", "dpd_1_30"))))
    [close] = await batched.deliver(day_closed(FEB16))

    rows = await batched.sql(
        "SELECT key, payload FROM outbox WHERE event_type = 'CollectionActionTaken'")
    announced = [Envelope.from_bytes(bytes(payload)) for _, payload in rows]
    actions = dict(await batched.sql(
        "SELECT a.action_id, c.loan_id FROM case_actions a JOIN cases c USING (case_id)"))
    assert len(announced) >= len(loans)
    assert len({e.id for e in announced}) == len(announced)
    for (key, _), envelope in zip(rows, announced, strict=True):
        assert key == envelope.subject == envelope.data["loan_id"]
        assert actions[envelope.data["action_id"]] == envelope.subject
        assert envelope.causationid == close.id
        assert envelope.correlationid == (close.correlationid or close.id)


async def test_a_loan_booked_and_paid_in_one_batch_is_scored_in_that_batch(pair):
    batched, alone = pair
    paid = payment("loan-p", "pay-p1", "340.02", date(2025, 2, 18))
    events = [booked("loan-p"), paid.model_copy(update={"installments_settled": [1]})]

    for coll in (batched, alone):
        await coll.deliver(*events)

    assert batched.consumer.stats.fallbacks == 0
    found, expected = await state(batched), await state(alone)
    assert found["risk"] == expected["risk"]
    assert found["loans"] == expected["loans"]
