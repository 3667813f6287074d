"""Underwriting with a concurrent consumer, on the real PostgreSQL and Kafka: many
applications at once still get exactly one decision each, one borrower's simultaneous
applications cannot stack past the policy, and a servicing event that overtakes the
booking is not lost."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import func, select, text

from lending_events import parse_event, to_envelope
from lending_messaging.tables import inbox
from lending_platform.dispatch import EventDispatcher
from lending_underwriting.adapters.orm import decisions
from lending_underwriting.adapters.repository import SqlStore
from lending_underwriting.service_layer.batch import build_batch_handler
from lending_underwriting.service_layer.decisions import application_from, decide_application
from lending_underwriting.service_layer.handlers import build_handlers
from lending_underwriting.testing import bureau_report, event_of, submitted

from .underwriting_support import (
    TopicReader,
    bureau_simulator,
    operator_key,
    publish,
    running_underwriting,
    underwriting_app,
    wait_until,
)

pytestmark = pytest.mark.integration
DECISIONS = {"LoanApproved", "ApplicationDeclined", "ApplicationReferred"}


@pytest.fixture
def bureau():
    with bureau_simulator() as (url, sim):
        yield url, sim


def new_application(**changes: Any) -> Any:
    loan_id = f"app-{uuid.uuid4().hex[:16]}"
    return submitted(loan_id, **{"identity_hash": f"sim-prime-{uuid.uuid4().hex}", **changes})


async def test_many_applications_at_once_get_exactly_one_decision_each(
        service_app, kafka_bootstrap, bureau):
    app = underwriting_app(service_app, bureau[0])
    apps = [new_application() for _ in range(40)]
    reader = await TopicReader(kafka_bootstrap).start()
    try:
        async with running_underwriting(app):
            assert app.state.runtime.workers["consumer"].concurrency > 1
            envelopes = await publish(kafka_bootstrap, *apps)
            await publish(kafka_bootstrap, *envelopes[:10])  # redelivered
            await publish(kafka_bootstrap, *apps[10:15])  # re-emitted under new event ids
            for a in apps:
                await reader.wait_for(a.loan_id, 2)
            await reader.settle()
            async with app.state.runtime.engine.connect() as conn:
                rows = await conn.scalar(select(func.count()).select_from(decisions).where(
                    decisions.c.application_id.in_([a.loan_id for a in apps])))
    finally:
        await reader.stop()
    by_loan: dict[str, list[str]] = {}
    for e in reader.seen:
        by_loan.setdefault(e.subject, []).append(e.type)
    for a in apps:
        kinds = by_loan[a.loan_id]
        assert len(kinds) == 2 and kinds[0] == "ScoreComputed" and kinds[1] in DECISIONS, kinds
    assert rows == len(apps)


async def test_one_borrowers_simultaneous_applications_cannot_stack(service_app, bureau):
    app = underwriting_app(service_app, bureau[0])
    token = f"sim-prime-{uuid.uuid4().hex}"
    apps = [application_from(new_application(identity_hash=token, requested_amount="5000.00"))
            for _ in range(3)]  # personal-credit allows two concurrent loans
    read = Counter[str]()

    class EveryoneReadsFirst(SqlStore):
        """Holds each decision after its exposure read until all three have read (or half
        a second passed): without a per-borrower lock, none would see another's offer."""

        async def locked_exposures(self, *args: Any) -> Any:
            seen = await super().locked_exposures(*args)
            read["n"] += 1
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    while read["n"] < len(apps):  # noqa: ASYNC110
                        await asyncio.sleep(0.01)
            return seen

    async with running_underwriting(app):
        runtime = app.state.runtime
        uw = runtime.ports["underwriting"]
        for a in apps:
            uw.prefetched.put(a.application_id, (bureau_report(), None))

        async def decide(a: Any) -> Any:
            async with runtime.sessions() as session, session.begin():
                return await decide_application(uw, EveryoneReadsFirst(session), a,
                                                date.today())

        made = await asyncio.gather(*(decide(a) for a in apps))
    outcomes = sorted(d.outcome for d in made)
    assert outcomes == ["approved", "approved", "declined"]
    declined = next(d for d in made if d.outcome == "declined")
    assert "stacking_detected" in declined.reason_codes


