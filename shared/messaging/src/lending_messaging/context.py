"""The message context: correlation id, causation id and W3C traceparent of the work in hand.

An HTTP request or a consumed event sets it; ``add_to_outbox`` stamps it on every event the
work writes, so one partner request can be followed across all five services.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

from lending_events import Envelope
from lending_messaging.tracing import current_traceparent, handling_traceparent

CORRELATION_HEADERS = ("x-correlation-id", "x-request-id")
TRACEPARENT_HEADER = "traceparent"

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass(frozen=True, slots=True)
class MessageContext:
    correlation_id: str
    causation_id: str | None
    traceparent: str

    @property
    def trace_id(self) -> str:
        return self.traceparent.split("-")[1]


_current: ContextVar[MessageContext | None] = ContextVar("lending_message_context", default=None)


def current_context() -> MessageContext | None:
    return _current.get()


def set_context(ctx: MessageContext) -> Token[MessageContext | None]:
    """For middleware that cannot wrap the call in ``use_context``; undo with ``reset_context``."""
    return _current.set(ctx)


def reset_context(token: Token[MessageContext | None]) -> None:
    _current.reset(token)


@contextmanager
def use_context(ctx: MessageContext) -> Iterator[MessageContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def _span_id() -> str:
    return secrets.token_hex(8)


def new_traceparent() -> str:
    return f"00-{secrets.token_hex(16)}-{_span_id()}-01"


def parse_traceparent(value: str | None) -> tuple[str, str, str] | None:
    """(trace id, parent span id, flags) of a valid version-00 traceparent, else None."""
    if not value:
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    if not match:
        return None
    version, trace_id, span_id, flags = match.groups()
    if version == "ff" or set(trace_id) == {"0"} or set(span_id) == {"0"}:
        return None
    return trace_id, span_id, flags


def child_traceparent(parent: str | None) -> str:
    """A new span under the parent's trace, or a new trace when the parent is missing/invalid."""
    parsed = parse_traceparent(parent)
    if parsed is None:
        return new_traceparent()
    trace_id, _, flags = parsed
    return f"00-{trace_id}-{_span_id()}-{flags}"


def new_context() -> MessageContext:
    return MessageContext(str(uuid.uuid4()), None, new_traceparent())


def context_from_headers(headers: Mapping[str, str]) -> MessageContext:
    """From an HTTP request: keeps the caller's correlation id and trace, else starts them.
    With tracing on, the traceparent is the request's server span (already a child of the
    caller's)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    correlation = next((lowered[h] for h in CORRELATION_HEADERS if lowered.get(h)), None)
    return MessageContext(
        correlation_id=correlation or str(uuid.uuid4()),
        causation_id=None,
        traceparent=current_traceparent() or child_traceparent(lowered.get(TRACEPARENT_HEADER)),
    )


def context_from_envelope(envelope: Envelope) -> MessageContext:
    """While handling ``envelope``: same correlation, caused by it, a child span of its trace
    (with tracing on, the consumer's span handling it: ``tracing.handling``)."""
    return MessageContext(
        correlation_id=envelope.correlationid or envelope.id,
        causation_id=envelope.id,
        traceparent=handling_traceparent(envelope.id)
        or child_traceparent(envelope.traceparent),
    )


def stamp(envelope: Envelope) -> Envelope:
    """Fills correlationid / causationid / traceparent the envelope lacks from the current
    context; with no context the event starts its own chain (correlation = its own id).
    The current span, when tracing is on, is the most precise parent of all."""
    ctx = current_context()
    update: dict[str, str] = {}
    if envelope.correlationid is None:
        update["correlationid"] = ctx.correlation_id if ctx else envelope.id
    if envelope.causationid is None and ctx and ctx.causation_id:
        update["causationid"] = ctx.causation_id
    if envelope.traceparent is None:
        update["traceparent"] = (current_traceparent()
                                 or (ctx.traceparent if ctx else new_traceparent()))
    return envelope.model_copy(update=update) if update else envelope
