"""Shared by the underwriting integration tests: the bureau simulator on a real port, a
producer onto the real topics, a reader of underwriting's topic, an operator API key."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import uvicorn
from aiokafka import AIOKafkaConsumer

from lending_events import Envelope, IntegrationEvent, to_envelope, topic_for
from lending_events.credentials import CredentialIssued
from lending_messaging.kafka_publisher import KafkaEventPublisher
from lending_messaging.ports import OutgoingMessage
from lending_platform.credentials import new_api_key, record_issued
from lending_platform.testing import running
from lending_simulators.credit_bureau import create_app

UNDERWRITING_TOPIC = "lending.underwriting.v1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def bureau_simulator() -> Iterator[tuple[str, Any]]:
    """The credit bureau simulator served by uvicorn on a free port, in a thread."""
    app = create_app()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the bureau simulator did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", app.state.sim
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def publish(bootstrap: str, *items: IntegrationEvent | Envelope) -> list[Envelope]:
    envelopes = [i if isinstance(i, Envelope) else to_envelope(i, source=f"/lending/{i.producer}")
                 for i in items]
    publisher = KafkaEventPublisher(bootstrap)
    await publisher.start()
    try:
        await publisher.publish([OutgoingMessage(topic_for(e.type), e.subject.encode(),
                                                 e.to_bytes()) for e in envelopes])
    finally:
        await publisher.stop()
    return envelopes


class TopicReader:
    """Reads a topic from its end as of ``start()``: only what is published afterwards."""

    def __init__(self, bootstrap: str, topic: str = UNDERWRITING_TOPIC) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=f"test-reader-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="latest", enable_auto_commit=False)
        self._topic = topic
        self.seen: list[Envelope] = []

    async def start(self) -> TopicReader:
        await self._consumer.start()
        self._consumer.subscribe([self._topic])
        deadline = time.monotonic() + 30
        while not self._consumer.assignment():
            if time.monotonic() > deadline:
                raise RuntimeError(f"no partitions of {self._topic} assigned")
            await self._consumer.getmany(timeout_ms=100)
        for tp in self._consumer.assignment():  # fix the end offsets before anything new
            await self._consumer.position(tp)
        return self

    async def stop(self) -> None:
        await self._consumer.stop()

    async def wait_for(self, loan_id: str, count: int, within: float = 60) -> list[Envelope]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            batch = await self._consumer.getmany(timeout_ms=200)
            for records in batch.values():
                self.seen += [Envelope.from_bytes(r.value) for r in records]
            mine = [e for e in self.seen if e.subject == loan_id]
            if len(mine) >= count:
                return mine
        raise AssertionError(f"only {[e.type for e in self.seen if e.subject == loan_id]} "
                             f"arrived for {loan_id}")

    async def settle(self, seconds: float = 1.5) -> None:
        """Keeps reading for a while: room for a duplicate to show up, if one were coming."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            batch = await self._consumer.getmany(timeout_ms=200)
            for records in batch.values():
                self.seen += [Envelope.from_bytes(r.value) for r in records]


async def operator_key(app: Any, role: str = "underwriter",
                       kind: str = "operator") -> dict[str, str]:
    """Issues a key straight into the service's credentials projection; returns headers."""
    issued = new_api_key()
    event = CredentialIssued(
        principal_id=f"op-{uuid.uuid4().hex[:8]}", principal_kind=kind,
        principal_name="Test operator", role=role if kind == "operator" else "partner",
        key_id=issued.key_id, key_sha256=issued.sha256, issued_at=datetime.now(UTC))
    async with app.state.runtime.sessions() as session, session.begin():
        await record_issued(session, event)
    return {"Authorization": f"Bearer {issued.api_key}"}


async def wait_until(check: Any, within: float = 30) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


def running_underwriting(app: Any) -> Any:
    """The app running, its consumer provably past the shared topics' history."""
    return running(app, from_now=True)


def underwriting_app(service_app: Any, bureau_url: str) -> Any:
    return service_app("underwriting", bureau_url=bureau_url, consumer_offset_reset="latest")
