"""OutboxRelay: publishes committed outbox rows to Kafka, then deletes exactly those rows.

Crash points and their outcome:
* before publishing: nothing happened; the rows are read again.
* after publishing, before deleting: the rows are published again on restart. Consumers
  see a duplicate event id and their inbox turns it into a no-op (at-least-once delivery,
  exactly-once effect).
* after deleting: done.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lending_messaging.outbox import STANDARD_HEADERS
from lending_messaging.ports import EventPublisher, FaultHook, OutgoingMessage, PublishError
from lending_messaging.tables import OUTBOX_CHANNEL
from lending_messaging.tracing import publishing
from lending_messaging.wakeup import Wakeup

log = logging.getLogger("lending_messaging.relay")

# One relay per database (advisory locks are scoped to the current database).
RELAY_LOCK_KEY = 0x6C656E64696E67  # "lending"

# Why "settled" and why stop at the first unsettled row:
# ``position`` comes from a sequence, and sequence values are handed out at insert time but
# become visible at commit time, in any order. A naive reader of "rows in position order"
# would publish position 7 while position 6 is still uncommitted: that is only a
# reordering here (we delete what we publish, so 6 is picked up later), but it breaks
# position order. ``pg_snapshot_xmin(pg_current_snapshot())`` is the oldest transaction
# still running: every transaction below it has finished, so rows with ``tx_id`` below it
# form a set that can no longer grow at lower positions from those transactions.
# We publish the longest position-ordered PREFIX of visible rows that are settled, not
# every settled row: a transaction that took its xid early (say, with an inbox insert)
# and wrote its outbox row after a younger transaction on the same loan committed, is
# settled while that younger row is not yet; publishing it first would put the loan's
# events out of causal order. Stopping at the first unsettled row keeps causal order:
# a row written after another committed has a higher position and is never visible
# before it. A long-open transaction holds the relay back, hence the migrations set
# idle_in_transaction_session_timeout.
# The standard headers (outbox.wire_headers) come out as text columns and any others as
# one JSON object, usually NULL: decoding a JSON document per row cost more than a tenth of
# the relay's time.
# Statements go straight to asyncpg on the relay's own connection, each in autocommit (no
# BEGIN/COMMIT round trips; a lone SELECT holds no snapshot while we wait for the broker),
# and rows come back as asyncpg records: the relay's database cost per batch is two round
# trips, and SQLAlchemy's per-row result machinery cost more than building the messages.
_SELECT = (
    "SELECT position, topic, convert_to(key, 'UTF8'), payload, "
    + "".join(f"convert_to(headers->>'{name}', 'UTF8'), " for name in STANDARD_HEADERS)
    + "NULLIF(headers - $2::text[], '{}'::jsonb)::text AS extra, "
    "tx_id < pg_snapshot_xmin(pg_current_snapshot()) AS settled "
    "FROM outbox ORDER BY position LIMIT $1"
)
_EXTRA = 4 + len(STANDARD_HEADERS)  # the column after the standard headers
_SETTLED = _EXTRA + 1
_DELETE = "DELETE FROM outbox WHERE position = ANY($1::bigint[])"
_TRY_LOCK = "SELECT pg_try_advisory_lock($1)"


_DATABASE_ERRORS = (OSError, SQLAlchemyError, asyncpg.PostgresError, asyncpg.InterfaceError)


class RelayLockedError(RuntimeError):
    """Another relay is active on this database."""


def _message(row: Any) -> OutgoingMessage:
    # Key and standard headers arrive as bytes (convert_to in _SELECT): no encoding here.
    headers = [(name, value) for name, value in zip(STANDARD_HEADERS, row[4:_EXTRA], strict=True)
               if value is not None]
    if row[_EXTRA]:
        headers += [(k, str(v).encode()) for k, v in json.loads(row[_EXTRA]).items()]
    return OutgoingMessage(row[1], row[2], row[3], tuple(headers))


async def _discard(conn: AsyncConnection) -> None:
    # Closing the connection (never returning it to the pool) releases the session lock.
    with contextlib.suppress(*_DATABASE_ERRORS):
        await conn.invalidate()
    with contextlib.suppress(*_DATABASE_ERRORS):
        await conn.close()


async def _driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under ``conn`` (SQLAlchemy never runs a statement on it)."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        publisher: EventPublisher,
        *,
        batch_size: int = 1000,
        poll_interval: float = 1.0,
        lock_poll_interval: float = 1.0,
        retry_wait: float = 1.0,
        lock_key: int = RELAY_LOCK_KEY,
        fault_hook: FaultHook | None = None,
    ) -> None:
        """The publisher's start/stop belong to the caller (it may be shared).

        A transaction that wrote outbox rows, in any process, wakes the relay at its commit
        (the outbox's trigger NOTIFYs, the relay LISTENs on its own connection);
        ``poll_interval`` is only the floor for a notification that never came."""
        self._engine = engine
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._lock_poll_interval = lock_poll_interval
        self._retry_wait = retry_wait
        self._lock_key = lock_key
        self._fault = fault_hook or (lambda point: None)
        self._stopping = asyncio.Event()
        # Set by the commit notification; the relay's own deletes write no outbox row, so it
        # never wakes itself: no gap needed.
        self._wakeup = Wakeup(min_gap=0.0)
        self.active = asyncio.Event()  # set while this replica holds the lock
        self.published = 0
        self.on_published: Callable[[Sequence[OutgoingMessage]], None] | None = None
        """Called with every batch published and deleted (metrics)."""

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    def _notified(self, *_: Any) -> None:
        self._wakeup.set()

    def wake(self) -> None:
        """Something was committed to the outbox: look now rather than at the next poll.
        Safe to call from any thread."""
        self._wakeup.set()

    @staticmethod
    async def _wait(event: asyncio.Event, seconds: float) -> None:
        """Until ``event`` is set (``_wake``: also by stop) or ``seconds`` have passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    async def run(self) -> None:
        self._wakeup.start()
        try:
            while not self._stopping.is_set():
                try:
                    await self._run_connected()
                except (*_DATABASE_ERRORS, PublishError) as exc:
                    log.warning("relay interrupted (%r); retrying in %.1fs", exc,
                                self._retry_wait)
                    await self._wait(self._stopping, self._retry_wait)
        finally:
            self._wakeup.stop()

    async def _run_connected(self) -> None:
        conn = await self._engine.connect()
        try:
            driver = await _driver(conn)
            while not await driver.fetchval(_TRY_LOCK, self._lock_key):
                if self._stopping.is_set():  # another replica is active: stand by
                    return
                await self._wait(self._stopping, self._lock_poll_interval)
            self.active.set()
            # Listening before the first look: a commit between the two is seen by the look.
            await driver.add_listener(OUTBOX_CHANNEL, self._notified)
            while not self._stopping.is_set():
                # Cleared before looking: a commit while we publish sets it again.
                self._wakeup.clear()
                if await self._relay_batch(driver) < self._batch_size:
                    await self._wakeup.wait(self._poll_interval, self._stopping)
        finally:
            self.active.clear()
            await _discard(conn)

    async def relay_once(self) -> int:
        """One batch, for tests and tools; raises RelayLockedError if a relay is running."""
        conn = await self._engine.connect()
        try:
            driver = await _driver(conn)
            if not await driver.fetchval(_TRY_LOCK, self._lock_key):
                raise RelayLockedError("another relay holds the outbox lock")
            return await self._relay_batch(driver)
        finally:
            await _discard(conn)

    async def _relay_batch(self, driver: Any) -> int:
        """Publishes one batch on an asyncpg connection holding the lock; returns the rows
        published."""
        rows: Sequence[Any] = await driver.fetch(_SELECT, self._batch_size,
                                                 list(STANDARD_HEADERS))
        batch = []
        for row in rows:
            if not row[_SETTLED]:
                break
            batch.append(row)
        if not batch:
            return 0
        messages = [_message(r) for r in batch]
        with publishing(messages):
            await self._publisher.publish(messages)
            self._fault("relay.published")
            await driver.execute(_DELETE, [r[0] for r in batch])
        self.published += len(batch)
        if self.on_published is not None:
            self.on_published(messages)
        return len(batch)
