"""What a running service holds: its engine, publisher and background workers.

Built by each service's ``bootstrap.py`` without any I/O; ``start()`` connects and
``stop()`` shuts down in reverse order, so the app factory's lifespan stays four lines.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from lending_messaging.lag import ConsumerLagProbe
from lending_messaging.ports import EventPublisher
from lending_platform.database import is_database_unreachable
from lending_platform.health import Check, KafkaProbe, database_check
from lending_platform.settings import ServiceSettings

log = logging.getLogger("lending.runtime")
PERSISTING_OUTAGE = 10
"""Consecutive restarts of one worker on an unreachable database (about 20 s) after which
the outage is taken to be this process's, not the server's."""

Backlog = Callable[[AsyncSession], Awaitable[int]]
"""Counts one kind of work the service still has to do by itself (``/v1/ops/messaging``)."""


class Worker(Protocol):
    async def run(self) -> None: ...

    def stop(self) -> None:
        """Asks the worker to finish its batch in hand and return from run()."""


@dataclass
class Runtime:
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker
    publisher: EventPublisher
    kafka_probe: KafkaProbe
    workers: dict[str, Worker] = field(default_factory=dict)
    # Run even when background workers are off (an API-only replica): what the API itself
    # depends on, such as the credential projection's freshness sampler.
    monitors: dict[str, Worker] = field(default_factory=dict)
    ports: dict[str, Any] = field(default_factory=dict)
    backlogs: dict[str, Backlog] = field(default_factory=dict)
    lag_probe: ConsumerLagProbe | None = None
    restart_pause: float = 2.0
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def readiness_checks(self) -> dict[str, Check]:
        """What serving a request needs: the database, and a credential projection recent
        enough that keys are honoured (services other than intake). Not the broker itself:
        the outbox holds the writes through an outage, so a broker that is away shows in the
        metrics and alerts (``lending_kafka_up``, consumer lag, outbox backlog); a projection
        that stays stale past its bound (the broker away that long) fails closed here too,
        because every key would be refused (docs/security.md, item 6)."""
        checks = {"database": database_check(self.engine)}
        freshness = getattr(self.ports.get("credentials"), "freshness", None)
        if freshness is not None:
            async def credentials() -> None:  # not ready while keys would be refused
                freshness.check()

            checks["credentials"] = credentials
        return checks

    async def start(self) -> None:
        await self.kafka_probe.start()
        for name, monitor in self.monitors.items():
            self._tasks[name] = asyncio.create_task(self._supervise(name, monitor), name=name)
        if not self.settings.run_background_workers:
            return
        try:
            await self.publisher.start()
        except Exception as exc:  # the relay starts it once the broker answers
            log.warning("the broker did not answer at start-up (%r); serving anyway", exc)
        for name, worker in self.workers.items():
            self._tasks[name] = asyncio.create_task(self._supervise(name, worker), name=name)

    async def _supervise(self, name: str, worker: Worker) -> None:
        # A worker that crashes (broker away, database restart) is restarted with a pause,
        # so a passing outage never leaves the service running without its relay or consumer.
        unreachable = 0
        while True:
            try:
                await worker.run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                unreachable = unreachable + 1 if is_database_unreachable(exc) else 0
                if unreachable and unreachable % PERSISTING_OUTAGE == 0:
                    # Other services reach the same server by now: what fails is more likely
                    # this process's pooled connections than the database. Say where, once,
                    # and start the pool afresh.
                    log.error("%s: the database has been unreachable for %d restarts; "
                              "replacing the connection pool", name, unreachable,
                              exc_info=exc)
                    await self.engine.dispose()
                elif unreachable:  # an outage, not a bug: no traceback
                    log.warning("%s: the database is unreachable (%r); restarting in %gs",
                                name, exc, self.restart_pause)
                else:
                    log.exception("%s stopped with an error; restarting in %gs", name,
                                  self.restart_pause)
                await asyncio.sleep(self.restart_pause)

    async def stop(self) -> None:
        for name, worker in reversed([*self.monitors.items(), *self.workers.items()]):
            task = self._tasks.pop(name, None)
            if task is None:
                continue
            worker.stop()
            try:
                await asyncio.wait_for(task, timeout=15)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
        if self.settings.run_background_workers:
            await self.publisher.stop()
        if self.lag_probe is not None:
            await self.lag_probe.close()
        await self.kafka_probe.stop()
        await self.engine.dispose()
