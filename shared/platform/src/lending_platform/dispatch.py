"""Routes consumed envelopes to a service's handlers by event type.

Unknown types and types a service does not handle are skipped (their id still goes to the
inbox, so they are not redelivered): consumers ignore what they do not know.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from lending_events import IntegrationEvent, UnknownEventTypeError, parse_event
from lending_events.envelope import Envelope

EventHandler = Callable[[Any, IntegrationEvent, Envelope], Awaitable[None]]
log = logging.getLogger("lending.dispatch")


class EventDispatcher:
    def __init__(self, handlers: Mapping[str, EventHandler]) -> None:
        self.handlers = dict(handlers)

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
