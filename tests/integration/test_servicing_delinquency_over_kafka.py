"""Servicing on the real PostgreSQL and the real Kafka: a disbursed loan left unpaid past its
due date is reported missed and delinquent on `lending.servicing.v1`; a payment (received by
servicing, applied by the ledger) cures it at the next close.

The ledger's events are published here onto the real `lending.ledger.v1` topic as the ledger
would (key = loan id), so the test holds to the event contract, not to the ledger's code."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from lending_events import Envelope, parse_event, topics
from lending_events.credentials import CredentialIssued
from lending_events.servicing import (
    BusinessDayClosed,
    DelinquencyChanged,
    PaymentMissed,
    PaymentReceived,
)
from lending_platform.credentials import new_api_key, record_issued
from lending_platform.testing import running
from lending_servicing.testing import contract_terms, disbursed, loan_booked, payment_applied

from .intake_helpers import eventually, publish, topic_tail

pytestmark = pytest.mark.integration
START = date(2025, 1, 15)
LEDGER = "/lending/ledger"


async def issue_key(app, principal_id: str, kind: str, role: str) -> str:
    issued = new_api_key()
    async with app.state.runtime.sessions() as session, session.begin():
        await record_issued(session, CredentialIssued(
            principal_id=principal_id, principal_kind=kind, principal_name=principal_id,
            role=role, key_id=issued.key_id, key_sha256=issued.sha256,
            issued_at=datetime.now(UTC)))
    return issued.api_key


async def start_group_at_end(bootstrap: str, group: str, names: list[str]) -> None:
    """Commits the group's offsets at the topics' current ends, so the service under test
    reads only what this test publishes, not every loan other tests left on the topic."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [TopicPartition(t, p) for t in names
                      for p in cluster.partitions_for_topic(t) or ()]
        assert partitions, f"no partitions for {names}"
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: offset for tp, offset in ends.items()})
    finally:
        await consumer.stop()


class Tail:
    """Everything published on a topic since the tail opened, searchable by key and type."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer
        self.seen: list[tuple[bytes | None, bytes]] = []

    async def find(self, key: str, event_type: str, nth: int = 1, within: float = 30.0):
        async def look() -> object:
            for records in (await self.consumer.getmany(timeout_ms=200)).values():
                self.seen.extend((r.key, r.value) for r in records)
            found = [v for k, v in self.seen
                     if k == key.encode() and json.loads(v)["type"] == event_type]
            return found[nth - 1] if len(found) >= nth else None

        raw = await eventually(look, within=within, interval=0.01)
        return parse_event(Envelope.from_bytes(raw))


async def test_an_unpaid_loan_goes_delinquent_on_kafka_and_a_payment_cures_it(
        service_app, kafka_bootstrap: str) -> None:
    loan_id = f"app-{uuid.uuid4().hex[:12]}"
    partner = f"partner-{uuid.uuid4().hex[:6]}"
    terms = contract_terms(start=START)  # 3 x 310.00 monthly, first due 2025-02-15
    group = f"test-servicing-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_bootstrap, group, [topics.LEDGER, topics.INTAKE])
    app = service_app("servicing", initial_business_date=START, consumer_group=group)
    async with running(app) as client, topic_tail(kafka_bootstrap, topics.SERVICING) as tail_:
        tail = Tail(tail_)
        ops_key = await issue_key(app, "ops", "operator", "servicer")
        partner_key = await issue_key(app, partner, "partner", "partner")
        servicer = {"Authorization": f"Bearer {ops_key}"}
        partner_auth = {"Authorization": f"Bearer {partner_key}"}
        await publish(kafka_bootstrap, loan_booked(loan_id, terms, partner_id=partner), LEDGER)
        await publish(kafka_bootstrap, disbursed(loan_id, terms), LEDGER)

        async def active() -> bool:
            found = await client.get(f"/v1/loans/{loan_id}", headers=partner_auth)
            return found.status_code == 200 and found.json()["status"] == "active"

        await eventually(active, within=60)
        closed = await client.post("/v1/admin/business-day/close", headers=servicer,
                                   json={"as_of": "2025-02-20"})
        assert closed.status_code == 200, closed.text

        missed = await tail.find(loan_id, "PaymentMissed")
        assert isinstance(missed, PaymentMissed)
        assert (missed.installment_number, missed.due_date, missed.as_of) == (
            1, date(2025, 2, 15), date(2025, 2, 20))
        assert missed.days_past_due == 5 and str(missed.amount_overdue) == "310.00"
        late = await tail.find(loan_id, "DelinquencyChanged")
        assert isinstance(late, DelinquencyChanged)
        assert (late.previous_bucket, late.bucket, late.days_past_due) == (
            "current", "dpd_1_30", 5)

        paid = await client.post(f"/v1/loans/{loan_id}/payments", headers={
            **partner_auth, "Idempotency-Key": f"idem-{uuid.uuid4()}"}, json={
            "amount": "310.00", "currency": "EUR", "value_date": "2025-02-21",
            "channel": "bank_transfer", "external_reference": "bt-991"})
        assert paid.status_code == 202, paid.text
        received = await tail.find(loan_id, "PaymentReceived")
        assert isinstance(received, PaymentReceived)
        assert received.payment_id == paid.json()["payment_id"]

        # the ledger applies it (here: we publish what the ledger would)
        await publish(kafka_bootstrap, payment_applied(
            loan_id, received.payment_id, "EUR", 31_000, received.value_date, 59_000), LEDGER)

        async def cured() -> bool:
            found = (await client.get(f"/v1/loans/{loan_id}", headers=partner_auth)).json()
            return found["days_past_due"] == 0 and found["installments"][0]["status"] == "paid"

        await eventually(cured, within=60)
        closed = await client.post("/v1/admin/business-day/close", headers=servicer,
                                   json={"as_of": "2025-02-21"})
        assert closed.status_code == 200
        cure = await tail.find(loan_id, "DelinquencyChanged", nth=2)
        assert isinstance(cure, DelinquencyChanged)
        assert (cure.previous_bucket, cure.bucket, cure.days_past_due) == (
            "dpd_1_30", "current", 0)
        assert str(cure.overdue_amount) == "0.00"
        day = await tail.find("2025-02-21", "BusinessDayClosed")
        assert isinstance(day, BusinessDayClosed)
        assert day.next_business_date == date(2025, 2, 22)
