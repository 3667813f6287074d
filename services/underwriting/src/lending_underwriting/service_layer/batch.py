"""The consumer's batch handler: the applications of a batch are decided together, every
other event goes to its handler one by one, in the batch's order.

Deciding a group of applications costs one exposure read and one write, not two round
trips each (``decide_applications``). A group holds applications of distinct borrowers (a
second application of a borrower must see the first one's offer), and it is decided before
any other event of the batch is handled, so nothing handled later in the batch is handled
before an application that came earlier.

A batch may decide in several groups (and a DocumentsReceived may decide a parked
application between them), each locking its borrowers in ascending order; across groups
that order would break (a second group's lower borrower after a first group's higher one)
and two batches sharing two borrowers could deadlock. So every borrower the batch may
decide for is locked first, in one statement, in the one order (``lock_borrowers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lending_events import parse_event
from lending_events.envelope import Envelope
from lending_events.intake import ApplicationSubmitted
from lending_messaging.context import context_from_envelope, use_context
from lending_messaging.ports import BatchHandler
from lending_platform.dispatch import EventDispatcher
from lending_underwriting.service_layer.business_date import stated_business_date
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.decisions import (
    Pending,
    application_from,
    decide_applications,
    waits_for_documents,
)


def build_batch_handler(uw: Underwriting, dispatcher: EventDispatcher) -> BatchHandler:
    async def handle(session: Any, envelopes: Sequence[Envelope]) -> None:
        await uw.store_for(session).lock_borrowers(
            [e.data["identity_hash"] for e in envelopes
             if e.type == "ApplicationSubmitted" and "identity_hash" in e.data],
            [e.subject for e in envelopes if e.type == "DocumentsReceived" and e.subject])
        group: dict[str, Pending] = {}  # by borrower token

        async def decide_group() -> None:
            if group:
                await decide_applications(uw, uw.store_for(session), list(group.values()))
                group.clear()

        for envelope in envelopes:
            pending = decidable_now(uw, envelope)
            if pending is None:
                await decide_group()
                with use_context(context_from_envelope(envelope)):
                    await dispatcher(session, envelope)
                continue
            if pending.app.borrower_token in group:
                await decide_group()
            group[pending.app.borrower_token] = pending
        await decide_group()

    return handle


def decidable_now(uw: Underwriting, envelope: Envelope) -> Pending | None:
    """An ApplicationSubmitted that is decided on arrival (not one that waits for
    documents: its handler parks it)."""
    if envelope.type != "ApplicationSubmitted":
        return None
    event = parse_event(envelope)
    assert isinstance(event, ApplicationSubmitted)
    app = application_from(event)
    if waits_for_documents(uw, app):
        return None
    # priced as of the open business date when its group is decided: after every
    # BusinessDayClosed that came before it in the batch has been recorded
    return Pending(app, None, context_from_envelope(envelope), stated_business_date(envelope))
