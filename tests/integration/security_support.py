"""Shared by the security tests: an attacker's producer, the dead letters it leaves, keys."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from lending_events import IntegrationEvent, to_envelope
from lending_events.credentials import CredentialIssued
from lending_events.envelope import Envelope
from lending_platform.credentials import IssuedKey, new_api_key


async def produce(bootstrap: str, topic: str, *envelopes: Envelope) -> None:
    """Writes raw envelopes on ``topic``: what any client with write access could do."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for envelope in envelopes:
            await producer.send_and_wait(topic, envelope.to_bytes(),
                                         key=envelope.subject.encode())
    finally:
        await producer.stop()


def admin_key_event(name: str = "mallory") -> tuple[IssuedKey, IntegrationEvent]:
    key = new_api_key()
    return key, CredentialIssued(
        principal_id=f"op-{name}-{key.key_id}", principal_kind="operator",
        principal_name=name, role="admin", key_id=key.key_id, key_sha256=key.sha256,
        issued_at=datetime.now(UTC))


def envelope_of(event: IntegrationEvent, source: str) -> Envelope:
    return to_envelope(event, source=source)


async def refused_records(consumer: AIOKafkaConsumer, event_ids: Iterable[str],
                          within: float = 30.0) -> dict[str, dict[str, str]]:
    """The dead-letter headers of each of ``event_ids``, read from a tail of a DLQ topic."""
    wanted, found = set(event_ids), {}
    deadline = asyncio.get_running_loop().time() + within
    while wanted - set(found) and asyncio.get_running_loop().time() < deadline:
        for records in (await consumer.getmany(timeout_ms=500)).values():
            for record in records:
                event_id = json.loads(record.value)["id"]
                if event_id in wanted:
                    found[event_id] = {k: v.decode() for k, v in record.headers}
    missing = wanted - set(found)
    assert not missing, f"not dead-lettered within {within}s: {sorted(missing)}"
    return found
