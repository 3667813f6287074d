"""Spans around Kafka: the relay's publish and the consumer's handling of each event, with
the W3C trace context carried in each record's ``traceparent`` header (and envelope).

An event written while a span is current carries that span's context, so the consumer's
span for it is that span's child: one partner request reads as one trace across the
services. Off until ``enable()`` (``lending_platform.tracing`` calls it when an exporter
is configured), and then nothing here touches OpenTelemetry: the message context keeps
generating traceparents for the logs, at no cost.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from lending_events import Envelope
from lending_messaging.ports import OutgoingMessage

_PROPAGATOR = TraceContextTextMapPropagator()
_TRACER = trace.get_tracer("lending_messaging")  # the global provider's, once it is set
MAX_LINKS = 64  # a publish span links the messages it sends, up to this many
_enabled = False
_handling: ContextVar[dict[str, Span] | None] = ContextVar("lending_handling_spans",
                                                            default=None)


def enable(on: bool = True) -> None:
    global _enabled
    _enabled = on


def enabled() -> bool:
    return _enabled


def traceparent_of(span: Span) -> str | None:
    ctx = span.get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def current_traceparent() -> str | None:
    """The traceparent of the current span, when tracing is on and a span is current."""
    return traceparent_of(trace.get_current_span()) if _enabled else None


def context_of(traceparent: str | None) -> Context | None:
    """The remote parent a traceparent names (None when missing or malformed)."""
    if not traceparent:
        return None
    ctx = _PROPAGATOR.extract({"traceparent": traceparent})
    return ctx if trace.get_current_span(ctx).get_span_context().is_valid else None


def _header(headers: Sequence[tuple[str, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("ascii", errors="replace")
    return None


@contextmanager
def publishing(batch: Sequence[OutgoingMessage]) -> Iterator[None]:
    """A PRODUCER span around one publish to Kafka, linked to the spans that wrote its
    messages (a relay batch holds many traces, so they are links, not parents)."""
    if not _enabled or not batch:
        yield
        return
    links = []
    for message in batch[:MAX_LINKS]:
        parent = context_of(_header(message.headers, "traceparent"))
        if parent is not None:
            links.append(Link(trace.get_current_span(parent).get_span_context()))
    topics = sorted({m.topic for m in batch})
    attributes: dict[str, Any] = {
        "messaging.system": "kafka", "messaging.operation.type": "send",
        "messaging.operation.name": "publish", "messaging.batch.message_count": len(batch),
        "messaging.destination.name": topics[0] if len(topics) == 1 else ",".join(topics)}
    name = f"publish {topics[0]}" if len(topics) == 1 else "publish"
    with _TRACER.start_as_current_span(name, kind=SpanKind.PRODUCER, links=links,
                                       attributes=attributes):
        yield


@contextmanager
def handling(items: Sequence[tuple[str, Envelope]], group_id: str) -> Iterator[None]:
    """One CONSUMER span per event (``items``: its topic and envelope) for as long as the
    transaction that handles them runs, each the child of the span that wrote its event.
    ``context_from_envelope`` gives handlers the span's traceparent, so the events they
    write continue the trace; ``current_handling`` makes one the current span."""
    if not _enabled or not items:
        yield
        return
    spans: dict[str, Span] = {}
    for topic, envelope in items:
        spans[envelope.id] = _TRACER.start_span(
            f"process {envelope.type}", context=context_of(envelope.traceparent),
            kind=SpanKind.CONSUMER, attributes={
                "messaging.system": "kafka", "messaging.operation.type": "process",
                "messaging.destination.name": topic, "messaging.consumer.group.name": group_id,
                "messaging.message.id": envelope.id, "messaging.kafka.message.key":
                envelope.subject or "", "cloudevents.event_type": envelope.type})
    token = _handling.set(spans)
    try:
        yield
    except BaseException as exc:
        for span in spans.values():
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        _handling.reset(token)
        for span in spans.values():
            span.end()


def handling_traceparent(event_id: str) -> str | None:
    """The traceparent of the span handling event ``event_id`` right now, if any."""
    spans = _handling.get()
    span = spans.get(event_id) if spans else None
    return traceparent_of(span) if span is not None else None


@contextmanager
def current_handling(event_id: str) -> Iterator[None]:
    """Makes the span handling ``event_id`` the current span (its DB and HTTP calls nest)."""
    spans = _handling.get()
    span = spans.get(event_id) if spans else None
    if span is None:
        yield
        return
    with trace.use_span(span, end_on_exit=False, record_exception=False,
                        set_status_on_exception=False):
        yield


@contextmanager
def continuing(name: str, traceparent: str | None, **attributes: Any) -> Iterator[None]:
    """An INTERNAL span in the trace ``traceparent`` names (a stored context: say, the
    decision a loan is booked and paid out on), linked to the current span when that is
    in another trace. Without tracing, or without a stored context, it does nothing."""
    if not _enabled:
        yield
        return
    parent = context_of(traceparent)  # None: a child of the current span
    current = trace.get_current_span().get_span_context()
    links = [Link(current)] if parent is not None and current.is_valid and (
        trace.get_current_span(parent).get_span_context().trace_id != current.trace_id
    ) else []
    with _TRACER.start_as_current_span(name, context=parent, links=links,
                                       attributes=attributes):
        yield
