"""Collections on the real PostgreSQL and the real Kafka, with the SMS gateway simulator on a
real port. Servicing's and the ledger's events are published here onto their real topics as
those services would (key = loan id; the business date for a day close), so the test holds to
the event contract, not to their code.

Loan 1: misses a payment -> a case opens -> an SMS reminder goes out at 1 DPD (a redelivered
and a re-published day close send nothing more) -> a collector calls and records a promise ->
the promise breaks at the day close -> the ladder escalates to a call task -> the loan is
restructured -> the case closes. Loan 2: walks the classification categories day close by
day close and is written off."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import text

from lending_collections.config import PACKAGE
from lending_events import Envelope, IntegrationEvent, parse_event, to_envelope, topics
from lending_events.credentials import CredentialIssued
from lending_events.samples import sample_event
from lending_platform.credentials import new_api_key, record_issued
from lending_platform.testing import running
from lending_simulators.serving import serve_http
from lending_simulators.sms_gateway import create_app as sms_gateway

from .intake_helpers import eventually, topic_tail

pytestmark = pytest.mark.integration
# Day closes are not about one loan: other tests on the shared broker publish theirs (in
# 2025) onto the same topic. Dates far from theirs keep them from ageing these loans.
YEAR = 2041


def day(month: int, day_: int) -> date:
    return date(YEAR, month, day_)


def ev(event_type: str, loan_id: str | None = None, **fields: Any) -> IntegrationEvent:
    sample = sample_event(event_type)
    data = {**sample.model_dump(), **fields}
    if loan_id is not None:
        data["loan_id"] = loan_id
    return type(sample).model_validate(data)


def delinquency(loan: str, as_of: date, dpd: int, previous: str, bucket: str) -> IntegrationEvent:
    """As servicing publishes it: the delinquency start ``dpd`` days before ``as_of``."""
    return ev("DelinquencyChanged", loan, as_of=as_of, days_past_due=dpd,
              previous_bucket=previous, bucket=bucket,
              delinquent_since=as_of - timedelta(days=dpd) if dpd else None)


def day_closed(on: date) -> IntegrationEvent:
    return ev("BusinessDayClosed", business_date=on, next_business_date=on + timedelta(days=1))


def payment(loan: str, amount: str, on: date) -> IntegrationEvent:
    zero, paid = Decimal("0.00"), Decimal(amount)
    breakdown = {"principal": paid, "interest": zero, "fees": zero, "penalties": zero,
                 "total": paid}
    left = {**breakdown, "principal": Decimal("900.00"), "total": Decimal("900.00")}
    return ev("PaymentApplied", loan, payment_id=f"pay-{uuid.uuid4().hex[:8]}", amount=paid,
              value_date=on, allocation=breakdown, overpayment=zero, outstanding=left,
              installments_settled=[])


class Kafka:
    def __init__(self, bootstrap: str) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                         enable_idempotence=True)

    async def send(self, item: IntegrationEvent | Envelope) -> Envelope:
        env = item if isinstance(item, Envelope) else to_envelope(
            item, source=f"/lending/{type(item).producer}")
        topic = topics.TOPIC_BY_SERVICE[env.source.rsplit("/", 1)[1]]
        await self.producer.send_and_wait(topic, env.to_bytes(), key=env.subject.encode())
        return env


class Tail:
    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer
        self.seen: list[tuple[bytes | None, bytes]] = []

    async def find(self, key: str, event_type: str, nth: int = 1, within: float = 30.0,
                   where: Callable[[dict[str, Any]], bool] = lambda data: True) -> Any:
        async def look() -> Any:
            for records in (await self.consumer.getmany(timeout_ms=200)).values():
                self.seen.extend((r.key, r.value) for r in records)
            found = [v for k, v in self.seen
                     if k == key.encode() and json.loads(v)["type"] == event_type
                     and where(json.loads(v)["data"])]
            return found[nth - 1] if len(found) >= nth else None

        return parse_event(Envelope.from_bytes(await eventually(look, within=within,
                                                                interval=0.01)))


async def start_group_at_end(bootstrap: str, group: str, names: list[str]) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        partitions = [TopicPartition(t, p) for t in names
                      for p in cluster.partitions_for_topic(t) or ()]
        consumer.assign(partitions)
        await consumer.commit(dict(await consumer.end_offsets(partitions)))
    finally:
        await consumer.stop()


async def issue_key(app: Any, principal_id: str, role: str) -> dict[str, str]:
    issued = new_api_key()
    async with app.state.runtime.sessions() as session, session.begin():
        await record_issued(session, CredentialIssued(
            principal_id=principal_id, principal_kind="operator", principal_name=principal_id,
            role=role, key_id=issued.key_id, key_sha256=issued.sha256,
            issued_at=datetime.now(UTC)))
    return {"Authorization": f"Bearer {issued.api_key}"}


def strategies_without_quiet_hours(tmp_path: Path) -> Path:
    """The packaged strategies, except that this test runs at any wall-clock hour: equal
    start and end mean no quiet hours."""
    text_ = (PACKAGE / "strategies.toml").read_text()
    text_ = text_.replace('quiet_hours_start = "21:00"', 'quiet_hours_start = "00:00"')
    text_ = text_.replace('quiet_hours_end = "08:00"', 'quiet_hours_end = "00:00"')
    assert 'quiet_hours_end = "00:00"' in text_
    path = tmp_path / "strategies.toml"
    path.write_text(text_)
    return path


async def test_a_loan_walks_the_ladder_to_restructure_and_another_to_write_off(
        service_app, kafka_bootstrap: str, tmp_path: Path) -> None:
    loan, bad_loan = f"app-{uuid.uuid4().hex[:10]}", f"app-{uuid.uuid4().hex[:10]}"
    group = f"test-collections-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_bootstrap, group,
                             [topics.SERVICING, topics.LEDGER, topics.INTAKE,
                              topics.UNDERWRITING])
    sms = sms_gateway()
    kafka = Kafka(kafka_bootstrap)
    await kafka.producer.start()
    try:
        await walk_both_loans(app_factory=service_app, kafka=kafka, sms=sms, loan=loan,
                              bad_loan=bad_loan, group=group, bootstrap=kafka_bootstrap,
                              strategies=strategies_without_quiet_hours(tmp_path))
    finally:
        await kafka.producer.stop()


async def walk_both_loans(*, app_factory: Any, kafka: Kafka, sms: Any, loan: str,
                          bad_loan: str, group: str, bootstrap: str, strategies: Path) -> None:
    kafka_bootstrap = bootstrap
    async with serve_http(sms) as sms_url:
        app = app_factory("collections", consumer_group=group, sms_gateway_url=sms_url,
                          delivery_poll_interval_s=0.1, strategies_file=strategies)
        async with running(app) as client, \
                topic_tail(kafka_bootstrap, topics.COLLECTIONS) as consumer:
            tail = Tail(consumer)
            collector = await issue_key(app, "agent-7", "collector")
            underwriter = await issue_key(app, "uw-1", "underwriter")

            async def handled(env: Envelope) -> bool:
                async with app.state.runtime.engine.connect() as conn:
                    return bool(await conn.scalar(text(
                        "SELECT 1 FROM inbox WHERE event_id = :i"), {"i": env.id}))

            async def case(case_id: str) -> dict[str, Any]:
                found = await client.get(f"/v1/cases/{case_id}", headers=collector)
                assert found.status_code == 200, found.text
                return dict(found.json())

            # --- loan 1: delinquency opens a case; the credentials guard the queue
            await kafka.send(ev("LoanBooked", loan, partner_id="partner-z"))
            await kafka.send(ev("Disbursed", loan))
            await kafka.send(delinquency(loan, day(2, 16), 1, "current", "dpd_1_30"))
            opened = await tail.find(loan, "CollectionCaseOpened", within=90)  # group join
            assert (opened.days_past_due, opened.stage, opened.classification) == (
                1, "reminder", "special_mention")
            case_id = opened.case_id
            assert (await client.get("/v1/cases")).status_code == 401
            assert (await client.get("/v1/cases", headers=underwriter)).status_code == 403
            queue = (await client.get("/v1/cases", headers=collector,
                                      params={"bucket": "dpd_1_30", "limit": 500})).json()
            assert case_id in [c["case_id"] for c in queue["items"]]

            # --- the day close sends one SMS; redelivery and re-publication send nothing more
            first_close = await kafka.send(day_closed(day(2, 16)))
            delivered = await tail.find(loan, "CollectionActionTaken")
            assert (delivered.outcome, delivered.stage) == ("delivered", "reminder")
            await kafka.send(first_close)
            again = await kafka.send(day_closed(day(2, 16)))
            await eventually(lambda: handled(again), within=30)
            await eventually(lambda: handled(first_close), within=5)
            assert [m["to"] for m in sms.state.sim.messages.values()] == [loan]
            assert sum(sms.state.sim.requests.values()) == 1

            # --- a collector assigns, calls, records a promise; it breaks at the close
            assigned = await client.post(f"/v1/cases/{case_id}/assignment", headers=collector,
                                         json={"assignee": "agent-7", "reason": "my region"})
            assert assigned.status_code == 200 and assigned.json()["assigned_to"] == "agent-7"
            mine = (await client.get("/v1/cases", headers=collector,
                                     params={"assignee": "agent-7"})).json()["items"]
            assert [c["case_id"] for c in mine] == [case_id]
            contact = await client.post(f"/v1/cases/{case_id}/contacts", headers=collector,
                                        json={"channel": "call", "outcome": "promise_made",
                                              "reason": "borrower answered"})
            assert contact.status_code == 201, contact.text
            promised = await client.post(f"/v1/cases/{case_id}/promises", headers=collector,
                                         json={"amount": "340.02", "currency": "EUR",
                                               "promised_date": day(2, 20).isoformat(),
                                               "reason": "salary day"})
            assert promised.status_code == 201, promised.text
            wrong = await client.post(f"/v1/cases/{case_id}/promises", headers=collector,
                                      json={"amount": "1.00", "currency": "USD",
                                            "promised_date": day(2, 20).isoformat(), "reason": "x"})
            assert wrong.status_code == 422
            recorded = await tail.find(loan, "PromiseToPayRecorded")
            assert recorded.recorded_by == "agent-7"
            await kafka.send(payment(loan, "100.00", day(2, 19)))
            await kafka.send(day_closed(day(2, 20)))
            broken = await tail.find(loan, "PromiseToPayBroken")
            assert (str(broken.amount_paid), broken.broken_on) == ("100.00", day(2, 20))

            # --- escalation: at 8 DPD the ladder adds a call task
            await kafka.send(day_closed(day(2, 23)))

            escalated = await tail.find(loan, "CollectionActionTaken",
                                        where=lambda d: d["outcome"] == "task_created")
            assert escalated.stage == "call"
            detail = await case(case_id)
            assert detail["stage"] == "call" and detail["days_past_due"] == 8
            assert [p["status"] for p in detail["promises"]] == ["broken"]
            who = {(a["kind"], a["performed_by"]) for a in detail["actions"]}
            assert {("assigned", "agent-7"), ("contact", "agent-7"),
                    ("promise_recorded", "agent-7"), ("promise_broken", "system"),
                    ("call_task", "system")} <= who

            # --- the ledger restructures it: the case closes
            await kafka.send(ev("LoanRestructured", loan, effective_date=day(2, 24)))
            closed = await tail.find(loan, "CollectionCaseClosed")
            assert (closed.case_id, closed.resolution) == (case_id, "restructured")
            assert (await case(case_id))["classification"]["asset_class"] == "substandard"

            # --- loan 2: the classification walks the categories until the write-off
            await kafka.send(ev("LoanBooked", bad_loan))
            await kafka.send(delinquency(bad_loan, day(3, 1), 1, "current", "dpd_1_30"))
            bad_case = (await tail.find(bad_loan, "CollectionCaseOpened")).case_id
            walk = []
            for on in (day(3, 1), day(4, 1), day(6, 1), day(9, 1)):
                closing = await kafka.send(day_closed(on))
                await eventually(lambda c=closing: handled(c), within=30)
                found = (await case(bad_case))["classification"]
                walk.append((found["asset_class"], found["ifrs9_stage"]))
            assert walk == [("special_mention", 1), ("special_mention", 2),
                            ("substandard", 3), ("doubtful", 3)]
            await kafka.send(ev("LoanWrittenOff", bad_loan, days_past_due=185,
                                effective_date=day(9, 2)))
            written = await tail.find(bad_loan, "CollectionCaseClosed")
            assert written.resolution == "written_off"
            final = await case(bad_case)
            assert (final["status"], final["classification"]["asset_class"]) == (
                "closed", "loss")
