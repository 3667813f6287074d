"""Restructures and recoveries on the real PostgreSQL and Kafka: RestructureRequested in,
LoanRestructured out (a duplicate request is a no-op, an impossible one is refused and
recorded); a payment after a write-off comes out as RecoveryApplied; the books balance."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from lending_events import to_envelope, topic_for
from lending_events.samples import sample_event
from lending_events.vocabulary import RestructureKind
from lending_ledger.testing import accepted, approved, future_terms, payment
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


async def _types(app, loan_id: str) -> list[str]:
    async with app.state.runtime.engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT type FROM events WHERE stream_id = :s ORDER BY version"), {"s": loan_id})
        return list(rows.scalars())


async def _disbursed_loan(app, kafka_bootstrap: str) -> tuple[str, date]:
    suffix = uuid.uuid4().hex[:10]
    loan_id, decision_id = f"loan-{suffix}", f"dec-{suffix}"
    await publish(kafka_bootstrap, approved(loan_id, decision_id, future_terms()),
                  accepted(loan_id, decision_id))

    async def paid_out() -> bool:
        return "LoanDisbursed" in await _types(app, loan_id)

    await wait_for(paid_out, "the payout")
    async with app.state.runtime.engine.connect() as conn:
        on = await conn.scalar(text(
            "SELECT view->>'disbursed_on' FROM loan_accounts WHERE loan_id = :l"),
            {"l": loan_id})
    return loan_id, date.fromisoformat(on)


async def test_a_restructure_request_comes_out_as_loan_restructured_once(
    service_app, kafka_bootstrap, simulator
):
    app = service_app("ledger", payout_url=simulator, run_accrual_worker=False)
    since = await end_offsets(kafka_bootstrap, topic_for("LoanRestructured"))
    async with running(app):
        loan_id, disbursed_on = await _disbursed_loan(app, kafka_bootstrap)
        effective = disbursed_on + timedelta(days=10)
        request = sample_event("RestructureRequested").model_copy(update={
            "loan_id": loan_id, "request_id": f"rr-{loan_id}", "kind": RestructureKind.RESTRUCTURE,
            "requested_on": effective, "effective_date": effective,
            "new_installment_count": 5, "new_annual_rate": Decimal("0.08"),
            "first_due_date": effective + timedelta(days=45), "capitalize_arrears": False,
            "waive_amount": Decimal("0.00")})
        in_usd = request.model_copy(update={"request_id": f"rr-usd-{loan_id}",
                                            "currency": "USD"})
        source = "/lending/collections"
        await publish(kafka_bootstrap, to_envelope(request, source=source),
                      to_envelope(request, source=source),  # the same request, a new id
                      to_envelope(in_usd, source=source))

        async def refused() -> bool:
            async with app.state.runtime.engine.connect() as conn:
                return bool(await conn.scalar(text(
                    "SELECT count(*) FROM refusals WHERE loan_id = :l "
                    "AND reason = 'restructure_not_applicable' AND detail LIKE '%currency%'"),
                    {"l": loan_id}))

        await wait_for(refused, "the USD request to be refused")
        await asyncio.sleep(1.0)  # room for a second restructure, if one were coming
        assert (await _types(app, loan_id)).count("LoanRestructured") == 1
        await wait_for(lambda: outbox_drained(app), "the relay")
    published = await ledger_events_on_kafka(kafka_bootstrap, since, loan_id, 3)
    assert [e.type for e in published] == ["LoanBooked", "Disbursed", "LoanRestructured"]
    data = published[2].data
    assert data["request_id"] == f"rr-{loan_id}" and data["effective_date"] == str(effective)
    terms = data["new_terms"]
    assert terms["annual_rate"] == "0.08" and len(terms["schedule"]) == 5
    assert terms["first_due_date"] == str(effective + timedelta(days=45))
    assert terms["principal"] == "1000.00" and terms["start_date"] == str(effective)


async def test_a_payment_after_the_write_off_comes_out_as_recovery_applied(
    service_app, kafka_bootstrap, simulator
):
    app = service_app("ledger", payout_url=simulator, run_accrual_worker=False)
    since = await end_offsets(kafka_bootstrap, topic_for("RecoveryApplied"))
    async with running(app):
        loan_id, disbursed_on = await _disbursed_loan(app, kafka_bootstrap)
        write_off = sample_event("WriteOffRequested").model_copy(update={
            "loan_id": loan_id, "request_id": f"wor-{loan_id}",
            "requested_on": disbursed_on + timedelta(days=200)})
        await publish(kafka_bootstrap, write_off)

        async def written_off() -> bool:
            return "LoanWrittenOff" in await _types(app, loan_id)

        await wait_for(written_off, "the write-off")
        later = disbursed_on + timedelta(days=230)
        await publish(kafka_bootstrap, payment(loan_id, "rec-1", "150.00", later),
                      payment(loan_id, "rec-2", "25.50", later))

        async def recovered() -> bool:
            return (await _types(app, loan_id)).count("RecoveryReceived") == 2

        await wait_for(recovered, "both recoveries")
        await wait_for(lambda: outbox_drained(app), "the relay")
        async with app.state.runtime.engine.connect() as conn:
            cash = await conn.scalar(text(
                "SELECT sum(l.debit) - sum(l.credit) FROM journal_lines l "
                "JOIN journal_entries e ON e.entry_id = l.entry_id "
                "WHERE e.loan_id = :l AND e.event_type = 'RecoveryReceived' "
                "AND l.account = '1000-settlement-cash'"), {"l": loan_id})
        assert cash == 17550
    published = await ledger_events_on_kafka(kafka_bootstrap, since, loan_id, 5)
    assert [e.type for e in published] == [
        "LoanBooked", "Disbursed", "LoanWrittenOff", "RecoveryApplied", "RecoveryApplied"]
    recoveries = [(e.data["payment_id"], e.data["amount"], e.data["recovered_total"])
                  for e in published[3:]]
    assert recoveries == [("rec-1", "150.00", "150.00"), ("rec-2", "25.50", "175.50")]
    assert published[3].data["received_on"] == str(later)