async def test_a_delinquency_that_overtakes_the_booking_counts_once_the_loan_is_booked(
        service_app, kafka_bootstrap, bureau):
    app = underwriting_app(service_app, bureau[0])
    application = new_application()
    loan_id, token = application.loan_id, application.identity_hash
    reader = await TopicReader(kafka_bootstrap).start()
    try:
        async with running_underwriting(app) as client:
            await publish(kafka_bootstrap, application)
            _, approved = await reader.wait_for(loan_id, 2)
            terms = parse_event(approved).terms
            (late,) = await publish(
                kafka_bootstrap,
                event_of("DelinquencyChanged", loan_id, currency="CNY", days_past_due=15,
                         overdue_amount="1700.00", outstanding_principal="18600.00"))

            async def handled(event_id: str) -> bool:
                async with app.state.runtime.engine.connect() as conn:
                    return bool(await conn.scalar(select(func.count()).select_from(inbox)
                                                  .where(inbox.c.event_id == event_id)))

            await wait_until(lambda: handled(late.id))  # it came first, and was kept
            await publish(kafka_bootstrap, event_of(
                "LoanBooked", loan_id, terms=terms, currency="CNY",
                net_disbursement="19800.00"))
            headers = await operator_key(app)

            async def booked() -> Any:
                body = (await client.get(f"/v1/exposure/{token}", headers=headers)).json()
                return body["exposure"] if body["exposure"]["active_loans"] else None

            exposure = await wait_until(booked)
    finally:
        await reader.stop()
    assert exposure["worst_days_past_due"] == 15
    assert D(exposure["outstanding"]) == D("18600.00")


async def test_two_batches_sharing_two_borrowers_wait_for_each_other_without_deadlock(
        service_app, bureau):
    """The first batch decides in two groups (its borrower `high` applies twice), so it
    used to lock `high` for its first group and `low` for its second; the second batch
    locks `low` then `high`. Now each batch locks all its borrowers first, in one order."""
    app = underwriting_app(service_app, bureau[0])
    async with running_underwriting(app):
        runtime = app.state.runtime
        async with runtime.engine.connect() as conn:
            pair = [f"sim-prime-{uuid.uuid4().hex}" for _ in range(2)]
            keys = {t: await conn.scalar(text("SELECT hashtext(:t)"), {"t": t}) for t in pair}
            low, high = sorted(pair, key=keys.__getitem__)
        first = [new_application(identity_hash=t) for t in (high, high, low)]
        second = [new_application(identity_hash=t) for t in (low, high)]
        uw = runtime.ports["underwriting"]
        for a in first + second:
            uw.prefetched.put(a.loan_id, (bureau_report(), None))
        second_is_locking = asyncio.Event()
        reads: Counter[int] = Counter()

        class FirstGroupLingers(SqlStore):
            """The first batch holds its first group's lock until the second batch is
            locking (or a second passed), the interleaving that deadlocked."""

            async def locked_exposures(self, wanted: Any, now: Any) -> Any:
                mine = id(self.session)
                if len(wanted) == 2 and reads[mine] == 0:
                    second_is_locking.set()
                seen = await super().locked_exposures(wanted, now)
                reads[mine] += 1
                if len(wanted) == 1 and reads[mine] == 1:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(1.0):
                            await second_is_locking.wait()
                return seen

        lingering = replace(uw, store_for=FirstGroupLingers)
        handle = build_batch_handler(lingering, EventDispatcher(build_handlers(lingering)))

        async def batch(apps: list[Any], delay: float) -> None:
            await asyncio.sleep(delay)
            async with runtime.sessions() as session, session.begin():
                await handle(session, [to_envelope(a, source="/lending/intake") for a in apps])

        await asyncio.gather(batch(first, 0), batch(second, 0.2))
        async with runtime.engine.connect() as conn:
            decided = await conn.scalar(select(func.count()).select_from(decisions).where(
                decisions.c.application_id.in_([a.loan_id for a in first + second])))
            deadlocks = await conn.scalar(text(
                "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))
    assert decided == 5 and deadlocks == 0
