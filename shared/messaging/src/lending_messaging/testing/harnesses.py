"""What a contract suite needs from a backend; each subclass of a contract supplies one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any

from lending_events import Envelope
from lending_messaging.ports import ConsumedRecord, EventPublisher, Handler, Inbox
from lending_messaging.processing import ProcessingStats

StopWhen = Callable[[ProcessingStats], Awaitable[bool]]


class PublisherHarness(ABC):
    publisher: EventPublisher

    @abstractmethod
    def new_topic(self) -> str:
        """A fresh topic with three partitions (and its .dlq twin)."""

    @abstractmethod
    async def read(self, topic: str, count: int) -> list[ConsumedRecord]:
        """Reads ``count`` records from every partition of ``topic`` (waits for them)."""


class InboxHarness(ABC):
    @abstractmethod
    def inbox(self, group_id: str) -> Inbox: ...


class ConsumerHarness(ABC):
    topic: str

    @abstractmethod
    async def publish(self, records: list[tuple[bytes, bytes]]) -> None:
        """Publishes raw (key, value) records to ``topic``."""

    @abstractmethod
    async def record_effect(self, session: Any, envelope: Envelope) -> None:
        """The effect a test handler applies in its session (committed with the inbox)."""

    @abstractmethod
    async def effects(self) -> list[str]:
        """Event ids of the committed effects, duplicates included."""

    @abstractmethod
    async def dead_letters(self, count: int) -> list[ConsumedRecord]: ...

    @abstractmethod
    async def consume(self, handler: Handler, stop_when: StopWhen) -> ProcessingStats:
        """Runs a consumer (fast retries) until ``stop_when(stats)`` holds; returns its stats."""
