"""Traces: OpenTelemetry, exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set, and off otherwise.

Off means free: no SDK, no instrumentation, no span objects; the message context still
carries generated traceparents into the logs and the Kafka headers. On, every service
records its HTTP server spans (FastAPI), its database calls (SQLAlchemy, and asyncpg for
the statements sent to the driver directly: the relay, the event store, bulk writes), its
outgoing HTTP calls (httpx) and its Kafka publishes and event handling
(``lending_messaging.tracing``), all in the W3C context the requests and events carry.

The standard ``OTEL_*`` variables apply (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_BSP_*``...). A database or HTTP call made outside any
request or event (the relay's polling, probes) starts no trace of its own: see
``_NoClientRoots``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes
from sqlalchemy.ext.asyncio import AsyncEngine

from lending_messaging import tracing as messaging_tracing

UNTRACED_PATHS = "/healthz,/readyz,/metrics"


def tracing_requested(environ: Mapping[str, str] = os.environ) -> bool:
    """An exporter endpoint is configured (and the SDK is not disabled)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return bool(environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def tracing_on() -> bool:
    return messaging_tracing.enabled() or tracing_requested()


class _NoClientRoots(Sampler):
    """Root spans of kind CLIENT (a database or HTTP call with no request or event around
    it: the relay polls its outbox every 20 ms) are dropped; every other root is kept.
    Children follow their parent (``ParentBased``)."""

    def should_sample(
        self, parent_context: Context | None, trace_id: int, name: str,
        kind: SpanKind | None = None, attributes: Attributes = None,
        links: Sequence[Link] | None = None, trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind == SpanKind.CLIENT:
            return SamplingResult(Decision.DROP, None, trace_state)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)

    def get_description(self) -> str:
        return "NoClientRoots"


class _Switchboard(SpanProcessor):
    """The provider's one processor, forwarding to the processors attached now: the global
    provider is set once per process, yet a test attaches its in-memory exporter and takes
    it off again."""

    def __init__(self) -> None:
        self.processors: list[SpanProcessor] = []

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        for processor in self.processors:
            processor.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for processor in self.processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        for processor in self.processors:
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(p.force_flush(timeout_millis) for p in self.processors)


_switchboard: _Switchboard | None = None
_instrumented = False


def _install(service_name: str) -> _Switchboard:
    """The SDK provider (once per process: the global provider cannot be replaced) and the
    process-wide library instrumentations."""
    global _switchboard, _instrumented
    if _switchboard is None:
        name = os.environ.get("OTEL_SERVICE_NAME") or f"lending-{service_name}"
        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}),
                                  sampler=ParentBased(root=_NoClientRoots()))
        _switchboard = _Switchboard()
        provider.add_span_processor(_switchboard)
        trace.set_tracer_provider(provider)
    if not _instrumented:
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument()
        AsyncPGInstrumentor().instrument()
        _instrumented = True
    messaging_tracing.enable()
    return _switchboard


def _uninstall() -> None:
    global _instrumented
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    messaging_tracing.enable(False)
    if _instrumented:
        HTTPXClientInstrumentor().uninstrument()
        AsyncPGInstrumentor().uninstrument()
        _instrumented = False


def start_tracing(service_name: str) -> None:
    """At start-up, when ``tracing_requested()``: spans go to the OTLP endpoint in batches."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    switchboard = _install(service_name)
    if not switchboard.processors:
        switchboard.processors.append(BatchSpanProcessor(OTLPSpanExporter()))


def flush_tracing() -> None:
    if _switchboard is not None:
        _switchboard.force_flush(5000)


@contextmanager
def recording_spans(exporter: SpanExporter) -> Iterator[None]:
    """For tests: tracing on, and every span of the apps built inside goes to ``exporter``
    at once; off again afterwards (apps and engines instrumented inside stay so)."""
    switchboard = _install("test")
    processor = SimpleSpanProcessor(exporter)
    switchboard.processors.append(processor)
    try:
        yield
    finally:
        switchboard.processors.remove(processor)
        if not switchboard.processors:
            _uninstall()


def instrument_app(app: FastAPI) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_PATHS)


def instrument_engine(engine: AsyncEngine) -> Any:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # The instrumentation declares SQLAlchemy < 2.1 and refuses 2.1 unless told: it hooks
    # the engine's cursor events, which 2.1 keeps (the tracing test checks the spans).
    return SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine,
                                               enable_commenter=False, skip_dep_check=True)
