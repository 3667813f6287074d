"""Reactions to other services' events, by event type: `handler(session, event, envelope)`."""

from lending_platform.dispatch import EventHandler

HANDLERS: dict[str, EventHandler] = {}
