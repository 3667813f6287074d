"""Reactions to other services' events, by event type: `handler(session, event, envelope)`.

Each runs in the consumer's transaction with the inbox claim (exactly-once effect); the
consumer's batch handler (``batch.py``) decides a batch's applications together and hands
every other event to these.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lending_events import IntegrationEvent
from lending_events.envelope import Envelope
from lending_events.intake import ApplicationSubmitted, ApplicationWithdrawn, DocumentsReceived
from lending_platform.dispatch import EventHandler
from lending_underwriting.service_layer.business_date import (
    business_today,
    stated_business_date,
    when_business_day_closed_move_the_date,
)
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.decisions import (
    application_from,
    decide_application,
    waits_for_documents,
)
from lending_underwriting.service_layer.exposure import EXPOSURE_EVENTS, exposure_handler


def build_handlers(uw: Underwriting) -> dict[str, EventHandler]:
    async def on_submitted(session: Any, event: IntegrationEvent, envelope: Envelope) -> None:
        assert isinstance(event, ApplicationSubmitted)
        store = uw.store_for(session)
        app = application_from(event)
        today = await business_today(uw, store, stated_business_date(envelope))
        if waits_for_documents(uw, app):
            if await store.decision(app.application_id) is None:
                await store.park(app, today)
            return
        await decide_application(uw, store, app, today)

    async def on_documents(session: Any, event: IntegrationEvent, envelope: Envelope) -> None:
        assert isinstance(event, DocumentsReceived)
        store = uw.store_for(session)
        parked = await store.unpark(event.loan_id)
        if parked is None:
            return
        app = replace(parked[0], documents_complete=event.documents_complete,
                      missing_documents=tuple(event.missing_documents))
        if waits_for_documents(uw, app):
            await store.park(app, parked[1])
            return
        await decide_application(uw, store, app, await business_today(
            uw, store, stated_business_date(envelope)))

    loan_event = exposure_handler(uw)

    async def on_withdrawn(session: Any, event: IntegrationEvent, envelope: Envelope) -> None:
        assert isinstance(event, ApplicationWithdrawn)
        await uw.store_for(session).unpark(event.loan_id)
        await loan_event(session, event, envelope)

    handlers: dict[str, EventHandler] = {
        "ApplicationSubmitted": on_submitted,
        "DocumentsReceived": on_documents,
        "ApplicationWithdrawn": on_withdrawn,
        "BusinessDayClosed": when_business_day_closed_move_the_date(uw),
    }
    handlers.update(dict.fromkeys(EXPOSURE_EVENTS, loan_event))
    return handlers
