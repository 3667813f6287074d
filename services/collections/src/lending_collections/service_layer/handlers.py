"""Reactions to servicing's and the ledger's events: `handler(session, event, envelope)`.

They keep collections' own projection of each loan (balance, DPD, bucket, product, partner,
classification) and open or close its case. The inbox makes each event's effect happen once;
the partial unique index on cases makes "one open case per loan" hold whatever the order.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters import repository as repo
from lending_collections.domain import cases as case_rules
from lending_collections.domain.buckets import bucket_of, is_delinquent
from lending_collections.service_layer import day_close, report
from lending_collections.service_layer.cases import close_open_case, open_case, reclassify
from lending_collections.service_layer.context import SOURCE, CollectionsPolicy
from lending_collections.service_layer.risk import queue_pre_due_outreach, update_risk
from lending_events import IntegrationEvent, from_minor_units, to_minor_units
from lending_events.collections_events import PromiseToPayKept
from lending_events.envelope import Envelope
from lending_events.ledger import (
    Disbursed,
    LoanBooked,
    LoanClosed,
    LoanRestructured,
    LoanWrittenOff,
    PaymentApplied,
    RecoveryApplied,
)
from lending_events.servicing import (
    BusinessDayClosed,
    DelinquencyChanged,
    InstallmentDueSoon,
    PaymentMissed,
)
from lending_events.underwriting import ScoreComputed
from lending_platform.dispatch import EventHandler
from lending_platform.unit_of_work import emit_in

log = logging.getLogger("lending.collections")


async def _loan_or_stub(session: AsyncSession, loan_id: str, currency: str,
                        outstanding: int) -> Row[Any]:
    """The loan, or a stub for one whose LoanBooked this service never saw (it started after
    the booking): delinquency must still open a case; product and partner stay unknown."""
    loan = await repo.get_loan(session, loan_id)
    if loan is None:
        await repo.add_loan(session, {
            "loan_id": loan_id, "partner_id": "unknown", "product_code": "unknown",
            "currency": currency, "principal": outstanding,
            "outstanding_principal": outstanding, "status": "active"})
        loan = await repo.get_loan(session, loan_id)
        assert loan is not None
    return loan


def build_handlers(policy: CollectionsPolicy) -> dict[str, EventHandler]:
    async def on_booked(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, LoanBooked)
        principal = to_minor_units(event.terms.principal, event.currency)
        await repo.add_booked_loan(session, {
            "loan_id": event.loan_id, "partner_id": event.partner_id,
            "product_code": event.terms.product_code, "currency": event.currency,
            "principal": principal, "outstanding_principal": principal, "status": "booked",
            "classification_version": policy.rules.version, "applicant_id": event.applicant_id,
            "terms": event.terms.model_dump(mode="json")})
        before = await repo.exposure_of(session, event.applicant_id, event.currency,
                                        but=event.loan_id)
        await update_risk(session, policy, event.loan_id, event.booked_on, lambda f: replace(
            f, exposure_before=before, exposure_after=before + principal))

    async def on_disbursed(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, Disbursed)
        loan = await repo.get_loan(session, event.loan_id)
        if loan is not None and loan.status == "booked":
            await repo.update_loan(session, event.loan_id, status="active")

    async def on_missed(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, PaymentMissed)
        cur = event.currency
        loan = await _loan_or_stub(session, event.loan_id, cur, 0)
        dpd = max(event.days_past_due, _aged_dpd(loan, event.as_of))
        await reclassify(session, policy, loan, days_past_due=dpd,
                         restructured=loan.restructured, dpd_as_of=event.as_of,
                         overdue=max(loan.overdue, to_minor_units(event.amount_overdue, cur)))
        paid = to_minor_units(event.amount_paid, cur) > 0
        await update_risk(session, policy, loan.loan_id, event.as_of, lambda f: f.missed_payment(
            event.installment_number, event.due_date, paid, dpd), always_raise=True)

    async def on_delinquency(session: AsyncSession, event: IntegrationEvent,
                             env: Envelope) -> None:
        assert isinstance(event, DelinquencyChanged)
        cur = event.currency
        outstanding = to_minor_units(event.outstanding_principal, cur)
        overdue = to_minor_units(event.overdue_amount, cur)
        loan = await _loan_or_stub(session, event.loan_id, cur, outstanding)
        since, as_of = event.since(), event.as_of
        dpd, bucket = event.days_past_due, event.bucket.value
        if since is not None and loan.dpd_as_of is not None and loan.dpd_as_of > as_of:
            # the close of a later day aged the loan already (its BusinessDayClosed came
            # first): the start servicing moved, as of that later day
            as_of = loan.dpd_as_of
            dpd = (as_of - since).days
            bucket = bucket_of(dpd)
        asset_class = await reclassify(
            session, policy, loan, days_past_due=dpd, restructured=loan.restructured,
            dpd_as_of=as_of, bucket=bucket, overdue=overdue, outstanding_principal=outstanding,
            delinquent_since=since)
        await repo.advance_business_date(session, event.as_of)
        await update_risk(session, policy, loan.loan_id, as_of, lambda f: f.dpd(dpd))
        case = await repo.open_case_of(session, loan.loan_id)
        if not is_delinquent(bucket):
            await close_open_case(session, loan.loan_id, cur, resolution=case_rules.CURED,
                                  on=as_of, why="days past due back to 0")
        elif case is None:
            await open_case(session, policy, loan, on=as_of, days_past_due=dpd, bucket=bucket,
                            overdue_minor=overdue, outstanding_minor=outstanding,
                            asset_class=asset_class)
        else:
            case.move(dpd, bucket)
            await repo.save_case(session, case)

    async def on_payment(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, PaymentApplied)
        cur = event.currency
        loan = await repo.get_loan(session, event.loan_id)
        if loan is None:
            log.warning("PaymentApplied for unknown loan %s skipped", event.loan_id)
            return
        amount = to_minor_units(event.amount, cur)
        await repo.update_loan(
            session, loan.loan_id, total_paid=loan.total_paid + amount,
            outstanding_principal=to_minor_units(event.outstanding.principal, cur))
        await repo.add_paid_to_open_case(session, loan.loan_id, amount)
        if event.installments_settled:
            await update_risk(session, policy, loan.loan_id, event.value_date,
                              lambda f: f.settled(event.installments_settled, event.value_date))
        for promise in await repo.pending_promises_of_loan(session, loan.loan_id):
            kept = promise.apply_payment(amount, event.value_date)
            await repo.save_promise(session, promise)
            if not kept:
                continue
            await repo.record(session, promise.case_id, [case_rules.Recorded(
                "promise_kept", case_rules.SYSTEM, event.value_date,
                f"payment {event.payment_id} reached the promised amount",
                {"promise_id": promise.promise_id, "payment_id": event.payment_id})])
            await emit_in(session, PromiseToPayKept(
                loan_id=loan.loan_id, case_id=promise.case_id, promise_id=promise.promise_id,
                currency=cur, promised_amount=from_minor_units(promise.amount_minor, cur),
                amount_paid=from_minor_units(promise.paid_minor, cur),
                kept_on=event.value_date), SOURCE)

    async def on_restructured(session: AsyncSession, event: IntegrationEvent,
                              env: Envelope) -> None:
        assert isinstance(event, LoanRestructured)
        cur = event.currency
        loan = await repo.get_loan(session, event.loan_id)
        if loan is None:
            return
        await repo.update_loan(session, loan.loan_id,
                               terms=event.new_terms.model_dump(mode="json"))
        await reclassify(session, policy, loan, days_past_due=0, restructured=True,
                         dpd_as_of=event.effective_date, bucket="current", overdue=0,
                         delinquent_since=None,
                         outstanding_principal=to_minor_units(
                             event.outstanding.principal if event.outstanding
                             else event.new_terms.principal, cur))
        await close_open_case(session, loan.loan_id, cur, resolution=case_rules.RESTRUCTURED,
                              on=event.effective_date,
                              why=f"loan restructured ({event.restructure_id})")

    async def on_written_off(session: AsyncSession, event: IntegrationEvent,
                             env: Envelope) -> None:
        assert isinstance(event, LoanWrittenOff)
        loan = await repo.get_loan(session, event.loan_id)
        if loan is None:
            return
        await reclassify(session, policy, loan, days_past_due=event.days_past_due,
                         restructured=loan.restructured, written_off=True, status="written_off",
                         dpd_as_of=event.effective_date, bucket=bucket_of(event.days_past_due))
        await report.record_flow(session, f"write_off:{event.write_off_id}", "write_off",
                                 loan.loan_id, event.effective_date, event.currency,
                                 to_minor_units(event.written_off.principal, event.currency))
        await close_open_case(session, loan.loan_id, event.currency,
                              resolution=case_rules.WRITTEN_OFF, on=event.effective_date,
                              why=f"loan written off ({event.reason})")

    async def on_closed(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, LoanClosed)
        loan = await repo.get_loan(session, event.loan_id)
        if loan is None:
            return
        if loan.status != "written_off":
            await repo.update_loan(session, loan.loan_id, status="closed", days_past_due=0,
                                   bucket="current", overdue=0, outstanding_principal=0,
                                   delinquent_since=None)
        await close_open_case(session, loan.loan_id, event.currency,
                              resolution=case_rules.resolution_for_closure(event.reason.value),
                              on=event.closed_on, why=f"loan closed ({event.reason.value})")

    async def on_day_closed(session: AsyncSession, event: IntegrationEvent,
                            env: Envelope) -> None:
        assert isinstance(event, BusinessDayClosed)
        await day_close.close_business_day(session, policy, event.business_date,
                                           event.next_business_date)

    async def on_due_soon(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, InstallmentDueSoon)
        today = event.due_date - timedelta(days=event.days_until_due)
        await update_risk(session, policy, event.loan_id, today,
                          lambda f: f.due(event.installment_number, event.due_date))
        await queue_pre_due_outreach(
            session, policy, loan_id=event.loan_id, installment=event.installment_number,
            due_date=event.due_date, amount=f"{event.amount_due} {event.currency}",
            business_date=today)

    async def on_scored(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, ScoreComputed)
        today = await repo.current_business_date(session) or policy.clock().date()
        await update_risk(session, policy, event.loan_id, today, lambda f: replace(
            f, origination_score=event.score,
            probability_of_default=str(event.probability_of_default)))

    async def on_recovery(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, RecoveryApplied)
        await report.record_flow(session, f"recovery:{event.payment_id}", "recovery",
                                 event.loan_id, event.received_on, event.currency,
                                 to_minor_units(event.amount, event.currency))

    return {
        "LoanBooked": on_booked, "InstallmentDueSoon": on_due_soon,
        "ScoreComputed": on_scored, "RecoveryApplied": on_recovery,
        "Disbursed": on_disbursed, "PaymentMissed": on_missed,
        "DelinquencyChanged": on_delinquency, "PaymentApplied": on_payment,
        "LoanRestructured": on_restructured, "LoanWrittenOff": on_written_off,
        "LoanClosed": on_closed, "BusinessDayClosed": on_day_closed,
    }


def _aged_dpd(loan: Row[Any], as_of: Any) -> int:
    if loan.delinquent_since is not None:
        return int((as_of - loan.delinquent_since).days)
    if not loan.days_past_due or loan.dpd_as_of is None:
        return 0
    return int(loan.days_past_due + max(0, (as_of - loan.dpd_as_of).days))
