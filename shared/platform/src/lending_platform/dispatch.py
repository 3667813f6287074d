"""Routes consumed envelopes to a service's handlers by event type, after admitting them.

Admission (``EventAdmission``, run by the consumer before any transaction): an event type
the catalogue knows is accepted only from its owning service's topic and source, and a
credential event only with intake's valid signature. Anything else is *refused*: dead-lettered
at once with the reason in its headers (``dlq.error.type`` = ``RefusedEventError``), logged
and counted, never handled and never retried. Unknown types and types a service does not
handle are skipped: consumers ignore what they do not know. The consumer skips a type
outside ``handled_types`` from its ``ce_type`` header, before decoding, admission or any
transaction (no inbox row: a redelivery is skipped the same way); a record without that
header is decoded and skipped here, its id going to the inbox with the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lending_events import (
    EVENT_TYPES,
    TOPIC_BY_SERVICE,
    IntegrationEvent,
    UnknownEventTypeError,
    parse_event,
)
from lending_events.envelope import Envelope
from lending_platform.signing import SIGNED_TYPES, CredentialVerifier, ForgedEventError

EventHandler = Callable[[Any, IntegrationEvent, Envelope], Awaitable[None]]
log = logging.getLogger("lending.dispatch")
SOURCE_PREFIX = "/lending/"


def source_service(source: str) -> str:
    """The service named by an envelope's source: ``/lending/ledger`` (or plain ``ledger``,
    which underwriting used to write) -> ``ledger``."""
    return source[len(SOURCE_PREFIX):] if source.startswith(SOURCE_PREFIX) else source


class EventAdmission:
    def __init__(self, verifier: CredentialVerifier) -> None:
        self._verifier = verifier

    def refusal(self, topic: str, envelope: Envelope) -> str | None:
        """None to admit the event read from ``topic``; else why it is refused."""
        cls = EVENT_TYPES.get(envelope.type)
        if cls is None:
            return None  # not ours to judge: the dispatcher skips unknown types
        owner = cls.producer
        if topic != TOPIC_BY_SERVICE[owner]:
            return (f"{envelope.type} is published only by {owner} on "
                    f"{TOPIC_BY_SERVICE[owner]}, not on {topic}")
        if source_service(envelope.source) != owner:
            return f"{envelope.type} must come from {owner}, not from {envelope.source!r}"
        if envelope.type in SIGNED_TYPES:
            try:
                self._verifier.verify(envelope)
            except ForgedEventError as exc:
                return str(exc)
        return None


class EventDispatcher:
    def __init__(self, handlers: Mapping[str, EventHandler]) -> None:
        self.handlers = dict(handlers)

    @property
    def handled_types(self) -> frozenset[str]:
        """The event types this service acts on (the consumer's ``handles``)."""
        return frozenset(self.handlers)

    async def __call__(self, session: Any, envelope: Envelope) -> None:
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return
        try:
            event = parse_event(envelope)
        except UnknownEventTypeError:
            log.debug("skipping unknown event type %s", envelope.type)
            return
        await handler(session, event, envelope)
