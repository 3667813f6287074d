"""The ledger on the real PostgreSQL and Kafka, with the payout provider simulator: an
accepted offer is booked and paid out and both facts reach Kafka; payments are applied once;
the read APIs, the journal and the trial balance agree."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from sqlalchemy import text

from lending_events import Envelope, to_envelope, topic_for
from lending_ledger.testing import (
    accepted,
    approved,
    future_terms,
    issue_operator_key,
    payment,
)
from lending_messaging import KafkaEventPublisher
from lending_messaging.outbox import add_many_to_outbox  # noqa: F401  (documented path)
from lending_platform.testing import running

from .ledger_support import (
    end_offsets,
    ledger_events_on_kafka,
    outbox_drained,
    publish,
    start_simulator,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def simulator() -> Iterator[str]:
    with start_simulator() as url:
        yield url


def new_loan() -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:10]
    return f"loan-{suffix}", f"dec-{suffix}"


async def stream_types(app, loan_id: str) -> list[str]:
    async with app.state.runtime.engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT type FROM events WHERE stream_id = :s ORDER BY version"), {"s": loan_id})
        return list(rows.scalars())


async def test_an_accepted_offer_is_booked_paid_out_and_announced_on_kafka(
    service_app, kafka_bootstrap, simulator
):
    loan_id, decision_id = new_loan()
    app = service_app("ledger", payout_url=simulator, run_accrual_worker=False)
    since = await end_offsets(kafka_bootstrap, topic_for("Disbursed"))
    async with running(app):
        # acceptance first, terms later: different topics, no order between them
        await publish(kafka_bootstrap, accepted(loan_id, decision_id))
        await wait_for(lambda: _parked(app, decision_id), "the acceptance to be parked")
        await publish(kafka_bootstrap, approved(loan_id, decision_id, future_terms()))
        await wait_for(lambda: _has(app, loan_id, "LoanDisbursed"), "the payout")
        assert await stream_types(app, loan_id) == [
            "LoanBooked", "PayoutRequested", "LoanDisbursed"]
        await wait_for(lambda: outbox_drained(app), "the relay")
    published = await ledger_events_on_kafka(kafka_bootstrap, since, loan_id, 2)
    assert [e.type for e in published] == ["LoanBooked", "Disbursed"]
    disbursed = published[1].data
    assert disbursed["amount"] == "980.00" and disbursed["fees_withheld"] == "20.00"
    async with httpx.AsyncClient(base_url=simulator) as sim:
        payouts = (await sim.get("/admin/payouts")).json()
    assert [p["amount"] for p in payouts["payouts"] if p["idempotency_key"] == loan_id] == [
        "980.00"]


async def test_the_payout_failing_twice_then_succeeding_pays_the_borrower_once(
    service_app, kafka_bootstrap, simulator
):
    loan_id, decision_id = new_loan()
    app = service_app("ledger", payout_url=simulator, payout_backoff_seconds=0.01,
                      run_accrual_worker=False)
    async with httpx.AsyncClient(base_url=simulator) as sim:
        await sim.post("/admin/fail-next", json={"count": 2, "idempotency_key": loan_id})
        async with running(app):
            await publish(kafka_bootstrap, approved(loan_id, decision_id, future_terms()),
                          accepted(loan_id, decision_id))
            await wait_for(lambda: _has(app, loan_id, "LoanDisbursed"), "the payout")
            assert await stream_types(app, loan_id) == [
                "LoanBooked", "PayoutRequested", "LoanDisbursed"]
        state = (await sim.get("/admin/payouts")).json()
    assert state["requests"][loan_id] == 3  # two 503s, then the payout
    assert next(p for p in state["payouts"] if p["idempotency_key"] == loan_id)["amount"] == (
        "980.00")
    assert sum(1 for p in state["payouts"] if p["idempotency_key"] == loan_id) == 1


async def test_a_duplicate_payment_is_applied_once_and_the_books_balance(
    service_app, kafka_bootstrap, simulator
):
    loan_id, decision_id = new_loan()
    app = service_app("ledger", payout_url=simulator, run_accrual_worker=False)
    async with running(app) as client:
        key = await issue_operator_key(app.state.runtime.sessions)
        auth = {"Authorization": f"Bearer {key}"}
        await publish(kafka_bootstrap, approved(loan_id, decision_id, future_terms()),
                      accepted(loan_id, decision_id))
        await wait_for(lambda: _has(app, loan_id, "LoanDisbursed"), "the payout")
        first_due = date.fromisoformat(future_terms()["schedule"][0]["due_date"])
        received = payment(loan_id, "pay-1", "344.02", first_due)
        envelope = to_envelope(received, source="/lending/servicing")
        again = to_envelope(received, source="/lending/servicing")  # same payment, new id
        await publish(kafka_bootstrap, envelope, envelope, again)
        await wait_for(lambda: _has(app, loan_id, "PaymentApplied"), "the payment")
        await asyncio.sleep(1.0)  # room for a second application, if one were coming
        assert (await stream_types(app, loan_id)).count("PaymentApplied") == 1

        loan = (await client.get(f"/v1/loans/{loan_id}", headers=auth)).json()
        assert loan["status"] == "active" and loan["installments"][0]["settled"] is True
        assert loan["balances"]["total_paid"] == "344.02"
        events = (await client.get(f"/v1/loans/{loan_id}/events", headers=auth)).json()["items"]
        assert [e["type"] for e in events] == [
            "LoanBooked", "PayoutRequested", "LoanDisbursed", "PaymentApplied"]
        journal = (await client.get(f"/v1/loans/{loan_id}/journal",
                                    headers=auth)).json()["items"]
        assert [e["event_type"] for e in journal] == ["LoanDisbursed", "PaymentApplied"]
        for entry in journal:
            debit = sum(float(line["debit"]) for line in entry["lines"])  # display only
            credit = sum(float(line["credit"]) for line in entry["lines"])
            assert round(debit - credit, 2) == 0
        trial = (await client.get("/v1/trial-balance", headers=auth)).json()
        assert trial["balanced"] is True
        assert (await client.get(f"/v1/loans/{loan_id}")).status_code == 401


async def _parked(app, decision_id: str) -> bool:
    async with app.state.runtime.engine.connect() as conn:
        return bool(await conn.scalar(text(
            "SELECT count(*) FROM parked_acceptances WHERE decision_id = :d"),
            {"d": decision_id}))


async def _has(app, loan_id: str, event_type: str) -> bool:
    return event_type in await stream_types(app, loan_id)


__all__ = ["Envelope", "KafkaEventPublisher"]
