"""Cases from the stream, on a real PostgreSQL with the real inbox and handlers: delinquency
opens exactly one case, the strategy pass acts once per (case, action, business date),
promises are kept or broken, and cure, restructure and write-off close the case."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from .collections_support import (
    Collections,
    booked,
    day_closed,
    delinquency,
    event,
    payment,
)

pytestmark = pytest.mark.integration
FEB16 = date(2025, 2, 16)


@pytest.fixture
async def coll(database_url: str) -> AsyncIterator[Collections]:
    service = await Collections.start(database_url)
    try:
        yield service
    finally:
        assert service.consumer.stats.dead_lettered == 0
        await service.stop()


def new_loan() -> str:
    return f"app-{uuid.uuid4().hex[:10]}"


async def delinquent_loan(coll: Collections, **kw: object) -> str:
    loan = new_loan()
    await coll.deliver(booked(loan, **kw), event("Disbursed", loan),
                       delinquency(loan, FEB16, 1, "current", "dpd_1_30"))
    return loan


async def case_of(coll: Collections, loan: str) -> Any:
    [row] = await coll.sql("SELECT * FROM cases WHERE loan_id = :l", l=loan)
    return row


async def test_a_loan_going_delinquent_opens_one_case_that_a_cure_closes(coll: Collections):
    loan = await delinquent_loan(coll)
    await coll.deliver(delinquency(loan, date(2025, 3, 18), 31, "dpd_1_30", "dpd_31_60"))
    opened = await coll.outbox("CollectionCaseOpened")
    assert [(e.loan_id, e.days_past_due, e.strategy, e.stage, e.classification)
            for e in opened] == [(loan, 1, "standard", "reminder", "special_mention")]
    case = await case_of(coll, loan)
    assert (case.status, case.bucket, case.days_past_due) == ("open", "dpd_31_60", 31)
    [projection] = await coll.sql("SELECT * FROM loans WHERE loan_id = :l", l=loan)
    assert (projection.product_code, projection.partner_id, projection.ifrs9_stage) == (
        "personal-credit", "partner-acme", 2)

    await coll.deliver(payment(loan, "pay-1", "340.02", date(2025, 3, 19)))
    await coll.deliver(delinquency(loan, date(2025, 3, 19), 0, "dpd_31_60", "current",
                                   overdue="0.00", outstanding="669.98"))
    [closed] = await coll.outbox("CollectionCaseClosed")
    assert (closed.case_id, closed.resolution, str(closed.recovered_amount)) == (
        opened[0].case_id, "cured", "340.02")
    audit = await coll.sql("SELECT kind, performed_by, reason FROM case_actions "
                           "WHERE case_id = :c ORDER BY performed_at", c=closed.case_id)
    assert [a.kind for a in audit] == ["case_opened", "case_closed"]
    assert all(a.performed_by == "system" and a.reason for a in audit)


async def test_a_loan_that_goes_delinquent_again_after_a_cure_gets_a_new_case(
        coll: Collections):
    loan = await delinquent_loan(coll)
    await coll.deliver(delinquency(loan, date(2025, 2, 20), 0, "dpd_1_30", "current"),
                       delinquency(loan, date(2025, 3, 16), 1, "current", "dpd_1_30"))
    rows = await coll.sql("SELECT status FROM cases WHERE loan_id = :l ORDER BY opened_on",
                          l=loan)
    assert [r.status for r in rows] == ["closed", "open"]


async def test_a_redelivered_delinquency_event_opens_no_second_case(coll: Collections):
    loan = new_loan()
    await coll.deliver(booked(loan))
    [env] = await coll.deliver(delinquency(loan, FEB16, 1, "current", "dpd_1_30"))
    await coll.deliver(env)
    assert len(await coll.outbox("CollectionCaseOpened")) == 1
    assert coll.consumer.stats.duplicates == 1


async def test_a_missed_payment_raises_one_early_warning_a_day_with_its_signals(
        coll: Collections):
    loan = new_loan()
    await coll.deliver(booked(loan))
    missed = event("PaymentMissed", loan, installment_number=1, as_of=FEB16,
                   amount_paid="40.00", amount_overdue="300.02")
    await coll.deliver(missed, event("PaymentMissed", loan, installment_number=1, as_of=FEB16))
    [warning] = await coll.outbox("EarlyWarningRaised")
    assert (warning.severity, warning.signals, warning.days_past_due) == (
        "high", ["payment_missed", "first_payment_default", "partial_payment"], 1)
    # cured once, late again on the third installment: the pattern is a signal of its own,
    # beside what the loan's record already holds
    await coll.deliver(delinquency(loan, FEB16, 1, "current", "dpd_1_30"),
                       delinquency(loan, date(2025, 2, 18), 0, "dpd_1_30", "current"))
    await coll.deliver(event("PaymentMissed", loan, installment_number=3,
                             as_of=date(2025, 4, 16)))
    later = (await coll.outbox("EarlyWarningRaised"))[-1]
    assert (later.signals, later.severity, later.as_of) == (
        ["payment_missed", "first_payment_default", "partial_payment", "late_payment_pattern"],
        "high", date(2025, 4, 16))


async def test_the_day_close_ages_the_loan_and_the_ladder_acts_once_per_day(
        coll: Collections):
    loan = await delinquent_loan(coll)
    await coll.deliver(day_closed(FEB16))  # 1 DPD: the first reminder
    [env] = await coll.deliver(day_closed(date(2025, 2, 23)))  # 8 DPD: sms again + call
    await coll.deliver(env, day_closed(date(2025, 2, 23)))  # redelivered, and re-published
    actions = await coll.sql("SELECT code, business_date, strategy_version, delivery_status"
                             " FROM case_actions WHERE code IS NOT NULL"
                             " ORDER BY business_date, code")
    assert [(a.code, a.business_date.day) for a in actions] == [
        ("sms-reminder", 16), ("call", 23), ("sms-reminder", 23)]
    assert {a.strategy_version for a in actions} == {"2025.1"}
    case = await case_of(coll, loan)
    assert (case.days_past_due, case.stage) == (8, "call")
    assert case.next_action_on == date(2025, 2, 26)
    # the call task is announced with the pass; the SMS only once the gateway has it
    assert [e.outcome for e in await coll.outbox("CollectionActionTaken")] == ["task_created"]

    assert await coll.delivery.deliver_due() == 2
    assert await coll.delivery.deliver_due() == 0
    assert len(coll.notifier.sent) == 2
    body = next(iter(coll.notifier.sent.values())).body
    assert loan in body and "1 days overdue" in body
    taken = await coll.outbox("CollectionActionTaken")
    assert sorted(e.outcome for e in taken) == ["delivered", "delivered", "task_created"]


async def test_an_sms_waits_out_the_quiet_hours_and_a_gateway_outage(coll: Collections):
    coll.clock[0] = datetime(2025, 2, 16, 22, 0, tzinfo=UTC)
    await delinquent_loan(coll)
    await coll.deliver(day_closed(FEB16))
    assert await coll.delivery.deliver_due() == 0  # 22:00: quiet
    coll.clock[0] = datetime(2025, 2, 17, 8, 0, tzinfo=UTC)
    coll.notifier.fail_next = 1
    assert await coll.delivery.deliver_due() == 0  # the gateway is down: still pending
    assert await coll.delivery.deliver_due() == 1
    assert len(coll.notifier.sent) == 1 and coll.notifier.attempts == 2


async def test_a_refused_sms_is_marked_failed_and_not_announced(coll: Collections):
    loan = await delinquent_loan(coll)
    coll.notifier.opted_out.add(loan)
    await coll.deliver(day_closed(FEB16))
    assert await coll.delivery.deliver_due() == 1
    assert await coll.delivery.deliver_due() == 0  # settled: not retried
    [row] = await coll.sql("SELECT delivery_status FROM case_actions WHERE code IS NOT NULL")
    assert row.delivery_status == "failed"
    assert await coll.outbox("CollectionActionTaken") == []


async def test_contacts_recorded_by_agents_count_toward_the_weekly_limit(coll: Collections):
    loan = await delinquent_loan(coll)
    case = await case_of(coll, loan)
    for _ in range(3):
        async with coll.ctx.sessions() as session, session.begin():
            from lending_collections.service_layer.cases import record_contact

            await record_contact(session, coll.ctx.policy, case.case_id, channel="call",
                                 outcome="no_answer", stage="call", by="agent-7",
                                 why="tried the mobile")
    await coll.deliver(day_closed(FEB16))
    assert await coll.sql("SELECT 1 FROM case_actions WHERE code IS NOT NULL") == []


async def test_calls_past_the_weeks_contact_limit_are_refused_and_leave_no_trace(
        coll: Collections):
    from lending_collections.domain.errors import ContactLimitReachedError
    from lending_collections.service_layer.cases import record_contact

    loan = await delinquent_loan(coll)
    case = await case_of(coll, loan)
    limit = coll.ctx.policy.book.limits.max_contacts_per_week

    async def call() -> str:
        async with coll.ctx.sessions() as session, session.begin():
            return await record_contact(session, coll.ctx.policy, case.case_id,
                                        channel="call", outcome="no_answer", stage="call",
                                        by="agent-7", why="tried the mobile")

    await coll.deliver(day_closed(date(2025, 2, 15)))  # the strategy may contact first
    made = 0
    with pytest.raises(ContactLimitReachedError):
        for _ in range(limit + 1):
            await call()
            made += 1
    kinds = [r.kind for r in await coll.sql(
        "SELECT kind FROM case_actions WHERE case_id = :c AND is_contact", c=case.case_id)]
    messages = sum(k in ("sms_reminder", "email_reminder") for k in kinds)
    assert 1 <= made == limit - messages


async def test_the_call_a_task_asked_for_is_the_tasks_contact_not_another_one(
        coll: Collections):
    from lending_collections.domain.errors import ContactLimitReachedError
    from lending_collections.service_layer.cases import record_contact

    loan = await delinquent_loan(coll)
    case = await case_of(coll, loan)
    for day in (16, 19, 22):  # 1, 4 and 7 DPD: reminders every three days
        await coll.deliver(day_closed(date(2025, 2, day)))
    await coll.deliver(day_closed(date(2025, 2, 23)))  # 8 DPD: the call task fills the week

    async def call() -> None:
        async with coll.ctx.sessions() as session, session.begin():
            await record_contact(session, coll.ctx.policy, case.case_id, channel="call",
                                 outcome="promise_made", stage="call", by="agent-7",
                                 why="answered")

    kinds = [r.kind for r in await coll.sql(
        "SELECT kind FROM case_actions WHERE case_id = :c AND is_contact", c=case.case_id)]
    assert kinds.count("call_task") == 1 and len(kinds) == 4  # 3 in the week to the 23rd
    await call()  # the contact the task kept room for
    with pytest.raises(ContactLimitReachedError):
        await call()


async def test_a_promise_is_kept_by_a_payment_and_another_broken_at_the_day_close(
        coll: Collections):
    from decimal import Decimal

    from lending_collections.service_layer.cases import record_promise

    kept_loan, broken_loan = await delinquent_loan(coll), await delinquent_loan(coll)
    for loan in (kept_loan, broken_loan):
        case = await case_of(coll, loan)
        async with coll.ctx.sessions() as session, session.begin():
            await record_promise(session, coll.ctx.policy, case.case_id,
                                 amount=Decimal("340.02"), currency="EUR",
                                 promised_date=date(2025, 2, 20), by="agent-7",
                                 why="salary on the 20th")
    await coll.deliver(day_closed(FEB16))  # a pending promise pauses the ladder
    assert await coll.sql("SELECT 1 FROM case_actions WHERE code IS NOT NULL") == []
    await coll.deliver(payment(kept_loan, "pay-k", "340.02", date(2025, 2, 19)),
                       payment(broken_loan, "pay-b", "100.00", date(2025, 2, 19)))
    [kept] = await coll.outbox("PromiseToPayKept")
    assert (kept.loan_id, str(kept.amount_paid)) == (kept_loan, "340.02")
    await coll.deliver(day_closed(date(2025, 2, 20)))
    [broken] = await coll.outbox("PromiseToPayBroken")
    assert (broken.loan_id, str(broken.amount_paid), broken.broken_on) == (
        broken_loan, "100.00", date(2025, 2, 20))
    assert len(await coll.outbox("PromiseToPayRecorded")) == 2
    # no promise is pending any more: both ladders resume (a kept promise is not a cure;
    # servicing's DelinquencyChanged back to current is what closes the case)
    await coll.deliver(day_closed(date(2025, 2, 21)))
    acted = await coll.sql("SELECT DISTINCT c.loan_id FROM case_actions a JOIN cases c"
                           " USING (case_id) WHERE a.code IS NOT NULL")
    assert {r.loan_id for r in acted} == {kept_loan, broken_loan}


async def test_write_off_and_restructure_close_their_cases_and_classify_the_loan(
        coll: Collections):
    written, restructured = await delinquent_loan(coll), await delinquent_loan(coll)
    await coll.deliver(day_closed(date(2025, 5, 20)))  # 94 DPD: substandard, stage 3
    [row] = await coll.sql("SELECT asset_class, ifrs9_stage FROM loans WHERE loan_id = :l",
                           l=written)
    assert tuple(row) == ("substandard", 3)
    await coll.deliver(event("LoanWrittenOff", written, days_past_due=180),
                       event("LoanRestructured", restructured,
                             effective_date=date(2025, 5, 21)))
    closed = {e.loan_id: e.resolution for e in await coll.outbox("CollectionCaseClosed")}
    assert closed == {written: "written_off", restructured: "restructured"}
    rows = {r.loan_id: (r.asset_class, r.ifrs9_stage, r.status, r.restructured)
            for r in await coll.sql(
                "SELECT loan_id, asset_class, ifrs9_stage, status, restructured FROM loans")}
    assert rows[written] == ("loss", 3, "written_off", False)
    assert rows[restructured] == ("substandard", 2, "active", True)
    # a LoanClosed after the write-off does not close anything twice
    await coll.deliver(event("LoanClosed", written, reason="written_off"))
    assert len(await coll.outbox("CollectionCaseClosed")) == 2
    assert (await case_of(coll, written)).closed_on == date(2025, 10, 15)
