"""The credit bureau port: the HTTP adapter against the bureau simulator (in process, over
ASGI), its retries, deadline and circuit breaker, and the breaker on its own."""

from __future__ import annotations

import time

import httpx
import pytest

from lending_simulators.credit_bureau import create_app
from lending_underwriting.adapters.bureau_http import HttpCreditBureau
from lending_underwriting.adapters.circuit_breaker import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    CircuitBreaker,
    CircuitOpenError,
)
from lending_underwriting.service_layer.ports import BureauUnavailableError


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def bureau(sim, **kw) -> HttpCreditBureau:
    return HttpCreditBureau("http://bureau", transport=httpx.ASGITransport(app=sim), **kw)


async def test_the_same_token_always_gets_the_same_report():
    b = bureau(create_app())
    first, again = await b.report("tok-123", "CNY"), await b.report("tok-123", "CNY")
    assert first == again and first.report_id.startswith("br-")
    assert (await b.report("tok-456", "CNY")) != first


async def test_a_server_error_is_retried_and_then_succeeds():
    sim = create_app()
    sim.state.sim.scripted = [503]
    report = await bureau(sim, attempts=2).report("tok-1", "CNY")
    assert report.identity_match and sim.state.sim.requests == 2


async def test_an_outage_fails_fast_and_opens_the_circuit():
    sim = create_app(outage=True)
    b = bureau(sim, attempts=2, breaker=CircuitBreaker(failure_threshold=2, reset_after=60))
    for _ in range(2):
        with pytest.raises(BureauUnavailableError):
            await b.report("tok-1", "CNY")
    assert b.breaker.state == OPEN
    before = sim.state.sim.requests
    began = time.monotonic()
    with pytest.raises(BureauUnavailableError, match="circuit open"):
        await b.report("tok-1", "CNY")
    assert sim.state.sim.requests == before  # the open circuit did not even ask
    assert time.monotonic() - began < 0.05


async def test_a_slow_bureau_never_hangs_a_decision():
    b = bureau(create_app(), deadline=0.3, timeout=0.2)
    began = time.monotonic()
    with pytest.raises(BureauUnavailableError):
        await b.report("sim-slow-1", "CNY")
    assert time.monotonic() - began < 1.0


async def test_an_unreachable_bureau_is_unavailable():
    b = HttpCreditBureau("http://127.0.0.1:9", attempts=1, deadline=1.0)
    with pytest.raises(BureauUnavailableError):
        await b.report("tok-1", "CNY")
    await b.aclose()


def test_the_breaker_opens_after_consecutive_failures_and_half_opens_after_the_pause():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, reset_after=10, clock=clock)
    breaker.record_failure()
    breaker.record_success()  # success resets the count
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == CLOSED and breaker.allow()
    breaker.record_failure()
    assert breaker.state == OPEN and not breaker.allow()
    clock.now = 10
    assert breaker.state == HALF_OPEN
    assert breaker.allow() and not breaker.allow()  # one trial at a time
    breaker.record_failure()
    assert breaker.state == OPEN  # the trial failed: another full pause
    clock.now = 20
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == CLOSED


async def test_the_breaker_refuses_calls_while_open():
    breaker = CircuitBreaker(failure_threshold=1, reset_after=60)

    async def boom() -> None:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        await breaker.call(boom)
    with pytest.raises(CircuitOpenError):
        await breaker.call(boom)


async def test_many_reports_at_once_queue_for_a_slot_instead_of_timing_out():
    import asyncio

    sim = create_app(latency_ms=50)
    inner = httpx.ASGITransport(app=sim)
    flight = {"now": 0, "most": 0}

    class Counting(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            flight["now"] += 1
            flight["most"] = max(flight["most"], flight["now"])
            try:
                return await inner.handle_async_request(request)
            finally:
                flight["now"] -= 1

    b = HttpCreditBureau("http://bureau", transport=Counting(), deadline=0.2, timeout=0.15,
                         max_in_flight=2, breaker=CircuitBreaker(failure_threshold=1))
    reports = await asyncio.gather(*(b.report(f"tok-{n}", "CNY") for n in range(12)))
    # 12 x 50 ms two at a time takes ~0.3 s, longer than one deadline: none timed out
    assert len(reports) == 12 and flight["most"] == 2 and b.breaker.state == CLOSED
