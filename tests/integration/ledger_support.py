"""Helpers of the ledger's integration tests: publishing to the real topics, reading the
ledger's topic from a known offset, running the payout simulator as a real process."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from lending_events import Envelope, IntegrationEvent, to_envelope, topic_for
from lending_messaging import KafkaEventPublisher, OutgoingMessage
from lending_messaging.outbox import wire_headers
from lending_messaging.testing.real_harnesses import topic_partitions


async def publish(bootstrap: str, *items: IntegrationEvent | Envelope) -> None:
    publisher = KafkaEventPublisher(bootstrap)
    await publisher.start()
    try:
        for item in items:
            # As its owner publishes it: services admit each type only from its owner.
            envelope = item if isinstance(item, Envelope) else to_envelope(
                item, source=f"/lending/{item.producer}")
            headers = tuple((k, v.encode()) for k, v in wire_headers(envelope).items())
            await publisher.publish([OutgoingMessage(
                topic_for(envelope.type), envelope.subject.encode(), envelope.to_bytes(),
                headers)])
    finally:
        await publisher.stop()


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    partitions = await topic_partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(partitions)
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def ledger_events_on_kafka(
    bootstrap: str, since: dict[int, int], loan_id: str, count: int, wait_seconds: float = 30,
) -> list[Envelope]:
    """The first ``count`` events keyed ``loan_id`` on the ledger topic after ``since``."""
    return await ledger_events_for(bootstrap, since, {loan_id}, count, wait_seconds)


async def ledger_events_for(
    bootstrap: str, since: dict[int, int], loan_ids: set[str], count: int,
    wait_seconds: float = 30,
) -> list[Envelope]:
    """The first ``count`` events keyed by one of ``loan_ids`` on the ledger topic after
    ``since``, in partition order (one loan's events are on one partition, in order)."""
    keys = {loan_id.encode() for loan_id in loan_ids}
    topic = topic_for("Disbursed")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: list[Envelope] = []
    try:
        partitions = [TopicPartition(topic, p) for p in since]
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, since[tp.partition])
        deadline = time.monotonic() + wait_seconds
        while len(found) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                found.extend(Envelope.from_bytes(r.value) for r in records if r.key in keys)
    finally:
        await consumer.stop()
    return found


async def wait_for(
    check: Callable[[], Awaitable[bool]], what: str, wait_seconds: float = 60
) -> None:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def start_simulator(*args: str) -> Iterator[str]:
    """``python -m lending_simulators.payout_provider`` as a real process on a free port."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lending_simulators.payout_provider", "--port", str(port),
         *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"payout simulator did not start: {proc.stderr}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


async def outbox_drained(app: object) -> bool:
    from sqlalchemy import text

    async with app.state.runtime.engine.connect() as conn:  # type: ignore[attr-defined]
        return not await conn.scalar(text("SELECT count(*) FROM outbox"))
