"""The consumer's core, shared by the Kafka runner and the in-memory consumer.

A batch is handled in ONE transaction that also records every event id in the inbox; the
caller commits offsets only after that transaction committed. So a crash anywhere means
redelivery, and redelivery means an inbox hit, never a second effect.

An event whose type the service does not handle (``handles``) is skipped from its
``ce_type`` header: never decoded, never judged, no inbox row, no transaction. Its offset is
still committed only once every record before it is finished (the lanes' OffsetTracker), so
skipping changes nothing a crash could see but the work. A record without the header is
decoded, and the dispatcher skips it as before.

A batch holds the locks of several loans at once, so it takes them in the service's one
global order (``LockOrder``); a deadlock or serialization victim is run again as it was
(``transient.retry_transient``), never split up, never dead-lettered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from lending_events import Envelope
from lending_messaging.context import context_from_envelope, use_context
from lending_messaging.dead_letters import dead_letter
from lending_messaging.ports import (
    Admission,
    BatchHandler,
    ConsumedRecord,
    EventPublisher,
    Handler,
    Inbox,
    LockOrder,
    OutgoingMessage,
    PublishError,
)
from lending_messaging.tracing import current_handling, handling
from lending_messaging.transient import TransientFailureError, retry_transient

log = logging.getLogger("lending_messaging.consumer")


class MalformedEnvelopeError(ValueError):
    """The record's value is not a CloudEvents envelope; retrying cannot help."""


class RefusedEventError(ValueError):
    """The service's admission refused the event (wrong topic or source, a forged
    signature): it is evidence, kept in the dead-letter topic, never handled."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded: keep attempts x waits well under the consumer's max_poll_interval_ms."""

    attempts: int = 3
    initial_wait: float = 0.2
    max_wait: float = 2.0


@dataclass
class ProcessingStats:
    handled: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    fallbacks: int = 0
    refused: int = 0  # dead-lettered by admission (also counted in dead_lettered)
    skipped: int = 0  # not a type the service handles: passed over from the type header
    transient_retries: int = 0  # transactions run again after a deadlock/serialization failure


