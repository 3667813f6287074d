"""The messaging ports: what the relay publishes through and what the consumer records into.

Each port has a real adapter (Kafka, PostgreSQL) and an in-memory fake; one contract test
suite (``lending_messaging.testing.contracts``) runs against both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from lending_events import Envelope

Headers = tuple[tuple[str, bytes], ...]
Handler = Callable[[Any, Envelope], Awaitable[None]]
"""``handler(session, envelope)``: does its effect in ``session``; may ignore unknown types."""
BatchHandler = Callable[[Any, Sequence[Envelope]], Awaitable[None]]
"""``batch_handler(session, envelopes)``: set-based effects for a whole batch of new events
(duplicates already removed). Wrap per-event outbox writes in ``use_context``."""
LockOrder = Callable[[str], Any]
"""``lock_order(key)``: where the locks of the event keyed ``key`` (its subject, the loan id)
come in the service's one global lock order. A batch holds the locks of several loans
until it commits; it handles its events sorted by this (stably, so one key's events keep
their order), so its handlers take their locks in the order every other locker of several
takes them (servicing: the loan's slice, as the day close does)."""
FaultHook = Callable[[str], None]
"""Called with a crash-point name (e.g. ``"relay.published"``); tests kill the process there."""


class PublishError(Exception):
    """The broker did not acknowledge every message of a batch; nothing may be assumed sent."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = ()


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Headers = ()


class EventPublisher(ABC):
    """Publishes batches; ``publish`` returns only when the broker acknowledged all of them."""

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    @abstractmethod
    async def publish(self, batch: Sequence[OutgoingMessage]) -> None:
        """Raises PublishError if any message of the batch was not acknowledged."""


class InboxTransaction(ABC):
    """One database transaction of a consumer: the handler's session plus the inbox claim."""

    session: Any

    @abstractmethod
    async def claim(self, event_ids: Sequence[str]) -> set[str]:
        """Records the ids as handled (visible only if the transaction commits) and returns
        those not handled before: the ones whose effect must be applied now."""


class Inbox(ABC):
    """The set of event ids a consumer group has handled, written with the effect."""

    group_id: str

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[InboxTransaction]:
        """Commits on clean exit, rolls back (claims included) on an exception."""


Admission = Callable[[str, Envelope], str | None]
"""``admission(topic, envelope)``: None admits the event read from ``topic``; a string
refuses it with that reason (dead-lettered at once, never handled: see processing)."""

