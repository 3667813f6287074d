"""The ledger's payout on the real PostgreSQL and Kafka, with a fake payout provider wired
through the composition root: the value date is fixed before the provider is called, so a
day close during the call changes nothing; an APR beyond the disclosure tolerance on the
anchored schedule is refused before any money moves."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from lending_events import topic_for
from lending_events.servicing import BusinessDayClosed
from lending_ledger.adapters.payout import (
    InMemoryPayoutProvider,
    PayoutConfirmation,
    PayoutRequest,
)
from lending_ledger.config import Settings
from lending_ledger.entrypoints.app import create_app
from lending_ledger.testing import accepted, approved, built_terms, issue_operator_key
from lending_platform.testing import running

from .ledger_support import end_offsets, ledger_events_on_kafka, publish, wait_for

pytestmark = pytest.mark.integration
PAID_OUT = date(2027, 6, 15)  # the business date when the payout is requested


def ledger_app(database_factory: Callable[[], str], bootstrap: str,
               payout: InMemoryPayoutProvider) -> Any:
    # from the topics' end: no earlier test's day close sets this ledger's business date
    return create_app(Settings(
        database_url=database_factory(), kafka_bootstrap_servers=bootstrap,
        consumer_group=f"test-ledger-{uuid.uuid4().hex[:8]}", consumer_offset_reset="latest",
        log_json=False, run_accrual_worker=False, disbursement_poll_seconds=0.05),
        payout=payout)


async def stream(app: Any, loan_id: str) -> list[tuple[str, dict[str, Any]]]:
    async with app.state.runtime.engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT type, data FROM events WHERE stream_id = :s ORDER BY version"), {"s": loan_id})
        return [(r.type, r.data) for r in rows]


async def has(app: Any, loan_id: str, event_type: str) -> bool:
    return event_type in [t for t, _ in await stream(app, loan_id)]


class CloseDuringThePayout(InMemoryPayoutProvider):
    """Before answering, servicing closes the business day and the ledger records it."""

    def __init__(self, bootstrap: str) -> None:
        super().__init__()
        self.bootstrap = bootstrap
        self.app: Any = None

    async def pay(self, request: PayoutRequest) -> PayoutConfirmation:
        await publish(self.bootstrap, BusinessDayClosed(
            calendar_id="main", business_date=PAID_OUT,
            next_business_date=PAID_OUT + timedelta(days=1)))

        async def moved_on() -> bool:
            async with self.app.state.runtime.engine.connect() as conn:
                return await conn.scalar(text(
                    "SELECT max(next_business_date) FROM business_dates")) == PAID_OUT + \
                    timedelta(days=1)

        await wait_for(moved_on, "the ledger to record the day close")
        return await super().pay(request)


async def test_a_day_close_during_the_payout_call_leaves_value_and_anchor_on_one_date(
        database_factory, kafka_bootstrap):
    loan_id, decision_id = f"loan-{uuid.uuid4().hex[:10]}", f"dec-{uuid.uuid4().hex[:10]}"
    payout = CloseDuringThePayout(kafka_bootstrap)
    app = payout.app = ledger_app(database_factory, kafka_bootstrap, payout)
    priced = built_terms("1000.00", "0.12", 3, start=PAID_OUT - timedelta(days=10))
    since = await end_offsets(kafka_bootstrap, topic_for("Disbursed"))
    async with running(app, from_now=True):
        await publish(kafka_bootstrap, approved(loan_id, decision_id, priced),
                      accepted(loan_id, decision_id, at=f"{PAID_OUT}T10:00:00+00:00"))
        await wait_for(lambda: has(app, loan_id, "LoanDisbursed"), "the payout")
        events = dict(await stream(app, loan_id))
    assert list(events) == ["LoanBooked", "PayoutRequested", "LoanDisbursed"]
    assert events["PayoutRequested"]["value_date"] == PAID_OUT.isoformat()
    paid = events["LoanDisbursed"]
    assert paid["value_date"] == paid["terms"]["start_date"] == PAID_OUT.isoformat()
    assert paid["terms"]["first_due_date"] == "2027-07-15"
    published = await ledger_events_on_kafka(kafka_bootstrap, since, loan_id, 2)
    disbursed = published[1]
    assert disbursed.type == "Disbursed" and disbursed.businessdate == PAID_OUT
    assert disbursed.data["terms"]["schedule"][0]["due_date"] == "2027-07-15"


async def test_an_apr_beyond_the_tolerance_is_refused_and_no_money_moves(
        database_factory, kafka_bootstrap):
    loan_id, decision_id = f"loan-{uuid.uuid4().hex[:10]}", f"dec-{uuid.uuid4().hex[:10]}"
    payout = InMemoryPayoutProvider()
    app = ledger_app(database_factory, kafka_bootstrap, payout)
    # priced on a month end (30/360: a 28-day first period), accepted and paid out the next
    # day (a whole first month): the APR on what would be booked is ~0.3 point above
    terms = built_terms("5000.00", "0.23", 12, start=date(2027, 1, 31))
    since = await end_offsets(kafka_bootstrap, topic_for("Disbursed"))
    async with running(app, from_now=True) as client:
        await publish(kafka_bootstrap, approved(loan_id, decision_id, terms),
                      accepted(loan_id, decision_id, at="2027-02-01T10:00:00+00:00"))
        await wait_for(lambda: has(app, loan_id, "DisbursementFailed"), "the refusal")
        key = await issue_operator_key(app.state.runtime.sessions)
        loan = (await client.get(f"/v1/loans/{loan_id}",
                                 headers={"Authorization": f"Bearer {key}"})).json()
        types = [t for t, _ in await stream(app, loan_id)]
    assert payout.requests == 0 and payout.payouts == {}
    assert loan["status"] == "disbursement_failed" and loan["disbursed_on"] is None
    assert types == ["LoanBooked", "DisbursementFailed"]
    published = await ledger_events_on_kafka(kafka_bootstrap, since, loan_id, 2)
    refused = published[1].data
    assert refused["failure_code"] == "apr_outside_tolerance" and refused["retryable"] is False
