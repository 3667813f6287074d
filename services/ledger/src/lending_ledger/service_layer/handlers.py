"""Reactions to other services' events, by event type: `handler(session, event, envelope)`.

Each runs inside the consumer's transaction (its inbox claim included), so its effect and
the events it records commit together, once.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_events import Envelope, IntegrationEvent
from lending_events.collections_events import RestructureRequested, WriteOffRequested
from lending_events.money import to_minor_units
from lending_events.servicing import BusinessDayClosed, DelinquencyChanged, PaymentReceived
from lending_ledger.adapters import delinquency
from lending_ledger.adapters.orm import accrual_runs, business_dates
from lending_ledger.domain.errors import LedgerDomainError
from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.domain.payoff import QuotedPayoff
from lending_ledger.domain.restructure import RestructureRequest
from lending_ledger.service_layer.booking import (
    refuse,
    when_loan_approved_keep_terms,
    when_offer_accepted_book_the_loan,
)
from lending_ledger.service_layer.ledger import LoanLedger, UnknownLoanError
from lending_ledger.service_layer.queries import days_past_due
from lending_platform.dispatch import EventHandler


def when_payment_received_apply_it(ledger: LoanLedger) -> EventHandler:
    async def handler(session: AsyncSession, event: IntegrationEvent, envelope: Envelope) -> None:
        assert isinstance(event, PaymentReceived)
        amount = to_minor_units(event.amount, event.currency)
        quote = payoff_quote(event)

        def apply(account: LoanAccount) -> None:
            account.receive_payment(
                payment_id=event.payment_id, amount=amount, value_date=event.value_date,
                received_at=event.received_at.isoformat(), method=event.method, quote=quote,
            )

        try:
            await ledger.execute(session, event.loan_id, apply)
        except LedgerDomainError as exc:
            await refuse(session, event.loan_id, envelope, "payment_not_applicable", str(exc))

    return handler


def payoff_quote(event: PaymentReceived) -> QuotedPayoff | None:
    """The quote a payment was made against, when servicing sent its terms (a payment that
    names a quote without them is an ordinary one)."""
    q = event.payoff_quote
    if event.payoff_quote_id is None or q is None:
        return None
    return QuotedPayoff(quote_id=event.payoff_quote_id,
                        total=to_minor_units(q.total, event.currency),
                        principal=to_minor_units(q.principal, event.currency),
                        valid_until=q.valid_until)


async def when_business_day_closed_schedule_accrual(
    session: AsyncSession, event: IntegrationEvent, envelope: Envelope
) -> None:
    """Short on purpose: the accrual itself runs in batches in the AccrualWorker, each in its
    own transaction, so a day close over a million loans never holds the consumer."""
    assert isinstance(event, BusinessDayClosed)
    values = {"business_date": event.business_date,
              "next_business_date": event.next_business_date}
    await session.execute(
        insert(business_dates).values(calendar_id=event.calendar_id, **values)
        .on_conflict_do_update(index_elements=["calendar_id"], set_=values,
                               where=business_dates.c.business_date < event.business_date)
    )
    await session.execute(insert(accrual_runs).values(
        business_date=event.business_date, status="pending").on_conflict_do_nothing())


async def when_delinquency_changed_mirror_it(
    session: AsyncSession, event: IntegrationEvent, envelope: Envelope
) -> None:
    """Servicing owns delinquency; the ledger keeps where each loan's started, so its loan
    view shows the days past due servicing's does (queries.days_past_due)."""
    assert isinstance(event, DelinquencyChanged)
    await delinquency.record(session, event.loan_id, event.since(), event.bucket.value,
                             event.as_of)


def when_write_off_requested_write_off(ledger: LoanLedger) -> EventHandler:
    async def handler(session: AsyncSession, event: IntegrationEvent, envelope: Envelope) -> None:
        assert isinstance(event, WriteOffRequested)
        since = await delinquency.since_of(session, event.loan_id)

        def write_off(account: LoanAccount) -> None:
            account.write_off(write_off_id=f"wo-{event.request_id}"[:64],
                              request_id=event.request_id, effective_date=event.requested_on,
                              reason=event.reason, days_past_due=days_past_due(
                                  account.status, since, event.requested_on))

        try:
            await ledger.execute(session, event.loan_id, write_off)
        except LedgerDomainError as exc:
            await refuse(session, event.loan_id, envelope, "write_off_not_applicable", str(exc))

    return handler


def when_restructure_requested_restructure(ledger: LoanLedger) -> EventHandler:
    """Books the new terms (LoanRestructured); an impossible request (unknown, closed or
    written-off loan, another currency, an effective date before the last posted
    transaction, parameters loanmath cannot schedule) is refused and recorded for ops,
    never dropped. The same request id again is a no-op."""

    async def handler(session: AsyncSession, event: IntegrationEvent, envelope: Envelope) -> None:
        assert isinstance(event, RestructureRequested)
        try:
            request = restructure_request(event)
            await ledger.execute(session, event.loan_id,
                                 lambda account: account.restructure(request))
        except (LedgerDomainError, UnknownLoanError, ValueError) as exc:
            await refuse(session, event.loan_id, envelope, "restructure_not_applicable",
                         f"{event.kind} request {event.request_id}: {exc}")

    return handler


def restructure_request(event: RestructureRequested) -> RestructureRequest:
    cur = event.currency
    return RestructureRequest(
        restructure_id=f"rst-{event.request_id}"[:64], request_id=event.request_id,
        kind=event.kind.value, effective_date=event.effective_date, currency=cur,
        new_annual_rate=event.new_annual_rate,
        new_installment_count=event.new_installment_count,
        new_frequency=event.new_frequency.value if event.new_frequency else None,
        first_due_date=event.first_due_date, capitalize_arrears=event.capitalize_arrears,
        waive_amount=to_minor_units(event.waive_amount, cur),
        settlement_amount=None if event.settlement_amount is None
        else to_minor_units(event.settlement_amount, cur),
    )


def handlers(ledger: LoanLedger) -> dict[str, EventHandler]:
    return {
        "LoanApproved": when_loan_approved_keep_terms(ledger),
        "OfferAccepted": when_offer_accepted_book_the_loan(ledger),
        "PaymentReceived": when_payment_received_apply_it(ledger),
        "BusinessDayClosed": when_business_day_closed_schedule_accrual,
        "WriteOffRequested": when_write_off_requested_write_off(ledger),
        "RestructureRequested": when_restructure_requested_restructure(ledger),
        "DelinquencyChanged": when_delinquency_changed_mirror_it,
    }
