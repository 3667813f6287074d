"""Waking a background worker when there may be work for it, instead of at its next poll.

A worker that finds work in the database (the ledger's accruals and payouts, collections'
messages, intake's webhooks) polls at an interval; most of its work is
written by this same process (the consumer records a closed day, a payment books a loan).
``Wakeup(engine, tables)`` is set when a transaction of the process that wrote to one of
``tables`` ends (its connection goes back to the engine's pool: by then the rows are
visible), so such a worker looks again at once. (The outbox relay is woken by PostgreSQL
itself: the outbox's trigger NOTIFYs at commit, from any process.) The poll stays as the
floor for work written elsewhere, and ``min_gap`` bounds how often wake-ups can make an
idle worker query.

Why the table: waking every worker at the end of *every* transaction (reads, the other
workers' own looks, consumer batches that queued nothing for them) made each worker look up
to 1/min_gap times a second under load, most looks empty; summed over the workers of five
services that was a large share of the platform's CPU per loan. A statement that writes the
table is recognised from its text (``INSERT INTO <table>``, ``UPDATE <table>``, as both
SQLAlchemy and the hand-written SQL spell them), so no writer can forget to announce its
work; a write rolled back wakes the worker for one needless look. A statement sent straight
to the driver (asyncpg, on a hot path) passes no SQLAlchemy event: its writer calls
``wrote(connection, table)``.

The worker's own transactions wake it too; it clears the flag *before* looking, so a wake-up
during its look is kept, and the gap stops it spinning on its own wake-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_WRITTEN = "lending.wakeup.written"
"""Key, in a pooled connection's info, of the watched tables its transaction wrote."""


class _Watch:
    """One engine's watched tables and the wake-ups waiting on each."""

    def __init__(self, engine: Engine) -> None:
        self.waiting: dict[str, set[Wakeup]] = {}
        self.marks: dict[str, tuple[str, ...]] = {}
        event.listen(engine, "before_cursor_execute", self._on_execute)
        event.listen(engine, "checkin", self._on_checkin)

    def add(self, table: str, wakeup: Wakeup) -> None:
        self.waiting.setdefault(table, set()).add(wakeup)
        self.marks[table] = (f"INSERT INTO {table} ", f"UPDATE {table} ")

    def remove(self, table: str, wakeup: Wakeup) -> None:
        self.waiting.get(table, set()).discard(wakeup)

    def _on_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        for table, marks in self.marks.items():
            if marks[0] in statement or marks[1] in statement:
                conn.info.setdefault(_WRITTEN, set()).add(table)

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        if record is None:
            return
        for table in record.info.pop(_WRITTEN, ()):
            for wakeup in tuple(self.waiting.get(table, ())):
                wakeup.set()


def wrote(connection: AsyncConnection, *tables: str) -> None:
    """``connection``'s transaction wrote ``tables`` by a statement sent to the driver."""
    connection.info.setdefault(_WRITTEN, set()).update(tables)


_watches: weakref.WeakKeyDictionary[Engine, _Watch] = weakref.WeakKeyDictionary()


class Wakeup:
    def __init__(self, engine: AsyncEngine | None = None, tables: str | tuple[str, ...] = (),
                 min_gap: float = 0.02) -> None:
        """Set when a transaction of ``engine`` that wrote to one of ``tables`` ends
        (without both: only ``set()`` sets it)."""
        self.tables = (tables,) if isinstance(tables, str) else tables
        if (engine is None) != (not self.tables):
            raise ValueError("a wake-up watches tables of an engine: give both or neither")
        self.engine, self.min_gap = engine, min_gap
        self._flag = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """From the worker's ``run()``: wake-ups then reach its event loop."""
        self._loop = asyncio.get_running_loop()
        if self.engine is not None:
            sync = self.engine.sync_engine
            watch = _watches.get(sync)
            if watch is None:
                watch = _watches[sync] = _Watch(sync)
            for table in self.tables:
                watch.add(table, self)

    def stop(self) -> None:
        watch = _watches.get(self.engine.sync_engine) if self.engine is not None else None
        if watch is not None:
            for table in self.tables:
                watch.remove(table, self)
        self._loop = None

    def set(self) -> None:
        """Safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self._flag.set()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._flag.set()
        else:
            loop.call_soon_threadsafe(self._flag.set)

    def clear(self) -> None:
        self._flag.clear()

    async def wait(self, poll: float, stopping: asyncio.Event) -> None:
        """Until a wake-up (no sooner than ``min_gap``), ``stopping``, or ``poll`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), self.min_gap)
            return
        if stopping.is_set():
            return
        waiters = [asyncio.ensure_future(self._flag.wait()),
                   asyncio.ensure_future(stopping.wait())]
        try:
            await asyncio.wait(waiters, timeout=max(poll - self.min_gap, 0),
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