def is_infrastructure_error(exc: BaseException) -> bool:
    """Lost database or broker: not the message's fault, so never dead-letter it; the
    runner stops without committing offsets and the message is redelivered later. A
    transaction that lost every retry to deadlocks is no message's fault either."""
    if isinstance(exc, OSError | TimeoutError | PublishError | InterfaceError
                  | TransientFailureError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


TYPE_HEADER = "ce_type"  # written by the outbox relay beside every event (outbox.wire_headers)


def type_header(record: ConsumedRecord) -> str | None:
    """The event type the record's headers state, or None when they state none."""
    for name, value in record.headers:
        if name == TYPE_HEADER:
            return value.decode("utf-8", "replace")
    return None


Item = tuple[ConsumedRecord, Envelope]
Prepare = Callable[[Sequence[Envelope]], Awaitable[None]]
"""``prepare(envelopes)``: best-effort work before the batch's transaction opens (say, a
slow remote read the handler would otherwise do while holding the transaction). It runs
before the inbox claim, so it may see a duplicate; its failures are logged, never fatal."""


class MessageProcessor:
    def __init__(
        self,
        inbox: Inbox,
        handler: Handler | None,
        dead_letters: EventPublisher,
        retry: RetryPolicy | None = None,
        batch_handler: BatchHandler | None = None,
        prepare: Prepare | None = None,
        lock_order: LockOrder | None = None,
        admission: Admission | None = None,
        handles: Collection[str] | None = None,
    ) -> None:
        """``handles``: the event types the handler acts on (the service's handler
        registry); a record whose type header names another type is skipped undecoded.
        None: every record is decoded and handed on."""
        if (handler is None) == (batch_handler is None):
            raise ValueError("give exactly one of handler and batch_handler")
        self._inbox = inbox
        self._handler = handler
        self._batch_handler = batch_handler
        self._dead_letters = dead_letters
        self._retry = retry or RetryPolicy()
        self.prepare = prepare
        self._lock_order = lock_order
        self._admission = admission
        self._handles = frozenset(handles) if handles is not None else None
        self.stats = ProcessingStats()
        self.on_finished: Callable[[str, str, int], None] | None = None
        """Called with (topic, outcome, count) as records finish: ``handled``,
        ``duplicate``, ``dead_lettered`` or ``skipped`` (metrics)."""

    def _finished(self, records: Sequence[ConsumedRecord], outcome: str) -> None:
        if self.on_finished is not None and records:
            by_topic: dict[str, int] = {}
            for record in records:
                by_topic[record.topic] = by_topic.get(record.topic, 0) + 1
            for topic, n in by_topic.items():
                self.on_finished(topic, outcome, n)

    @property
    def group_id(self) -> str:
        return self._inbox.group_id

    async def process(self, records: Sequence[ConsumedRecord]) -> None:
        """Returns once every record is either committed in the database or dead-lettered."""
        items: list[Item] = []
        rejected: list[OutgoingMessage] = []
        bad: list[ConsumedRecord] = []
        skipped: list[ConsumedRecord] = []
        for record in records:
            if self._handles is not None:
                stated = type_header(record)
                if stated is not None and stated not in self._handles:
                    skipped.append(record)
                    continue
            try:
                envelope = Envelope.from_bytes(record.value)
            except ValidationError as exc:
                error = MalformedEnvelopeError(str(exc))
                rejected.append(dead_letter(record, error, 1, self.group_id))
                bad.append(record)
                continue
            reason = self._admission(record.topic, envelope) if self._admission else None
            if reason is None:
                items.append((record, envelope))
                continue
            log.warning("refused event %s (%s) from %s on %s: %s", envelope.id,
                        envelope.type, envelope.source, record.topic, reason)
            self.stats.refused += 1
            rejected.append(dead_letter(record, RefusedEventError(reason), 1, self.group_id))
            bad.append(record)
        if skipped:
            self.stats.skipped += len(skipped)
            self._finished(skipped, "skipped")
        if rejected:
            await self._dead_letters.publish(rejected)
            self.stats.dead_lettered += len(rejected)
            self._finished(bad, "dead_lettered")
        if not items:
            return
        if self.prepare is not None:
            try:
                await self.prepare([envelope for _, envelope in items])
            except Exception as exc:  # the handler does the work itself, inside
                log.warning("prepare failed for a batch of %d (%r)", len(items), exc)
        try:
            await self._handle_in_one_transaction_retried(items)
        except Exception as exc:
            if is_infrastructure_error(exc):
                raise
            # A message of the batch failed and the whole transaction rolled back: find
            # the culprit by going one message per transaction, so the rest still commit.
            log.warning("batch of %d failed (%r); retrying one by one", len(items), exc)
            self.stats.fallbacks += 1
            for item in items:
                await self._handle_alone(item)

    async def _handle_in_one_transaction_retried(self, items: Sequence[Item]) -> None:
        attempts = 0

        async def once() -> None:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                self.stats.transient_retries += 1
            await self._handle_in_one_transaction(items)

        await retry_transient(once, what=f"consumer batch of {len(items)}")

    async def _handle_in_one_transaction(self, items: Sequence[Item]) -> None:
        async with self._inbox.transaction() as tx:
            new = await tx.claim([envelope.id for _, envelope in items])
            fresh: list[Envelope] = []
            for _, envelope in items:
                if envelope.id in new:
                    new.discard(envelope.id)  # the same id twice in one batch: handle once
                    fresh.append(envelope)
            if self._lock_order is not None:
                # Stable, and a function of the key: each loan's events keep their order.
                order = self._lock_order
                fresh.sort(key=lambda envelope: order(envelope.subject or ""))
            topics = {envelope.id: record.topic for record, envelope in items}
            with handling([(topics[e.id], e) for e in fresh], self.group_id):
                await self._handle_fresh(tx.session, fresh)
        handled, duplicates = len(fresh), len(items) - len(fresh)
        self.stats.handled += handled
        self.stats.duplicates += duplicates
        if self.on_finished is not None:
            fresh_ids = {e.id for e in fresh}
            self._finished([r for r, e in items if e.id in fresh_ids], "handled")
            self._finished([r for r, e in items if e.id not in fresh_ids], "duplicate")

    async def _handle_fresh(self, session: Any, fresh: list[Envelope]) -> None:
        if self._batch_handler is not None:
            if fresh:
                # One event: its span is current for the whole call; several: each event's
                # outbox writes still carry its own span (context_from_envelope).
                with current_handling(fresh[0].id) if len(fresh) == 1 else nullcontext():
                    await self._batch_handler(session, fresh)
        elif self._handler is not None:
            for envelope in fresh:
                with current_handling(envelope.id), use_context(context_from_envelope(envelope)):
                    await self._handler(session, envelope)

    async def _handle_alone(self, item: Item) -> None:
        attempts = 0
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self._retry.attempts),
                wait=wait_exponential(
                    multiplier=self._retry.initial_wait, max=self._retry.max_wait
                ),
                reraise=True,
            ):
                with attempt:
                    attempts += 1
                    await self._handle_in_one_transaction_retried([item])
        except Exception as exc:
            if is_infrastructure_error(exc):
                raise
            record, envelope = item
            log.error(
                "event %s (%s) failed %d times, dead-lettered: %r",
                envelope.id, envelope.type, attempts, exc,
            )
            await self._dead_letters.publish([dead_letter(record, exc, attempts, self.group_id)])
            self.stats.dead_lettered += 1
            self._finished([record], "dead_lettered")
