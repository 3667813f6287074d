"""Helpers for tests that run a whole service in-process, lifespan included."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import Connection, MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine

from lending_events import Envelope
from lending_messaging.ports import OutgoingMessage
from lending_messaging.tables import inbox


@asynccontextmanager
async def running(app: FastAPI, *, from_now: bool = False) -> AsyncIterator[httpx.AsyncClient]:
    """Starts the app's lifespan (migrations, relay, consumer) and yields an HTTP client.

    ``from_now`` (with ``consumer_offset_reset="latest"``): returns only once the consumer
    provably sees everything published from now on, so a test skips the shared topics'
    history without missing its own events.
    """
    async with app.router.lifespan_context(app):
        if from_now:
            await _consumer_caught_up(app)
        await credentials_fresh(app)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


async def credentials_fresh(app: FastAPI, deadline: float = 60.0) -> None:
    """Waits until the service honours API keys (its credential projection is proven
    recent: lending_platform.freshness); at once for a service that does not check."""
    freshness = getattr(app.state.runtime.ports.get("credentials"), "freshness", None)
    if freshness is None:
        return
    async with asyncio.timeout(deadline):
        while True:  # polled: the sampler has no event to wait on
            if freshness.age() <= freshness.max_staleness:
                return
            await asyncio.sleep(0.1)


async def _consumer_caught_up(app: FastAPI, deadline: float = 60.0) -> None:
    runtime = app.state.runtime
    consumer = runtime.workers["consumer"]
    async with asyncio.timeout(deadline):
        # "latest" is resolved per partition on the consumer's first fetch, so a probe sent
        # too early may fall before its starting point: on every subscribed topic, send fresh
        # probes until one is handled (an unknown type: skipped, but recorded in the inbox).
        for topic in consumer.topics:
            while not await _probe_handled(runtime, topic):
                pass


async def _probe_handled(runtime: Any, topic: str, wait: float = 2.0) -> bool:
    probe = Envelope(source="test", type="ConsumerProbe", subject=uuid.uuid4().hex)
    await runtime.publisher.publish([OutgoingMessage(topic, probe.subject.encode(),
                                                     probe.to_bytes())])
    query = select(inbox.c.event_id).where(inbox.c.event_id == probe.id)
    for _ in range(int(wait / 0.1)):
        async with runtime.engine.connect() as conn:
            if await conn.scalar(query):
                return True
        await asyncio.sleep(0.1)
    return False


async def schema_differences(engine: AsyncEngine, metadata: MetaData) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match ``metadata``
    (server defaults included): [] when the migrations build exactly the schema the code
    describes."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_server_default": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


async def issue_operator_key(sessions: Any, role: str = "admin",
                             expires_at: Any = None) -> str:
    """Writes an operator credential straight into a service's own projection (what its
    consumer would write on CredentialIssued); returns the API key."""
    from datetime import UTC, datetime

    from lending_events.credentials import CredentialIssued
    from lending_platform.credentials import new_api_key, record_issued

    key = new_api_key()
    async with sessions() as session, session.begin():
        await record_issued(session, CredentialIssued(
            principal_id=f"op-{key.key_id}", principal_kind="operator",
            principal_name="test operator", role=role, key_id=key.key_id,
            key_sha256=key.sha256, issued_at=datetime.now(UTC), expires_at=expires_at))
    return key.api_key


async def operator_headers(app: FastAPI, role: str = "admin") -> dict[str, str]:
    """``Authorization`` for an operator of ``role`` on a running ``app``."""
    return {"Authorization": f"Bearer {await issue_operator_key(app.state.runtime.sessions, role)}"}
