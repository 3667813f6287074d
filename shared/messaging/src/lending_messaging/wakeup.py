"""Waking a background worker when there may be work for it, instead of at its next poll.

A worker that finds work in the database (the outbox relay, the ledger's accruals and
payouts, collections' messages) polls at an interval; most of its work is written by this
same process (the consumer records a closed day, a payment books a loan). ``Wakeup`` is set
whenever a transaction of the process ends (a connection goes back to the engine's pool), so
such a worker looks again at once. The poll stays as the floor for work written elsewhere,
and ``min_gap`` bounds how often wake-ups can make an idle worker query: under load every
transaction ends with a wake-up, and an idle worker answers at most one per gap.

The worker's own transactions wake it too; it clears the flag *before* looking, so a wake-up
during its look is kept, and the gap stops it spinning on its own wake-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class Wakeup:
    def __init__(self, engine: AsyncEngine | None = None, min_gap: float = 0.02) -> None:
        """``engine``: whose transactions wake the worker (None: only ``set()`` does)."""
        self.engine, self.min_gap = engine, min_gap
        self._flag = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """From the worker's ``run()``: wake-ups then reach its event loop."""
        self._loop = asyncio.get_running_loop()
        if self.engine is not None:
            event.listen(self.engine.sync_engine, "checkin", self._on_checkin)

    def stop(self) -> None:
        engine = self.engine
        if engine is not None and event.contains(engine.sync_engine, "checkin",
                                                 self._on_checkin):
            event.remove(engine.sync_engine, "checkin", self._on_checkin)
        self._loop = None

    def _on_checkin(self, _dbapi_connection: Any, _record: Any) -> None:
        self.set()

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
