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
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lending_messaging.outbox import STANDARD_HEADERS
from lending_messaging.ports import EventPublisher, FaultHook, OutgoingMessage, PublishError

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
_SELECT = text(
    "SELECT position, topic, key, payload, "
    + "".join(f"headers->>'{name}', " for name in STANDARD_HEADERS)
    + "NULLIF(headers - CAST(:standard AS text[]), '{}'::jsonb) AS extra, "
    "tx_id < pg_snapshot_xmin(pg_current_snapshot()) AS settled "
    "FROM outbox ORDER BY position LIMIT :limit"
)
_EXTRA = 4 + len(STANDARD_HEADERS)  # the column after the standard headers
_DELETE = text("DELETE FROM outbox WHERE position = ANY(CAST(:positions AS bigint[]))")
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")


class RelayLockedError(RuntimeError):
    """Another relay is active on this database."""


def _message(row: Any) -> OutgoingMessage:
    headers = [(name, value.encode()) for name, value in zip(STANDARD_HEADERS, row[4:_EXTRA],
                                                             strict=True) if value is not None]
    if row.extra:
        headers += [(k, str(v).encode()) for k, v in row.extra.items()]
    return OutgoingMessage(row.topic, row.key.encode(), bytes(row.payload), tuple(headers))


async def _discard(conn: AsyncConnection) -> None:
    # Closing the connection (never returning it to the pool) releases the session lock.
    with contextlib.suppress(OSError, SQLAlchemyError):
        await conn.invalidate()
    with contextlib.suppress(OSError, SQLAlchemyError):
        await conn.close()


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        publisher: EventPublisher,
        *,
        batch_size: int = 1000,
        poll_interval: float = 0.02,
        lock_poll_interval: float = 1.0,
        retry_wait: float = 1.0,
        lock_key: int = RELAY_LOCK_KEY,
        fault_hook: FaultHook | None = None,
    ) -> None:
        """The publisher's start/stop belong to the caller (it may be shared)."""
        self._engine = engine
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._lock_poll_interval = lock_poll_interval
        self._retry_wait = retry_wait
        self._lock_key = lock_key
        self._fault = fault_hook or (lambda point: None)
        self._stopping = asyncio.Event()
        self.active = asyncio.Event()  # set while this replica holds the lock
        self.published = 0

    def stop(self) -> None:
        self._stopping.set()

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._run_connected()
            except (OSError, SQLAlchemyError, PublishError) as exc:
                log.warning("relay interrupted (%r); retrying in %.1fs", exc, self._retry_wait)
                await self._pause(self._retry_wait)

    async def _run_connected(self) -> None:
        conn = await self._engine.connect()
        try:
            while not await self._try_lock(conn):  # another replica is active: stand by
                if self._stopping.is_set():
                    return
                await self._pause(self._lock_poll_interval)
            self.active.set()
            while not self._stopping.is_set():
                if await self.relay_batch(conn) < self._batch_size:
                    await self._pause(self._poll_interval)
        finally:
            self.active.clear()
            await _discard(conn)

    async def _try_lock(self, conn: AsyncConnection) -> bool:
        locked = bool((await conn.execute(_TRY_LOCK, {"key": self._lock_key})).scalar())
        await conn.commit()
        return locked

    async def relay_once(self) -> int:
        """One batch, for tests and tools; raises RelayLockedError if a relay is running."""
        conn = await self._engine.connect()
        try:
            if not await self._try_lock(conn):
                raise RelayLockedError("another relay holds the outbox lock")
            return await self.relay_batch(conn)
        finally:
            await _discard(conn)

    async def relay_batch(self, conn: AsyncConnection) -> int:
        """Publishes one batch on a connection holding the lock; returns the rows published."""
        rows: Sequence[Any] = (
            await conn.execute(_SELECT, {"limit": self._batch_size,
                                         "standard": list(STANDARD_HEADERS)})
        ).all()
        await conn.commit()  # no snapshot held open while we wait for the broker
        batch = []
        for row in rows:
            if not row.settled:
                break
            batch.append(row)
        if not batch:
            return 0
        await self._publisher.publish([_message(r) for r in batch])
        self._fault("relay.published")
        await conn.execute(_DELETE, {"positions": [r.position for r in batch]})
        await conn.commit()
        self.published += len(batch)
        return len(batch)
