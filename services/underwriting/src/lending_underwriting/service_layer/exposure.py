"""The exposure view, kept current from the ledger's and servicing's events.

Our own approvals open a position (status ``offered``, written with the LoanApproved, so it
exists before any ledger event about that loan); the ledger books, pays down, restructures,
writes off and closes it; servicing reports days past due. A servicing event that overtakes
the LoanBooked is parked and applied, in arrival order, when the booking arrives. Events
about loans we never offered (another environment's) are ignored.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal
from typing import Any

from lending_events import IntegrationEvent, parse_event
from lending_events.envelope import Envelope
from lending_events.intake import ApplicationWithdrawn
from lending_events.ledger import (
    DisbursementFailed,
    LoanBooked,
    LoanClosed,
    LoanRestructured,
    LoanWrittenOff,
    PaymentApplied,
    PaymentReversed,
)
from lending_events.servicing import DelinquencyChanged, LoanMatured, PaymentMissed
from lending_underwriting.domain.exposure import (
    ACTIVE,
    CLOSED,
    OFFERED,
    WITHDRAWN,
    WRITTEN_OFF,
)
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.ports import LoanPosition

log = logging.getLogger("lending.underwriting.exposure")
ZERO = Decimal(0)


def moved(event: IntegrationEvent, p: LoanPosition) -> LoanPosition | None:
    """The position after ``event``, or None when the event does not move it."""
    if isinstance(event, LoanBooked):
        return replace(p, status=ACTIVE, principal=event.terms.principal,
                       outstanding_principal=event.terms.principal, offer_expires_at=None)
    if isinstance(event, ApplicationWithdrawn):
        return replace(p, status=WITHDRAWN) if p.status == OFFERED else None
    if p.status != ACTIVE:
        return None  # nothing moves a closed, written-off or never-booked loan back
    if isinstance(event, DisbursementFailed):
        # refused for good before any money moved (e.g. the APR no longer matches the
        # disclosure): nothing is owed; a retryable failure is tried again by the ledger
        return None if event.retryable else replace(p, status=WITHDRAWN,
                                                    outstanding_principal=ZERO)
    if isinstance(event, PaymentApplied | PaymentReversed):
        return replace(p, outstanding_principal=event.outstanding.principal)
    if isinstance(event, LoanRestructured):
        return replace(p, outstanding_principal=event.new_terms.principal)
    if isinstance(event, DelinquencyChanged):
        return replace(p, days_past_due=event.days_past_due,
                       outstanding_principal=event.outstanding_principal)
    if isinstance(event, PaymentMissed):
        return replace(p, days_past_due=max(p.days_past_due, event.days_past_due))
    if isinstance(event, LoanMatured):
        return replace(p, outstanding_principal=event.outstanding.principal)
    if isinstance(event, LoanWrittenOff):
        return replace(p, status=WRITTEN_OFF, outstanding_principal=ZERO,
                       days_past_due=event.days_past_due)
    if isinstance(event, LoanClosed):
        status = WRITTEN_OFF if event.reason.value == "written_off" else CLOSED
        return replace(p, status=status, outstanding_principal=ZERO, days_past_due=0)
    return None


def before_booking(event: IntegrationEvent, p: LoanPosition) -> bool:
    """An event about a booked loan while we still see an offer: it overtook the LoanBooked
    (servicing's topic and the ledger's have no order between them)."""
    return p.status == OFFERED and not isinstance(event, LoanBooked | ApplicationWithdrawn)


def exposure_handler(uw: Underwriting) -> Any:
    async def on_loan_event(session: Any, event: IntegrationEvent, envelope: Envelope) -> None:
        store = uw.store_for(session)
        loan_id = getattr(event, "loan_id", None)
        if loan_id is None:
            return
        position = await store.position(loan_id)  # locked: one event of a loan at a time
        if position is None:
            log.debug("%s for unknown loan %s ignored", type(event).__name__, loan_id)
            return
        if before_booking(event, position):
            await store.park_loan_event(loan_id, envelope.to_bytes())
            return
        after = moved(event, position)
        if after is not None and isinstance(event, LoanBooked):
            for parked in await store.unpark_loan_events(loan_id):
                after = moved(parse_event(Envelope.from_bytes(parked)), after) or after
        if after is not None and after != position:
            await store.save_position(after)

    return on_loan_event


EXPOSURE_EVENTS = (
    "LoanBooked", "DisbursementFailed", "PaymentApplied", "PaymentReversed",
    "LoanRestructured", "LoanWrittenOff", "LoanClosed", "DelinquencyChanged", "PaymentMissed",
    "LoanMatured",
)
