"""The bureau adapter with its default transport (httpx over aiohttp) against the simulator
on a real local port: what the ASGI tests beside it cannot show, the sockets, the
transport's timeouts and its errors mapped to httpx's."""

from __future__ import annotations

import time

import pytest

from lending_simulators.credit_bureau import create_app
from lending_simulators.serving import serve_http
from lending_underwriting.adapters.bureau_http import HttpCreditBureau
from lending_underwriting.adapters.circuit_breaker import OPEN, CircuitBreaker
from lending_underwriting.service_layer.ports import BureauUnavailableError


async def test_reports_over_a_kept_alive_connection_match_the_in_process_ones():
    sim = create_app()
    async with serve_http(sim) as url:
        b = HttpCreditBureau(url)
        try:
            reports = [await b.report(f"tok-{n % 3}", "CNY") for n in range(6)]
        finally:
            await b.aclose()
    assert reports[:3] == reports[3:] and len({r.report_id for r in reports}) == 3
    assert sim.state.sim.requests == 6


async def test_a_server_error_is_retried_over_the_wire():
    sim = create_app()
    sim.state.sim.scripted = [503]
    async with serve_http(sim) as url:
        b = HttpCreditBureau(url, attempts=2)
        try:
            report = await b.report("tok-1", "CNY")
        finally:
            await b.aclose()
    assert report.identity_match and sim.state.sim.requests == 2


async def test_a_slow_answer_times_out_within_the_deadline():
    async with serve_http(create_app(latency_ms=400)) as url:
        b = HttpCreditBureau(url, timeout=0.1, attempts=2, deadline=1.0)
        began = time.monotonic()
        try:
            with pytest.raises(BureauUnavailableError):
                await b.report("tok-1", "CNY")
            took = time.monotonic() - began
        finally:
            await b.aclose()
    assert 0.1 <= took < 0.4  # two attempts of 0.1 s and a backoff, not the 0.4 s answer


async def test_a_bureau_gone_from_its_port_opens_the_circuit():
    async with serve_http(create_app()) as url:
        b = HttpCreditBureau(url, attempts=1, breaker=CircuitBreaker(failure_threshold=2))
        await b.report("tok-1", "CNY")  # a kept-alive connection to a server about to stop
    try:
        for _ in range(2):
            with pytest.raises(BureauUnavailableError):
                await b.report("tok-1", "CNY")
        assert b.breaker.state == OPEN
    finally:
        await b.aclose()
