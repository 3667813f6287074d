"""The business date underwriting prices offers as of: servicing's, never the wall clock's.

Servicing's day close owns it (BusinessDayClosed on lending.servicing.v1, which underwriting
already consumes); underwriting keeps the open business date of each calendar
(``business_dates``). Before the first close ever, it is today's UTC date: servicing's rule
too (while SERVICING_INITIAL_BUSINESS_DATE is unset), and the ledger's and collections'.

A close that underwriting has not consumed yet (another topic, no order) prices an offer
from the day before; the ledger re-anchors the schedule to the day the money goes out
anyway, so the lag costs nothing but a re-anchored first due date.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from lending_events import IntegrationEvent
from lending_events.envelope import Envelope
from lending_events.servicing import BusinessDayClosed
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.ports import UnderwritingStore


async def business_today(uw: Underwriting, store: UnderwritingStore,
                         at_least: date | None = None) -> date:
    """The open business date (or ``at_least``, an event's own business date, if later)."""
    known = [d for d in (await store.open_business_date(), at_least) if d is not None]
    return max(known) if known else uw.clock().astimezone(UTC).date()


def stated_business_date(envelope: Envelope) -> date | None:
    """The business date an event's envelope names, if any (intake's name none)."""
    business = getattr(envelope, "businessdate", None)
    return business if isinstance(business, date) else None


def when_business_day_closed_move_the_date(uw: Underwriting) -> Any:
    async def handler(session: Any, event: IntegrationEvent, envelope: Envelope) -> None:
        assert isinstance(event, BusinessDayClosed)
        await uw.store_for(session).business_day_closed(
            event.calendar_id, event.business_date, event.next_business_date)

    return handler
