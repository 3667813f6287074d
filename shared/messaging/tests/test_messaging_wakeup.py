"""A worker wakes when a transaction ends, not at its next poll, and never spins."""

from __future__ import annotations

import asyncio
import time

import pytest

from lending_messaging.wakeup import Wakeup


async def test_a_wake_up_ends_the_wait_long_before_the_poll():
    wakeup, stopping = Wakeup(min_gap=0.01), asyncio.Event()
    wakeup.start()
    try:
        asyncio.get_running_loop().call_later(0.05, wakeup.set)
        started = time.monotonic()
        await wakeup.wait(5.0, stopping)
        assert time.monotonic() - started < 1.0
    finally:
        wakeup.stop()


async def test_wake_ups_cannot_make_an_idle_worker_look_more_often_than_the_gap():
    wakeup, stopping = Wakeup(min_gap=0.05), asyncio.Event()
    wakeup.start()
    try:
        looks, started = 0, time.monotonic()
        while time.monotonic() - started < 0.5:
            wakeup.clear()
            wakeup.set()  # as the worker's own transaction would
            looks += 1
            await wakeup.wait(5.0, stopping)
        assert looks <= 11
    finally:
        wakeup.stop()


async def test_without_a_wake_up_the_poll_still_ends_the_wait():
    wakeup, stopping = Wakeup(min_gap=0.01), asyncio.Event()
    started = time.monotonic()
    await wakeup.wait(0.2, stopping)
    assert 0.15 < time.monotonic() - started < 2.0


def test_a_wake_up_watches_tables_of_an_engine_or_nothing():
    with pytest.raises(ValueError, match="both or neither"):
        Wakeup(tables="outbox")
