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
from typing import Any

from lending_events.envelope import Envelope
from lending_underwriting.domain.model import BureauReport
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.decisions import bureau_answer, lacks_required_documents

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


def wanted(uw: Underwriting, data: dict[str, Any]) -> tuple[str, str, str] | None:
    """(application id, borrower token, currency) of a raw ApplicationSubmitted that will be
    decided now, or None. Read without validating the event (that costs as much as a
    bureau round trip); the handler validates it, and decides without us if this was wrong."""
    try:
        if lacks_required_documents(uw, str(data["product_code"]),
                                    data.get("missing_documents") or ()):
            return None  # it waits for documents
        return str(data["loan_id"]), str(data["identity_hash"]), str(data["currency"])
    except (KeyError, TypeError):
        return None


def prefetcher(uw: Underwriting) -> Callable[[Sequence[Envelope]], Awaitable[None]]:
    async def prefetch(envelopes: Sequence[Envelope]) -> None:
        found = [wanted(uw, e.data) for e in envelopes
                 if e.type == "ApplicationSubmitted" and isinstance(e.data, dict)]
        # A redelivery or a re-emitted application should not pull the report again (an
        # inquiry is billed and may show on the borrower's file). Asking the database costs
        # a transaction per batch; this process's memory of what it decided catches the
        # usual cases (same key, same partition, same process); after a crash or a
        # rebalance a duplicate may pull once more, and is still decided only once.
        apps = [w for w in found if w is not None and not uw.prefetched.was_decided(w[0])]
        answers = await asyncio.gather(*(bureau_answer(uw, *w) for w in apps))
        for (application_id, _, _), answer in zip(apps, answers, strict=True):
            uw.prefetched.put(application_id, answer)

    return prefetch
