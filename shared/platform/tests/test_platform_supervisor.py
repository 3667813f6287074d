"""A worker that keeps finding the database unreachable while the server is back (a
connection of this process stuck after a crash) gets a fresh pool and a traceback, once per
run of failures, instead of restarting on the same connections for ever."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import pytest
from asyncpg.exceptions import InternalClientError
from sqlalchemy.ext.asyncio import AsyncEngine

from lending_platform.runtime import PERSISTING_OUTAGE, Runtime


class FailingWorker:
    def __init__(self, failures: int) -> None:
        self.failures, self.runs = failures, 0

    async def run(self) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            raise InternalClientError("cannot switch to state 12; another operation (2) is "
                                      "in progress")

    def stop(self) -> None:
        pass


class CountingEngine:
    def __init__(self) -> None:
        self.disposed = 0

    async def dispose(self) -> None:
        self.disposed += 1


def runtime_with(engine: CountingEngine) -> Runtime:
    nothing = cast(Any, None)
    return Runtime(settings=nothing, engine=cast(AsyncEngine, engine), sessions=nothing,
                   publisher=nothing, kafka_probe=nothing, restart_pause=0.0)


async def test_a_worker_failing_on_the_database_for_long_gets_a_fresh_pool_and_a_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    engine = CountingEngine()
    worker = FailingWorker(failures=2 * PERSISTING_OUTAGE + 3)
    with caplog.at_level(logging.WARNING, logger="lending.runtime"):
        await asyncio.wait_for(runtime_with(engine)._supervise("consumer", worker), 10)
    assert worker.runs == 2 * PERSISTING_OUTAGE + 4
    assert engine.disposed == 2
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all(r.exc_info for r in errors)
    assert "replacing the connection pool" in errors[0].getMessage()


async def test_a_short_outage_keeps_the_pool_and_logs_no_traceback(
        caplog: pytest.LogCaptureFixture) -> None:
    engine = CountingEngine()
    with caplog.at_level(logging.WARNING, logger="lending.runtime"):
        await runtime_with(engine)._supervise("relay", FailingWorker(PERSISTING_OUTAGE - 1))
    assert engine.disposed == 0
    assert all(r.levelno == logging.WARNING and not r.exc_info for r in caplog.records)
