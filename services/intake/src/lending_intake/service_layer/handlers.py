"""Reactions to other services' events, by event type: `handler(session, event, envelope)`.

Each runs in the consumer's transaction (with the inbox claim), so a redelivered event finds
its id in the inbox and changes nothing twice. Events about applications intake does not know
(another environment's, or an application of a test) are ignored.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lending_events import IntegrationEvent
from lending_events.envelope import Envelope
from lending_events.ledger import Disbursed, DisbursementFailed
from lending_events.underwriting import (
    ApplicationDeclined,
    ApplicationReferred,
    LoanApproved,
    ScoreComputed,
)
from lending_intake.adapters import repository
from lending_intake.domain.application import Application, Offer
from lending_intake.domain.disclosure import disclosure_hash
from lending_intake.domain.reasons import describe
from lending_intake.service_layer.context import Clock, PartnerDirectory
from lending_intake.service_layer.notify import queue_status_webhooks
from lending_platform.dispatch import EventHandler

log = logging.getLogger("lending.intake.handlers")


def offer_from(event: LoanApproved) -> Offer:
    """The disclosure shown to the borrower: the full cost and schedule of the terms."""
    terms = event.terms.model_dump(mode="json")
    offer_id = f"offer-{uuid.uuid4().hex[:16]}"
    disclosure = {
        "offer_id": offer_id,
        "expires_at": event.offer_expires_at.isoformat(),
        **{k: terms[k] for k in (
            "currency", "annual_rate", "apr", "apr_method", "total_interest", "total_fees",
            "total_cost", "total_repayable", "term", "frequency", "fees", "schedule",
            "interest_method", "amortization", "day_count", "first_due_date", "maturity_date",
        )},
        "amount": terms["principal"],
    }
    return Offer(offer_id, event.decision_id, event.offer_expires_at, disclosure,
                 disclosure_hash(disclosure))


def build_handlers(partners: PartnerDirectory, clock: Clock) -> dict[str, EventHandler]:
    async def with_application(session: AsyncSession, loan_id: str) -> Application | None:
        found = await repository.get_application(session, loan_id, for_update=True)
        if found is None:
            log.info("event for unknown application %s ignored", loan_id)
            return None
        return found[0]

    async def save(session: AsyncSession, app: Application) -> None:
        await repository.save_application(session, app)
        await queue_status_webhooks(partners, session, app)

    async def on_score(session: Any, event: IntegrationEvent, _e: Envelope) -> None:
        assert isinstance(event, ScoreComputed)
        if app := await with_application(session, event.loan_id):
            app.start_review(clock())
            await save(session, app)

    async def on_referred(session: Any, event: IntegrationEvent, _e: Envelope) -> None:
        assert isinstance(event, ApplicationReferred)
        if app := await with_application(session, event.loan_id):
            now = clock()
            app.decision = {"outcome": "referred", "decision_id": event.referral_id,
                            "decided_at": now.isoformat(),
                            "reasons": [describe(c) for c in event.reason_codes]}
            app.refer(tuple(event.reason_codes), now)
            await save(session, app)

    async def on_approved(session: Any, event: IntegrationEvent, _e: Envelope) -> None:
        assert isinstance(event, LoanApproved)
        if app := await with_application(session, event.loan_id):
            now = clock()
            decision = {"outcome": "approved", "decision_id": event.decision_id,
                        "decided_at": now.isoformat(),
                        "reasons": [describe(c) for c in event.reason_codes]}
            app.approve(offer_from(event), decision, now)
            await save(session, app)

    async def on_declined(session: Any, event: IntegrationEvent, _e: Envelope) -> None:
        assert isinstance(event, ApplicationDeclined)
        if app := await with_application(session, event.loan_id):
            now = clock()
            app.decline({"outcome": "declined", "decision_id": event.decision_id,
                         "decided_at": now.isoformat(),
                         "reasons": [describe(c) for c in event.reason_codes],
                         "reapply_after": event.reapply_after.isoformat()
                         if event.reapply_after else None}, now)
            await save(session, app)

    async def on_disbursed(session: Any, event: IntegrationEvent, _e: Envelope) -> None:
        assert isinstance(event, Disbursed)
        if app := await with_application(session, event.loan_id):
            app.mark_disbursed(clock())
            await save(session, app)

    async def on_disbursement_failed(session: Any, event: IntegrationEvent, _e: Envelope) -> None:
        assert isinstance(event, DisbursementFailed)
        if event.retryable:
            return  # the ledger tries again
        if app := await with_application(session, event.loan_id):
            app.fail_disbursement(event.failure_code, clock())
            await save(session, app)

    return {
        "ScoreComputed": on_score,
        "ApplicationReferred": on_referred,
        "LoanApproved": on_approved,
        "ApplicationDeclined": on_declined,
        "Disbursed": on_disbursed,
        "DisbursementFailed": on_disbursement_failed,
    }
