"""Traces are exported only when an OTLP endpoint is configured; off, nothing touches
OpenTelemetry and a loan request still gets a traceparent for its logs and events."""

from __future__ import annotations

from opentelemetry import trace

from lending_events import to_envelope
from lending_events.samples import sample_event
from lending_messaging import tracing
from lending_messaging.context import context_from_headers, stamp, use_context
from lending_messaging.ports import OutgoingMessage
from lending_platform.tracing import tracing_requested


def test_tracing_is_requested_only_by_an_otlp_endpoint():
    assert not tracing_requested({})
    assert tracing_requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing_requested({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"})
    assert not tracing_requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
                                  "OTEL_SDK_DISABLED": "true"})


def test_with_tracing_off_a_loan_request_keeps_its_generated_trace_and_starts_no_span():
    assert not tracing.enabled()
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    ctx = context_from_headers({"traceparent": caller})
    assert ctx.traceparent.split("-")[1] == "0af7651916cd43dd8448eb211c80319c"
    assert ctx.traceparent != caller
    with use_context(ctx):
        envelope = stamp(to_envelope(sample_event("ApplicationSubmitted"), source="test"))
    assert envelope.traceparent == ctx.traceparent
    with tracing.publishing([OutgoingMessage("t", b"k", b"v")]), \
            tracing.handling([("t", envelope)], "group"):
        assert not trace.get_current_span().get_span_context().is_valid
        assert tracing.handling_traceparent(envelope.id) is None
