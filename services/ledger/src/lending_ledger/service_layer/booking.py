"""Booking: LoanApproved terms meet OfferAccepted, in whichever order they arrive.

The two come on different topics, so neither order is guaranteed. LoanApproved is kept in
``approved_terms`` (by decision id); an OfferAccepted whose terms have not arrived is parked
in ``parked_acceptances`` and booked when they do. An acceptance is refused, and the refusal
recorded in ``refusals`` (``GET /v1/ops/refusals``) and logged, when the offer had expired
when accepted, or when its decision belongs to another loan. Nothing is published for a
refusal: no contract event exists for it, and intake owns the offer's lifecycle.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_events import Envelope, IntegrationEvent
from lending_events.intake import OfferAccepted
from lending_events.underwriting import LoanApproved
from lending_ledger.adapters.orm import (
    approved_terms,
    business_dates,
    parked_acceptances,
    refusals,
)
from lending_ledger.domain.errors import InvalidContractError
from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.service_layer.ledger import LoanLedger
from lending_messaging.context import current_context
from lending_messaging.tracing import continuing
from lending_platform.dispatch import EventHandler

log = logging.getLogger("lending.ledger.booking")
OFFER_EXPIRED, DECISION_MISMATCH, TERMS_INVALID = (
    "offer_expired", "decision_for_another_loan", "terms_not_serviceable")


async def current_business_date(session: AsyncSession) -> date | None:
    """The open business date: the day after servicing's last BusinessDayClosed."""
    return await session.scalar(select(func.max(business_dates.c.next_business_date)))


async def last_closed_business_date(session: AsyncSession) -> date | None:
    """Servicing's last closed business date: what its loan views are as of."""
    return await session.scalar(select(func.max(business_dates.c.business_date)))


def before_first_close(at: datetime) -> date:
    """The business date while no day was ever closed: the UTC date of ``at``, servicing's
    own rule (while SERVICING_INITIAL_BUSINESS_DATE is unset) and every other service's."""
    return at.astimezone(UTC).date()


async def refuse(
    session: AsyncSession, loan_id: str, envelope: Envelope, reason: str, detail: str
) -> None:
    log.warning("refused %s for loan %s: %s (%s)", envelope.type, loan_id, reason, detail)
    await session.execute(insert(refusals).values(
        loan_id=loan_id, event_id=envelope.id, event_type=envelope.type, reason=reason,
        detail=detail,
    ))


def handling_context() -> str | None:
    """The traceparent of the event being handled (its consumer span, with tracing on)."""
    ctx = current_context()
    return ctx.traceparent if ctx is not None else None


def when_loan_approved_keep_terms(ledger: LoanLedger) -> EventHandler:
    async def handler(session: AsyncSession, event: IntegrationEvent, envelope: Envelope) -> None:
        assert isinstance(event, LoanApproved)
        await session.execute(insert(approved_terms).values(
            decision_id=event.decision_id, loan_id=event.loan_id,
            applicant_id=event.applicant_id, partner_id=event.partner_id,
            offer_expires_at=event.offer_expires_at, terms=event.terms.model_dump(mode="json"),
            traceparent=handling_context(),
        ).on_conflict_do_nothing())
        parked = (await session.execute(
            delete(parked_acceptances)
            .where(parked_acceptances.c.decision_id == event.decision_id)
            .returning(parked_acceptances.c.event)
        )).scalar_one_or_none()
        if parked is not None:
            accepted = OfferAccepted.model_validate(parked)
            await _book(ledger, session, accepted, envelope)

    return handler


def when_offer_accepted_book_the_loan(ledger: LoanLedger) -> EventHandler:
    async def handler(session: AsyncSession, event: IntegrationEvent, envelope: Envelope) -> None:
        assert isinstance(event, OfferAccepted)
        known = await session.scalar(
            select(approved_terms.c.decision_id)
            .where(approved_terms.c.decision_id == event.decision_id)
        )
        if known is None:
            log.info("parking OfferAccepted for loan %s until decision %s arrives",
                     event.loan_id, event.decision_id)
            await session.execute(insert(parked_acceptances).values(
                decision_id=event.decision_id, loan_id=event.loan_id, offer_id=event.offer_id,
                event=event.model_dump(mode="json"),
            ).on_conflict_do_nothing())
            return
        await _book(ledger, session, event, envelope)

    return handler


async def _book(
    ledger: LoanLedger, session: AsyncSession, accepted: OfferAccepted, envelope: Envelope
) -> None:
    row = (await session.execute(
        select(approved_terms).where(approved_terms.c.decision_id == accepted.decision_id)
    )).one()
    if row.loan_id != accepted.loan_id:
        await refuse(session, accepted.loan_id, envelope, DECISION_MISMATCH,
                     f"decision {accepted.decision_id} approved loan {row.loan_id}")
        return
    if accepted.accepted_at > row.offer_expires_at:
        await refuse(session, accepted.loan_id, envelope, OFFER_EXPIRED,
                     f"accepted {accepted.accepted_at.isoformat()} after the offer expired "
                     f"{row.offer_expires_at.isoformat()}")
        return
    # before the first close: the acceptance's date (deterministic, unlike the clock now)
    booked_on = await current_business_date(session) or before_first_close(accepted.accepted_at)
    terms: dict[str, Any] = row.terms

    def book(account: LoanAccount) -> None:
        account.book(
            terms=terms, decision_id=accepted.decision_id, offer_id=accepted.offer_id,
            applicant_id=row.applicant_id, partner_id=row.partner_id, booked_on=booked_on,
            disbursement_method=accepted.disbursement_account.method,
            disbursement_account=accepted.disbursement_account.account_ref,
        )

    try:
        # In the decision's trace (the acceptance's is linked): see migration 0005.
        with continuing("book loan", row.traceparent, **{"lending.loan_id": accepted.loan_id}):
            await ledger.execute(session, accepted.loan_id, book, create=True)
    except InvalidContractError as exc:
        await refuse(session, accepted.loan_id, envelope, TERMS_INVALID, str(exc))
