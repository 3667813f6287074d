"""Issue 20, item 5, on the real PostgreSQL and the real Kafka: one servicer alone cannot
reverse a large payment (maker-checker above LEDGER_REVERSAL_APPROVAL_ABOVE), the operator who
asked cannot approve it, and every PaymentReversed on Kafka names who asked and who approved;
each request leaves an access log line with the principal and the route template."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from lending_events import topics
from lending_ledger.testing import accepted, approved, future_terms, payment
from lending_platform.testing import running

from .intake_helpers import eventually, topic_tail
from .ledger_support import publish, start_simulator
from .test_collections_journey import key
from .test_collections_over_kafka import Tail, start_group_at_end

pytestmark = pytest.mark.integration


class Lines(logging.Handler):
    """The access lines, caught on their own logger (the app replaces the root's handlers)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.access: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.access.append(record.fields["access"])  # type: ignore[attr-defined]


@pytest.fixture
def access_lines() -> Iterator[Lines]:
    lines, logger = Lines(), logging.getLogger("lending.access")
    logger.addHandler(lines)
    try:
        yield lines
    finally:
        logger.removeHandler(lines)


async def events_of(app: Any, loan_id: str, event_type: str) -> int:
    async with app.state.runtime.engine.connect() as conn:
        return int(await conn.scalar(text(
            "SELECT count(*) FROM events WHERE stream_id = :s AND type = :t"),
            {"s": loan_id, "t": event_type}) or 0)


async def test_a_large_payment_reversal_takes_a_second_operator_and_names_both(
        service_app, kafka_bootstrap: str, access_lines: Lines) -> None:
    loan = f"loan-{uuid.uuid4().hex[:10]}"
    terms = future_terms()
    first_due = date.fromisoformat(terms["schedule"][0]["due_date"])
    group = f"test-ledger-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_bootstrap, group, [
        topics.INTAKE, topics.UNDERWRITING, topics.SERVICING, topics.COLLECTIONS])
    with start_simulator() as payout_url:
        ledger = service_app("ledger", payout_url=payout_url, run_accrual_worker=False,
                             consumer_group=group, reversal_approval_above={"EUR": "50.00"})
        async with running(ledger) as client, \
                topic_tail(kafka_bootstrap, topics.LEDGER) as tail_:
            tail = Tail(tail_)
            maker = await key(ledger, "ops-maker", "servicer")
            checker = await key(ledger, "ops-checker", "servicer")
            await publish(kafka_bootstrap, approved(loan, f"dec-{loan}", terms),
                          accepted(loan, f"dec-{loan}"))
            await tail.find(loan, "Disbursed", within=120)
            await publish(kafka_bootstrap, payment(loan, "pay-big", "344.02", first_due),
                          payment(loan, "pay-small", "20.00", first_due))
            await eventually(lambda: _two(ledger, loan), within=60)
            path = f"/v1/ops/loans/{loan}/payments/pay-big/reversal"

            # the attack: one servicer takes 344.02 back onto the borrower's balance
            asked = await client.post(path, headers=maker, json={"reason": "bounced"})
            assert asked.status_code == 202, asked.text
            request = asked.json()
            assert (request["status"], request["requested_by"]) == (
                "awaiting_approval", "ops-maker")
            assert await events_of(ledger, loan, "PaymentReversed") == 0
            own = await client.post(f"/v1/ops/reversals/{request['reversal_id']}/approve",
                                    headers=maker, json={"note": "my own"})
            assert own.status_code == 403, own.text
            assert await events_of(ledger, loan, "PaymentReversed") == 0
            smuggled = await client.post(path, headers=maker, json={
                "reason": "bounced", "approved_by": "ops-checker"})
            assert smuggled.status_code == 422, smuggled.text  # unknown fields are refused

            approved_ = await client.post(
                f"/v1/ops/reversals/{request['reversal_id']}/approve", headers=checker,
                json={"note": "the bank confirmed the bounce"})
            assert approved_.status_code == 200, approved_.text
            assert approved_.json()["status"] == "reversed"
            assert approved_.json()["loan"]["balances"]["total_paid"] == "20.00"
            big = await tail.find(loan, "PaymentReversed", within=60)
            assert (big.payment_id, big.requested_by, big.approved_by) == (
                "pay-big", "ops-maker", "ops-checker")

            small = await client.post(f"/v1/ops/loans/{loan}/payments/pay-small/reversal",
                                      headers=maker, json={"reason": "duplicate"})
            assert small.status_code == 201, small.text
            assert small.json()["status"] == "reversed"
            rid = small.json()["reversal_id"]
            done = await tail.find(loan, "PaymentReversed", within=60,
                                   where=lambda data: data["reversal_id"] == rid)
            assert (done.payment_id, done.requested_by, done.approved_by) == (
                "pay-small", "ops-maker", None)

    reversal_lines = [a for a in access_lines.access
                      if a["route"] == "/v1/ops/loans/{loan_id}/payments/{payment_id}/reversal"]
    assert [(a["principal_id"], a["status"]) for a in reversal_lines] == [
        ("ops-maker", 202), ("ops-maker", 422), ("ops-maker", 201)]
    assert all(loan not in str(a) for a in access_lines.access)


async def _two(app: Any, loan_id: str) -> bool:
    return await events_of(app, loan_id, "PaymentApplied") >= 2
