"""Request correlation and Prometheus metrics, one registry per app.

A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's
BaseHTTPMiddleware adds a task and a memory stream to every request, which showed up as a
large share of the per-request CPU in the intake benchmark.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lending_messaging.context import context_from_headers, use_context

CORRELATION_HEADER = "X-Correlation-ID"
log = logging.getLogger("lending.metrics")

# Gauges a service reads from its database when scraped (so every replica reports the
# same, from the first scrape after a restart): each is awaited before the registry is
# rendered; one that fails leaves its gauge as it was.
MetricRefresher = Callable[[FastAPI], Awaitable[None]]


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency", ["method", "route"],
            registry=registry,
        )


class CorrelationMiddleware:
    """Sets the message context from the request's correlation id and traceparent (or new
    ones), echoes them on the response, and counts and times the request by route."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx = context_from_headers(Headers(scope=scope))
        started = time.perf_counter()
        status = 500

        async def send_with_ids(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers[CORRELATION_HEADER] = ctx.correlation_id
                headers["traceparent"] = ctx.traceparent
            await send(message)

        try:
            with use_context(ctx):
                await self.app(scope, receive, send_with_ids)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)


def install_observability(app: FastAPI, registry: CollectorRegistry) -> None:
    app.add_middleware(CorrelationMiddleware, metrics=HttpMetrics(registry))
    app.state.metrics_registry = registry
    refreshers: list[MetricRefresher] = []
    app.state.metric_refreshers = refreshers

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        for refresh in refreshers:
            try:
                await refresh(app)
            except Exception:  # a metric must never fail the scrape of the others
                log.warning("metric refresh %r failed", refresh, exc_info=True)
        return Response(generate_latest(scraped(registry)), media_type=CONTENT_TYPE_LATEST)


def scraped(registry: CollectorRegistry) -> CollectorRegistry:
    """The app's registry; with several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set
    before they started, as ``python -m lending_intake`` does), every worker's figures."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return registry
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    return combined
