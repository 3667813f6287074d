"""Shared by the intake integration tests: a valid application body, partners, Kafka I/O."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from fastapi import FastAPI

from lending_events import IntegrationEvent, to_envelope, topic_for
from lending_events.envelope import Envelope
from lending_events.samples import sample_event

NATIONAL_ID = "110101199003077777"


def application_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product_code": "personal-credit",
        "requested": {"amount": "5000.00", "currency": "CNY", "term": 12,
                      "frequency": "monthly"},
        "purpose": "home_repair",
        "applicant": {
            "national_id": NATIONAL_ID, "full_name": "Li Wei", "date_of_birth": "1990-03-07",
            "phone": "+86 138 0000 0000", "email": "li.wei@example.com",
            "address": {"line1": "1 Chang'an Ave", "city": "Beijing", "country": "CN"},
        },
        "finances": {"monthly_income": "12000.00", "monthly_debt_payments": "1500.00",
                     "employment": "salaried"},
        "security": {"type": "none"},
        "documents": [
            {"type": "id_card", "sha256": "a" * 64, "uri": "https://files.example.com/id.jpg"},
            {"type": "income_proof", "sha256": "b" * 64,
             "uri": "https://files.example.com/payslip.pdf"},
        ],
        "consents": {"credit_check": True, "terms_version": "2025-01"},
        "disbursement_account": {"method": "bank_transfer", "account_ref": "tok_acct_4242",
                                 "holder_name": "Li Wei"},
    }
    body.update(overrides)
    return body


def auth(key: str, idempotency_key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {key}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


def new_key() -> str:
    return f"idem-{uuid.uuid4()}"


async def make_partner(app: FastAPI, name: str | None = None, **kwargs: Any) -> Any:
    from lending_intake.service_layer import credentials

    return await credentials.create_partner(
        app.state.runtime.ports["issuer"], name or f"partner-{uuid.uuid4().hex[:8]}", **kwargs)


async def publish(bootstrap: str, event: IntegrationEvent, source: str) -> Envelope:
    """Puts ``event`` on its real topic as its producing service would (key = subject)."""
    envelope = to_envelope(event, source=source)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic_for(type(event)), envelope.to_bytes(),
                                     key=envelope.subject.encode())
    finally:
        await producer.stop()
    return envelope


def approval(loan_id: str, *, decision_id: str = "dec-1",
             expires_in: timedelta = timedelta(days=7)) -> IntegrationEvent:
    return sample_event("LoanApproved").model_copy(update={
        "loan_id": loan_id, "decision_id": decision_id,
        "offer_expires_at": datetime.now(UTC) + expires_in})


@asynccontextmanager
async def topic_tail(bootstrap: str, topic: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer positioned at the current end of ``topic``: sees only what comes next."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            [described] = await admin.describe_topics([topic])
        finally:
            await admin.close()
        partitions = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        assert partitions, f"topic {topic} does not exist"
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)
        yield consumer
    finally:
        await consumer.stop()


async def find_record(consumer: AIOKafkaConsumer, key: str, event_type: str,
                      within: float = 20.0) -> bytes:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        batches = await consumer.getmany(timeout_ms=500)
        for records in batches.values():
            for record in records:
                if record.key == key.encode() and json.loads(record.value)["type"] == event_type:
                    return bytes(record.value)
    raise AssertionError(f"no {event_type} for {key} on Kafka within {within}s")


async def eventually(check: Any, within: float = 20.0, interval: float = 0.1) -> Any:
    """Polls ``check()`` (async) until it returns something truthy, or fails."""
    deadline = asyncio.get_running_loop().time() + within
    last = None
    while asyncio.get_running_loop().time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {within}s (last: {last!r})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
