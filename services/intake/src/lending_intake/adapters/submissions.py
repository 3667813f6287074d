"""Accepted submissions written in batches: group commit for POST /v1/applications.

Each submission is one idempotency claim, one application row, its outbox events and its
webhook rows. Submissions arriving while a batch is being written wait for the next one, and
every batch is ONE SQL statement (set-based, unnest), so a round trip and a commit are
shared by everyone in it: with few requests in flight a batch holds one submission and adds
no wait; under load batches grow by themselves. Every caller answers only after the
statement holding its rows committed, and every guarantee of the one-by-one path holds per
submission:

* Idempotency: a key claimed by a committed (or concurrent) transaction is not claimed again
  (``ON CONFLICT DO NOTHING`` waits for a concurrent claimer to finish); the same key twice
  in one batch is claimed once. Unclaimed submissions write nothing and get the stored
  response, read after commit.
* Outbox: the events are written by the same statement as the application (atomic).
* A failed batch is retried one submission per statement, so an error reaches only the
  request that caused it (and a connection that died under the pool is replaced).

Claims are sorted by (partner, key) so that two batches never wait on each other's keys
in opposite orders (no deadlock between duplicate retries). The writer has its own small
pool without a ping on checkout: round trips are most of the cost here, and a dead
connection is caught by the retry above.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lending_events.envelope import Envelope
from lending_intake.adapters.repository import StoredResponse
from lending_messaging.context import stamp
from lending_messaging.outbox import wire_headers
from lending_messaging.wakeup import wrote
from lending_platform.database import asyncpg_sql

MAX_BATCH = 200
PARALLEL_BATCHES = 4  # transactions in flight per process: overlaps commits and round trips

# ONE statement, so one round trip and no BEGIN/COMMIT of its own (a statement outside a
# transaction block is atomic): the key claims, then only for the claimed ones (joined on
# the claim's RETURNING) the applications, their outbox events and their webhook rows.
# The outbox rows are the ones lending_messaging.outbox writes (same columns, its
# ``wire_headers``; ``tx_id`` and ``position`` from the table's defaults), in batch order.
_WRITE = text(
    "WITH claim AS ("
    " INSERT INTO idempotency_keys"
    " (partner_id, key, request_sha256, application_id, status_code, response)"
    " SELECT p, k, h, a, 202, CAST(r AS jsonb) FROM unnest("
    "  CAST(:partners AS text[]), CAST(:keys AS text[]), CAST(:hashes AS text[]),"
    "  CAST(:claim_ids AS text[]), CAST(:responses AS text[])"
    " ) WITH ORDINALITY AS t(p, k, h, a, r, n) ORDER BY n"
    " ON CONFLICT DO NOTHING RETURNING application_id"
    "), apps AS ("
    " INSERT INTO applications (id, partner_id, product_code, status, currency,"
    " requested_amount, identity_hash, request, documents, missing_documents, submitted_at,"
    " updated_at, identity_sealed, identity_key_id)"
    " SELECT i, p, c, s, cur, CAST(amt AS numeric), ih, CAST(req AS jsonb), CAST(d AS jsonb),"
    " CAST(m AS jsonb), at, at, sealed, kid FROM unnest("
    "  CAST(:ids AS text[]), CAST(:app_partners AS text[]), CAST(:products AS text[]),"
    "  CAST(:statuses AS text[]), CAST(:currencies AS text[]), CAST(:amounts AS text[]),"
    "  CAST(:identities AS text[]), CAST(:requests AS text[]), CAST(:documents AS text[]),"
    "  CAST(:missing AS text[]), CAST(:at AS timestamptz[]), CAST(:sealed AS bytea[]),"
    "  CAST(:sealed_keys AS text[])"
    " ) AS t(i, p, c, s, cur, amt, ih, req, d, m, at, sealed, kid)"
    " JOIN claim ON claim.application_id = t.i"
    "), events AS ("
    " INSERT INTO outbox (topic, key, event_id, event_type, payload, headers)"
    " SELECT e.topic, e.key, e.id, e.type, e.payload, CAST(e.headers AS jsonb) FROM unnest("
    "  CAST(:event_apps AS text[]), CAST(:event_topics AS text[]), CAST(:event_keys AS text[]),"
    "  CAST(:event_ids AS text[]), CAST(:event_types AS text[]),"
    "  CAST(:event_payloads AS bytea[]), CAST(:event_headers AS text[])"
    " ) WITH ORDINALITY AS e(app, topic, key, id, type, payload, headers, n)"
    " JOIN claim ON claim.application_id = e.app ORDER BY e.n"
    "), hooks AS ("
    " INSERT INTO webhook_deliveries (id, partner_id, application_id, event_type, url, body,"
    " state, next_attempt_at, created_at)"
    " SELECT w.id, w.p, w.app, w.type, w.url, w.body, 'pending', w.at, w.at FROM unnest("
    "  CAST(:hook_ids AS text[]), CAST(:hook_partners AS text[]), CAST(:hook_apps AS text[]),"
    "  CAST(:hook_types AS text[]), CAST(:hook_urls AS text[]), CAST(:hook_bodies AS text[]),"
    "  CAST(:hook_at AS timestamptz[])"
    " ) WITH ORDINALITY AS w(id, p, app, type, url, body, at, n)"
    " JOIN claim ON claim.application_id = w.app ORDER BY w.n"
    ") SELECT application_id FROM claim"
)
_STORED = text(
    "SELECT i.partner_id, i.key, i.request_sha256, i.status_code, i.response "
    "FROM idempotency_keys i JOIN unnest(CAST(:partners AS text[]), CAST(:keys AS text[])) "
    "AS t(p, k) ON i.partner_id = t.p AND i.key = t.k"
)


@dataclass(frozen=True)
class NewSubmission:
    partner_id: str
    idempotency_key: str
    request_sha256: str
    response: dict[str, Any]  # the 202 body, stored for replays
    application: dict[str, Any]  # the applications row
    events: Sequence[Envelope]  # stamped in the request's own message context
    topic: str
    webhooks: Sequence[dict[str, Any]] = ()
    outcome: asyncio.Future[StoredResponse | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future(), compare=False)


class SubmissionWriter:
    def __init__(self, database_url: str, *, max_batch: int = MAX_BATCH,
                 parallel: int = PARALLEL_BATCHES) -> None:
        self._engine: AsyncEngine = create_async_engine(
            database_url, pool_size=parallel, max_overflow=parallel,
            connect_args={"server_settings": {"jit": "off"}})
        self._sql, self._names = asyncpg_sql(_WRITE)
        self._max = max_batch
        self._parallel = parallel
        self._queue: list[NewSubmission] = []
        self._writers = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._engine.dispose()

    async def write(self, submission: NewSubmission) -> StoredResponse | None:
        """None when this submission claimed its key and is committed; else the response
        stored under the key earlier (the caller compares ``request_sha256``)."""
        self._queue.append(submission)
        if self._writers < self._parallel:
            self._writers += 1
            # A fresh context: the writer serves many requests and must stamp none of its own.
            task = asyncio.create_task(self._drain(), context=contextvars.Context())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        # Shielded: a caller that goes away does not cancel a batch others are waiting on.
        return await asyncio.shield(submission.outcome)

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:self._max], self._queue[self._max:]
                try:
                    await self._write_batch(batch)
                except Exception as exc:  # whatever went wrong, nobody is left waiting
                    for one in batch:
                        _settle(one, exc)
        finally:
            self._writers -= 1

    async def _write_batch(self, batch: list[NewSubmission]) -> None:
        try:
            claimed, stored = await self._commit(batch)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0], exc)
                return
            for one in batch:  # find the culprit: each on its own
                try:
                    claimed, stored = await self._commit([one])
                except Exception as single:
                    _settle(one, single)
                else:
                    _settle(one, _outcome(one, claimed, stored))
            return
        for one in batch:
            _settle(one, _outcome(one, claimed, stored))

    async def _commit(self, batch: list[NewSubmission]) -> tuple[
            set[str], dict[tuple[str, str], StoredResponse]]:
        ordered = sorted(batch, key=lambda s: (s.partner_id, s.idempotency_key))
        params = _parameters(ordered)
        async with self._engine.connect() as conn:
            # Straight to asyncpg, outside any transaction block (the statement is atomic):
            # SQLAlchemy's execution layer would cost more than the statement itself here.
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            rows = await driver.fetch(self._sql, *(params[name] for name in self._names))
            wrote(conn, "webhook_deliveries")
            claimed = {row[0] for row in rows}
        others = [s for s in ordered if s.application["id"] not in claimed]
        stored = await self._stored(others) if others else {}
        return claimed, stored

    async def _stored(self, subs: list[NewSubmission]) -> dict[tuple[str, str], StoredResponse]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(_STORED, {
                "partners": [s.partner_id for s in subs],
                "keys": [s.idempotency_key for s in subs]})).all()
        return {(r.partner_id, r.key): StoredResponse(r.request_sha256, r.status_code,
                                                      r.response) for r in rows}


def _outcome(sub: NewSubmission, claimed: set[str],
             stored: dict[tuple[str, str], StoredResponse]) -> StoredResponse | None:
    if sub.application["id"] in claimed:
        return None
    return stored[(sub.partner_id, sub.idempotency_key)]  # committed before we read it


def _settle(sub: NewSubmission, result: StoredResponse | BaseException | None) -> None:
    if sub.outcome.done():
        return
    if isinstance(result, BaseException):
        sub.outcome.set_exception(result)
    else:
        sub.outcome.set_result(result)


def _parameters(subs: list[NewSubmission]) -> dict[str, list[Any]]:
    apps = [s.application for s in subs]
    events = [(s.application["id"], s.topic, stamp(e)) for s in subs for e in s.events]
    hooks = [w for s in subs for w in s.webhooks]
    return {
        "partners": [s.partner_id for s in subs],
        "keys": [s.idempotency_key for s in subs],
        "hashes": [s.request_sha256 for s in subs],
        "claim_ids": [a["id"] for a in apps],
        "responses": [json.dumps(s.response) for s in subs],
        "ids": [a["id"] for a in apps],
        "app_partners": [a["partner_id"] for a in apps],
        "products": [a["product_code"] for a in apps],
        "statuses": [a["status"] for a in apps],
        "currencies": [a["currency"] for a in apps],
        "amounts": [str(a["requested_amount"]) for a in apps],
        "identities": [a["identity_hash"] for a in apps],
        "requests": [json.dumps(a["request"]) for a in apps],
        "documents": [json.dumps(a["documents"]) for a in apps],
        "missing": [json.dumps(a["missing_documents"]) for a in apps],
        "at": [a["submitted_at"] for a in apps],
        "sealed": [a["identity_sealed"] for a in apps],
        "sealed_keys": [a["identity_key_id"] for a in apps],
        "event_apps": [app_id for app_id, _, _ in events],
        "event_topics": [topic for _, topic, _ in events],
        "event_keys": [e.subject for _, _, e in events],
        "event_ids": [e.id for _, _, e in events],
        "event_types": [e.type for _, _, e in events],
        "event_payloads": [e.to_bytes() for _, _, e in events],
        "event_headers": [json.dumps(wire_headers(e)) for _, _, e in events],
        "hook_ids": [w["id"] for w in hooks],
        "hook_partners": [w["partner_id"] for w in hooks],
        "hook_apps": [w["application_id"] for w in hooks],
        "hook_types": [w["event_type"] for w in hooks],
        "hook_urls": [w["url"] for w in hooks],
        "hook_bodies": [w["body"] for w in hooks],
        "hook_at": [w["next_attempt_at"] for w in hooks],
    }
