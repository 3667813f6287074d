"""The transactional outbox writer: events are rows written in the caller's transaction.

They leave for Kafka only after that transaction commits (the relay reads them), so state
and events are never out of step: no dual write, no event about a rolled-back change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from sqlalchemy import text

from lending_events import Envelope
from lending_messaging.context import stamp

# The columns every writer of outbox rows fills (the rest have defaults).
INSERT_INTO_OUTBOX = "INSERT INTO outbox (topic, key, event_id, event_type, payload, headers)"


def outbox_insert(topic: str, keys: str, ids: str, types: str, payloads: str,
                  traceparents: str, content_type: str, *, where: str = "") -> str:
    """The INSERT of outbox rows from five arrays, the arguments being SQL placeholders
    (``:keys`` for SQLAlchemy, ``$3`` for the driver), in ``outbox_values``' order.
    ``where`` may guard it, as when a service writes its events in the statement that
    writes its state (``WHERE EXISTS (SELECT 1 FROM some_cte)``)."""
    # One statement and five arrays per batch, whatever its size: far cheaper than a
    # multi-row VALUES list. WITH ORDINALITY keeps the caller's order, so positions (and
    # therefore publication order) follow it. The headers (``wire_headers``) are built by
    # the server from the columns: no JSON is encoded in Python, nor decoded by the relay.
    return (
        f"{INSERT_INTO_OUTBOX} SELECT CAST({topic} AS text), k, i, t, p, "
        "jsonb_strip_nulls(jsonb_build_object("
        f"'content-type', CAST({content_type} AS text), 'ce_id', i, 'ce_type', t, "
        "'traceparent', tp)) FROM unnest("
        f"CAST({keys} AS text[]), CAST({ids} AS text[]), CAST({types} AS text[]), "
        f"CAST({payloads} AS bytea[]), CAST({traceparents} AS text[])"
        f") WITH ORDINALITY AS e(k, i, t, p, tp, n) {where} ORDER BY n"
    )


_VALUES = ("topic", "keys", "ids", "types", "payloads", "traceparents", "content_type")
_INSERT = text(outbox_insert(*(f":{name}" for name in _VALUES)))

CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8"
# The names wire_headers (and _INSERT, and the relay that reads them back) use.
STANDARD_HEADERS = ("content-type", "ce_id", "ce_type", "traceparent")


class SqlExecutor(Protocol):
    """An AsyncSession or AsyncConnection inside the caller's open transaction."""

    async def execute(self, statement: Any, parameters: Any = ..., /) -> Any: ...


def wire_headers(envelope: Envelope) -> dict[str, str]:
    """Kafka headers beside the structured CloudEvent, readable without parsing the value."""
    headers = {"content-type": CONTENT_TYPE, "ce_id": envelope.id, "ce_type": envelope.type}
    if envelope.traceparent:
        headers["traceparent"] = envelope.traceparent
    return headers


def outbox_values(envelopes: Iterable[Envelope], topic: str
                  ) -> tuple[list[Envelope], tuple[Any, ...]]:
    """The envelopes stamped from the current message context, and the values of
    ``outbox_insert``'s seven placeholders, in order."""
    stamped = [stamp(e) for e in envelopes]
    return stamped, (topic, [e.subject for e in stamped], [e.id for e in stamped],
                     [e.type for e in stamped], [e.to_bytes() for e in stamped],
                     [e.traceparent for e in stamped], CONTENT_TYPE)


async def add_many_to_outbox(
    session: SqlExecutor, envelopes: Iterable[Envelope], topic: str
) -> list[Envelope]:
    """Writes the events (stamped from the current message context) in the caller's
    transaction, in the given order; returns them as written."""
    stamped, values = outbox_values(envelopes, topic)
    if stamped:
        await session.execute(_INSERT, dict(zip(_VALUES, values, strict=True)))
    return stamped


async def add_to_outbox(session: SqlExecutor, envelope: Envelope, topic: str) -> Envelope:
    return (await add_many_to_outbox(session, [envelope], topic))[0]
