"""Bureau reports fetched before the consumer's transaction opens.

The bureau is the slow step of a decision (an HTTP round trip, retries, up to a deadline).
Done inside the transaction, it would hold a database connection and keep the transaction
open, which also holds back the outbox relay (it publishes only rows older than every open
transaction). The consumer runner calls ``prefetcher(uw)`` with each batch before its
transaction; the decision then takes the answer from here, or asks the bureau itself when
there is none (a retried batch, a DocumentsReceived).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence

from lending_events import parse_event
from lending_events.envelope import Envelope
from lending_events.intake import ApplicationSubmitted
from lending_underwriting.domain.model import BureauReport
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.decisions import (
    application_from,
    fetch_report,
    waits_for_documents,
)

Answer = tuple[BureauReport | None, str | None]


class Prefetched:
    """Answers by application id, each taken once. Bounded: an answer nobody takes (the
    event was a duplicate the inbox skipped) is dropped after ``limit`` newer ones."""

    def __init__(self, limit: int = 10_000) -> None:
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._decided: OrderedDict[str, None] = OrderedDict()
        self._limit = limit

    def decided(self, application_id: str) -> None:
        """The application got its decision here (in a transaction that may yet roll back:
        then the decision, retried, asks the bureau itself)."""
        self._decided[application_id] = None
        while len(self._decided) > self._limit:
            self._decided.popitem(last=False)

    def was_decided(self, application_id: str) -> bool:
        return application_id in self._decided

    def put(self, application_id: str, answer: Answer) -> None:
        self._answers[application_id] = answer
        while len(self._answers) > self._limit:
            self._answers.popitem(last=False)

    def take(self, application_id: str) -> Answer | None:
        return self._answers.pop(application_id, None)

    def __len__(self) -> int:
        return len(self._answers)


def prefetcher(uw: Underwriting) -> Callable[[Sequence[Envelope]], Awaitable[None]]:
    async def prefetch(envelopes: Sequence[Envelope]) -> None:
        apps = []
        for envelope in envelopes:
            if envelope.type != "ApplicationSubmitted":
                continue
            event = parse_event(envelope)
            assert isinstance(event, ApplicationSubmitted)
            app = application_from(event)
            if not waits_for_documents(uw, app):
                apps.append(app)
        # A redelivery or a re-emitted application should not pull the report again (an
        # inquiry is billed and may show on the borrower's file). Asking the database costs
        # a transaction per batch; this process's memory of what it decided catches the
        # usual cases (same key, same partition, same process); after a crash or a
        # rebalance a duplicate may pull once more, and is still decided only once.
        apps = [app for app in apps if not uw.prefetched.was_decided(app.application_id)]
        answers = await asyncio.gather(*(fetch_report(uw, app) for app in apps))
        for app, answer in zip(apps, answers, strict=True):
            uw.prefetched.put(app.application_id, answer)

    return prefetch
