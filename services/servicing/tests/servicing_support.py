"""The servicing service wired through its composition root with fakes where Kafka would be:
an InMemoryBroker as publisher, ledger events delivered by the real inbox/dispatch logic
(InMemoryConsumer + PostgresInbox), on a real PostgreSQL database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

import lending_servicing
from lending_events import Envelope, IntegrationEvent, parse_event, to_envelope, topics
from lending_messaging import InMemoryBroker, InMemoryConsumer, OutgoingMessage
from lending_messaging.inbox import PostgresInbox
from lending_messaging.relay import OutboxRelay
from lending_platform.database import upgrade_to_head_async
from lending_platform.dispatch import EventDispatcher
from lending_platform.runtime import Runtime
from lending_servicing.bootstrap import bootstrap
from lending_servicing.config import Settings
from lending_servicing.service_layer import day_close
from lending_servicing.service_layer.context import ServicingContext
from lending_servicing.service_layer.handlers import build_handlers
from lending_servicing.service_layer.locks import lock_order

MIGRATIONS = Path(lending_servicing.__file__).parent / "migrations"
WALL_CLOCK = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)


class Servicing:
    def __init__(self, runtime: Runtime, broker: InMemoryBroker) -> None:
        self.runtime = runtime
        self.broker = broker
        self.ctx: ServicingContext = runtime.ports["servicing"]
        # the same handlers bootstrap gives the Kafka consumer
        dispatcher = EventDispatcher(build_handlers(self.ctx.policy))
        self.consumer = InMemoryConsumer(
            broker, "servicing", [topics.LEDGER], dispatcher,
            inbox=PostgresInbox(runtime.sessions, "servicing"), lock_order=lock_order)
        self.relay = OutboxRelay(runtime.engine, broker)

    @classmethod
    async def start(cls, database_url: str, *, migrate: bool = True,
                    **overrides: Any) -> Servicing:
        if migrate:
            await upgrade_to_head_async(MIGRATIONS, database_url)
        settings = Settings(database_url=database_url, run_background_workers=False,
                            credential_max_staleness_seconds=0,
                            log_json=False, kafka_bootstrap_servers="127.0.0.1:1",
                            **overrides)
        broker = InMemoryBroker()
        runtime = bootstrap(settings, publisher=broker, clock=lambda: WALL_CLOCK)
        return cls(runtime, broker)

    async def stop(self) -> None:
        await self.runtime.engine.dispose()

    async def ledger(self, *events: IntegrationEvent) -> None:
        """Delivers ledger events as Kafka would (key = loan id) and lets servicing react."""
        envelopes = [to_envelope(e, source="/lending/ledger") for e in events]
        await self.broker.publish([
            OutgoingMessage(topics.LEDGER, env.subject.encode(), env.to_bytes(), {})
            for env in envelopes])
        await self.consumer.drain()

    async def close(self, up_to: date, *, by: str = "test-admin",
                    allow_future_date: bool = True) -> day_close.CloseResult:
        """Closes days up to ``up_to``; these tests move the business date past their wall
        clock (WALL_CLOCK), which takes an admin's override."""
        return await day_close.close_business_days(self.ctx, day_close.CloseBusinessDays(
            up_to, by=by, allow_future_date=allow_future_date))

    async def outbox(self, event_type: str | None = None) -> list[Envelope]:
        """Every event servicing has written, oldest first, each parsed as a consumer would."""
        async with self.runtime.engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT event_type, payload FROM outbox ORDER BY position"))).all()
        envelopes = [Envelope.from_bytes(bytes(r.payload)) for r in rows
                     if event_type is None or r.event_type == event_type]
        for env in envelopes:
            parse_event(env)  # raises if SQL wrote anything the contract rejects
        return envelopes

    async def data(self, event_type: str) -> list[dict[str, Any]]:
        return [e.data for e in await self.outbox(event_type)]

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.runtime.engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []
