"""The service metrics every dashboard and alert reads (deploy/k8s/base/monitoring), beside
the HTTP ones (observability.py).

Counted as they happen: events published by the relay (by type: applications in,
decisions, disbursements, payments, day closes all read from it) and events the consumer
finished with (by topic and outcome). Read when scraped, so every replica reports the same
from its first scrape: the outbox backlog, the consumer group's lag per topic, the size of
the dead-letter topics it feeds, the service's own backlogs and whether the broker answers.
A broker outage shows here (``lending_kafka_up``, alerts), never in ``/readyz``: the outbox
holds the writes until it is back.

Several worker processes (``INTAKE_WORKERS``) share one ``/metrics`` through prometheus
client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``): counters and histograms add up
across the workers; the gauges read when scraped keep the most recent value written.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import func, select

from lending_events import dlq_topic
from lending_messaging.ports import OutgoingMessage
from lending_messaging.tables import outbox
from lending_platform.runtime import Runtime

log = logging.getLogger("lending.metrics")
COUNT_CAP = 100_000
PROBE_TIMEOUT = 3.0


def _header(message: OutgoingMessage, name: str) -> str:
    for key, value in message.headers:
        if key == name:
            return value.decode(errors="replace")
    return "unknown"


class ServiceMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        def gauge(name: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
            return Gauge(name, doc, labels, registry=registry, multiprocess_mode="mostrecent")

        self.published = Counter(
            "lending_events_published_total", "Events the relay published to Kafka, by type",
            ["type"], registry=registry)
        self.consumed = Counter(
            "lending_events_consumed_total", "Events the consumer finished with, by topic and "
            "outcome (handled, duplicate, dead_lettered, skipped)", ["topic", "outcome"],
            registry=registry)
        self.outbox_pending = gauge(
            "lending_outbox_pending", f"Outbox rows not yet published (counted up to "
            f"{COUNT_CAP})")
        self.outbox_oldest_age = gauge(
            "lending_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row "
            "(0 when the outbox is empty)")
        self.consumer_lag = gauge(
            "lending_consumer_lag", "Records on a topic the consumer group has not yet "
            "handled and committed", ["topic"])
        self.dead_letters = gauge(
            "lending_dead_letter_topic_records", "Records on the dead-letter topic of a "
            "topic this service reads", ["topic"])
        self.backlog = gauge(
            "lending_backlog", "The service's own pending work, by kind", ["kind"])
        self.kafka_up = gauge(
            "lending_kafka_up", "1 when the broker answered the last scrape's probe, else 0")
        self.runtime: Runtime | None = None

    def watch(self, runtime: Runtime) -> None:
        """Counts what the runtime's relay publishes and its consumer finishes."""
        self.runtime = runtime
        relay = runtime.workers.get("relay")
        if relay is not None and hasattr(relay, "on_published"):
            relay.on_published = self._published
        consumer = runtime.workers.get("consumer")
        if consumer is not None and hasattr(consumer, "on_finished"):
            consumer.on_finished = self._finished

    def _published(self, messages: Sequence[OutgoingMessage]) -> None:
        for event_type, n in Tally(_header(m, "ce_type") for m in messages).items():
            self.published.labels(event_type).inc(n)

    def _finished(self, topic: str, outcome: str, n: int) -> None:
        self.consumed.labels(topic, outcome).inc(n)

    async def refresh(self, _app: Any) -> None:
        runtime = self.runtime
        if runtime is None:
            return
        await _each(self._outbox(runtime), self._backlogs(runtime), self._kafka(runtime))

    async def _outbox(self, runtime: Runtime) -> None:
        async with runtime.engine.connect() as conn:
            pending = (await conn.execute(select(func.count()).select_from(
                select(outbox.c.position).limit(COUNT_CAP).subquery()))).scalar_one()
            oldest = (await conn.execute(select(outbox.c.created_at)
                                         .order_by(outbox.c.position).limit(1))).scalar()
        self.outbox_pending.set(pending)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        self.outbox_oldest_age.set(max(0.0, age))

    async def _backlogs(self, runtime: Runtime) -> None:
        async with runtime.sessions() as session:
            for kind, count in runtime.backlogs.items():
                self.backlog.labels(kind).set(await count(session))

    async def _kafka(self, runtime: Runtime) -> None:
        try:
            await asyncio.wait_for(runtime.kafka_probe.check(), PROBE_TIMEOUT)
        except Exception:
            self.kafka_up.set(0)
            raise
        self.kafka_up.set(1)
        probe = runtime.lag_probe
        if probe is None:
            return
        lag = await asyncio.wait_for(probe.lag_by_topic(), PROBE_TIMEOUT)
        for topic, records in lag.items():
            self.consumer_lag.labels(topic).set(records)
        sizes = await asyncio.wait_for(
            probe.topic_sizes([dlq_topic(t) for t in probe.topics]), PROBE_TIMEOUT)
        for topic in probe.topics:
            self.dead_letters.labels(dlq_topic(topic)).set(sizes.get(dlq_topic(topic), 0))


async def _each(*reads: Awaitable[None]) -> None:
    """Runs every read; one that fails leaves its gauges as they were, logged."""
    for outcome in await asyncio.gather(*reads, return_exceptions=True):
        if isinstance(outcome, Exception):
            log.warning("a metric read failed: %r", outcome)


Refresher = Callable[[Any], Awaitable[None]]
