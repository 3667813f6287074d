"""Reactions to the ledger's events, by event type: `handler(session, event, envelope)`.

They keep servicing's own projection of every loan: its schedule, what the ledger has
paid toward it (``paid_to_schedule``, as the ledger reports it), its balances as the ledger
last reported them (``outstanding`` on its events) and the activity a statement lists.
Delinquency follows from what is paid (``delinquency.restate``), which publishes it when a
change moves the loan's delinquency start; the day close publishes what time does.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lending_events import Breakdown, ContractTerms, IntegrationEvent, to_minor_units
from lending_events.envelope import Envelope
from lending_events.ledger import (
    Disbursed,
    DisbursementFailed,
    FeeCharged,
    InterestAccrued,
    LoanBooked,
    LoanClosed,
    LoanRestructured,
    LoanWrittenOff,
    PaymentApplied,
    PaymentReversed,
)
from lending_events.money import minor_digits
from lending_platform.dispatch import EventHandler
from lending_servicing.adapters import projection
from lending_servicing.adapters.calendar_repository import load_calendar
from lending_servicing.domain.schedule import (
    ArrearsRule,
    ScheduledInstallment,
    TrackedInstallment,
    track,
)
from lending_servicing.service_layer import delinquency
from lending_servicing.service_layer.context import ServicingPolicy
from lending_servicing.service_layer.locks import lock_for_projection

log = logging.getLogger("lending.servicing")
REALLOCATION = "reallocation"  # PaymentReversed.reason of a correction pair's first half


class LoanUnknownError(LookupError):
    """A ledger event for a loan whose LoanBooked this service never saw: dead-lettered."""


def schedule_of(terms: ContractTerms) -> list[ScheduledInstallment]:
    cur = terms.currency
    return [ScheduledInstallment(i.number, i.due_date, to_minor_units(i.principal, cur),
                                 to_minor_units(i.interest, cur), to_minor_units(i.fees, cur))
            for i in terms.schedule]


def arrears_rule(terms: ContractTerms, policy: ServicingPolicy) -> ArrearsRule:
    grace = terms.grace
    amount = grace.arrears_tolerance_amount
    if amount is None and policy.default_tolerance_amount is not None:
        amount = policy.default_tolerance_amount.quantize(
            Decimal(1).scaleb(-minor_digits(terms.currency)))
    rate = grace.arrears_tolerance_rate
    if rate is None:
        rate = policy.default_tolerance_rate
    return ArrearsRule(
        grace_days=grace.tolerance_days,
        tolerance_amount=None if amount is None else to_minor_units(amount, terms.currency),
        tolerance_rate=rate,
        reminder_days=policy.reminder_days.get(terms.frequency.value, 0),
    )


async def tracked_schedule(session: AsyncSession, terms: ContractTerms,
                           policy: ServicingPolicy) -> list[TrackedInstallment]:
    calendar = await load_calendar(session, policy.calendar_id, policy.weekend_days)
    return track(schedule_of(terms), calendar, arrears_rule(terms, policy))


def _minor(b: Breakdown, currency: str) -> dict[str, int]:
    return {k: to_minor_units(getattr(b, k), currency)
            for k in ("principal", "interest", "fees", "penalties")}


def _balances(b: Breakdown | None, currency: str) -> dict[str, int]:
    """The loan's outstanding columns from the ledger's balances after an event (none: the
    event came from a ledger before it reported them)."""
    if b is None:
        return {}
    return {f"outstanding_{k}": v for k, v in _minor(b, currency).items()}


def _terms_columns(terms: ContractTerms) -> dict[str, object]:
    principal = to_minor_units(terms.principal, terms.currency)
    return {
        "principal": principal, "start_date": terms.start_date,
        "maturity_date": terms.maturity_date, "frequency": terms.frequency.value,
        "grace_days": terms.grace.tolerance_days,
        "terms": terms.model_dump(mode="json"),
    }


def build_handlers(policy: ServicingPolicy) -> dict[str, EventHandler]:
    async def on_booked(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, LoanBooked)
        await lock_for_projection(session, event.loan_id)
        terms = event.terms
        rows = await tracked_schedule(session, terms, policy)
        columns = _terms_columns(terms)
        columns["schedule_total"] = rows[-1].cumulative_due
        await projection.add_loan(session, {
            "loan_id": event.loan_id, "partner_id": event.partner_id,
            "applicant_id": event.applicant_id, "status": "booked",
            "currency": event.currency, "minor_digits": minor_digits(event.currency),
            "booked_on": event.booked_on, "outstanding_principal": columns["principal"],
            **columns,
        }, rows)

    async def on_disbursed(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, Disbursed)
        await lock_for_projection(session, event.loan_id)
        loan = await _loan(session, event.loan_id)
        if loan.status == "booked":
            if event.terms is not None and event.terms.model_dump(mode="json") != loan.terms:
                # the ledger anchored the schedule to the payout's value date: the loan is
                # serviced on that one (nothing was paid toward the booked one before); the
                # same terms again (paid out on the priced date, the usual case) change nothing
                await _replace_terms(session, event.loan_id, event.terms, policy)
            balances = _balances(event.outstanding, event.currency)
            await projection.update_loan(session, event.loan_id, status="active",
                                         disbursed_on=event.value_date,
                                         paid_to_schedule=loan.paid_to_schedule, **balances)
            # closes while it was booked passed its overdue installments by
            await delinquency.restate(
                session, policy, loan, loan.paid_to_schedule,
                balances.get("outstanding_principal", loan.outstanding_principal))
        await projection.add_activity(session, {
            "loan_id": event.loan_id, "event_id": env.id, "on_date": event.value_date,
            "kind": "disbursement", "reference": event.disbursement_id,
            "amount": to_minor_units(event.amount, event.currency),
            "fees": to_minor_units(event.fees_withheld, event.currency),
            "principal_after": loan.outstanding_principal})

    async def on_applied(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, PaymentApplied)
        await lock_for_projection(session, event.loan_id)
        loan = await _loan(session, event.loan_id)
        cur = event.currency
        known = await projection.get_payment(session, event.payment_id, for_update=True)
        if known is not None and known.status != "received":
            log.info("payment %s was already %s; skipping", event.payment_id, known.status)
            return
        alloc = _minor(event.allocation, cur)
        # Fees the ledger charged outside the schedule (late fees) are paid before the
        # schedule's own fees (for the payoff quote's split of what is owed).
        charged_unpaid = max(loan.fees_charged - loan.fees_charged_paid, 0)
        to_charged = min(alloc["fees"], charged_unpaid)
        if event.paid_to_schedule is not None:  # the ledger says what it counts, as a total
            paid = to_minor_units(event.paid_to_schedule, cur)
            to_schedule = paid - loan.paid_to_schedule
        else:  # a ledger from before it said: what it allocated, less the late fees
            to_schedule = alloc["principal"] + alloc["interest"] + alloc["fees"] - to_charged
            paid = loan.paid_to_schedule + to_schedule
        await projection.upsert_applied_payment(session, {
            "payment_id": event.payment_id, "loan_id": event.loan_id, "currency": cur,
            "amount": to_minor_units(event.amount, cur), "value_date": event.value_date,
            "status": "applied", "to_schedule": to_schedule, "to_charged_fees": to_charged})
        outstanding = _minor(event.outstanding, cur)
        await projection.update_loan(
            session, event.loan_id, paid_to_schedule=paid,
            paid_principal=loan.paid_principal + alloc["principal"],
            paid_interest=loan.paid_interest + alloc["interest"],
            paid_fees=loan.paid_fees + alloc["fees"],
            paid_penalties=loan.paid_penalties + alloc["penalties"],
            fees_charged_paid=loan.fees_charged_paid + to_charged,
            **{f"outstanding_{k}": v for k, v in outstanding.items()})
        await projection.add_activity(session, {
            "loan_id": event.loan_id, "event_id": env.id, "on_date": event.value_date,
            "kind": "payment", "reference": event.payment_id,
            "amount": to_minor_units(event.amount, cur), **alloc,
            "principal_after": outstanding["principal"]})
        if event.payoff_quote_id is not None and event.payoff_outcome is not None:
            await projection.record_quote_outcome(
                session, event.payoff_quote_id, event.payoff_outcome,
                None if event.payoff_waived is None
                else to_minor_units(event.payoff_waived, cur))
        await delinquency.restate(session, policy, loan, paid, outstanding["principal"])

    async def on_reversed(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, PaymentReversed)
        await lock_for_projection(session, event.loan_id)
        loan = await _loan(session, event.loan_id)
        cur = event.currency
        reversed_ = _minor(event.reversed_allocation, cur)
        known = await projection.get_payment(session, event.payment_id, for_update=True)
        if known is not None and known.status == "reversed":
            return
        if known is not None and known.status == "applied":
            to_schedule, to_charged = known.to_schedule, known.to_charged_fees
        else:
            to_charged = 0
            to_schedule = reversed_["principal"] + reversed_["interest"] + reversed_["fees"]
        paid = max(loan.paid_to_schedule - to_schedule, 0)
        if event.paid_to_schedule is not None:  # the ledger's own total after the reversal
            paid = to_minor_units(event.paid_to_schedule, cur)
        if known is not None:
            # a reallocation re-applies the payment at once (the PaymentApplied that follows)
            await projection.set_payment_status(
                session, event.payment_id,
                "received" if event.reason == REALLOCATION else "reversed")
        outstanding = _minor(event.outstanding, cur)
        if loan.status == "closed" and sum(outstanding.values()) > 0:
            # the ledger reopens a loan a reversal leaves owing (a payoff withdrawn)
            await projection.reopen(session, event.loan_id)
        await projection.update_loan(
            session, event.loan_id, paid_to_schedule=paid,
            paid_principal=loan.paid_principal - reversed_["principal"],
            paid_interest=loan.paid_interest - reversed_["interest"],
            paid_fees=loan.paid_fees - reversed_["fees"],
            paid_penalties=loan.paid_penalties - reversed_["penalties"],
            fees_charged_paid=max(loan.fees_charged_paid - to_charged, 0),
            **{f"outstanding_{k}": v for k, v in outstanding.items()})
        await projection.add_activity(session, {
            "loan_id": event.loan_id, "event_id": env.id, "on_date": event.value_date,
            "kind": "reversal", "reference": event.reversal_id,
            "amount": to_minor_units(event.amount, cur), **reversed_,
            "principal_after": outstanding["principal"]})
        await delinquency.restate(session, policy, loan, paid, outstanding["principal"])

    async def on_fee(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, FeeCharged)
        await lock_for_projection(session, event.loan_id)
        loan = await _loan(session, event.loan_id)
        amount = to_minor_units(event.amount, event.currency)
        balances = _balances(event.outstanding, event.currency) or {
            "outstanding_fees": loan.outstanding_fees + amount}
        await projection.update_loan(session, event.loan_id,
                                     fees_charged=loan.fees_charged + amount, **balances)
        principal = balances.get("outstanding_principal", loan.outstanding_principal)
        await projection.add_activity(session, {
            "loan_id": event.loan_id, "event_id": env.id, "on_date": event.charged_on,
            "kind": f"fee:{event.kind.value}", "reference": event.fee_id, "amount": amount,
            "fees": amount, "principal_after": principal})
        if event.paid_to_schedule is not None and loan.status == "active":
            # a late fee is paid before its installment's own fee: what was paid toward
            # the installment can become the late fee's
            paid = to_minor_units(event.paid_to_schedule, event.currency)
            await projection.update_loan(session, event.loan_id, paid_to_schedule=paid)
            await delinquency.restate(session, policy, loan, paid, principal)

    async def on_accrued(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, InterestAccrued)
        await lock_for_projection(session, event.loan_id)
        loan = await _loan(session, event.loan_id)
        cur = event.currency
        # the ledger's balances when it reports them (scheduled fees it recognised on their
        # due date among them); else what this event says changed
        await projection.update_loan(session, event.loan_id, **(
            _balances(event.outstanding, cur) or {
                "outstanding_interest": to_minor_units(event.accrued_unpaid_interest, cur),
                "outstanding_penalties": loan.outstanding_penalties
                + to_minor_units(event.penalty_interest, cur)}))

    async def on_restructured(session: AsyncSession, event: IntegrationEvent,
                              env: Envelope) -> None:
        assert isinstance(event, LoanRestructured)
        await lock_for_projection(session, event.loan_id)
        loan = await _loan(session, event.loan_id)
        terms = event.new_terms
        rows = await tracked_schedule(session, terms, policy)
        columns = _terms_columns(terms)
        columns["schedule_total"] = rows[-1].cumulative_due
        balances = {"outstanding_principal": to_minor_units(terms.principal, terms.currency)}
        if event.outstanding is not None:  # else: the principal, as the new terms say
            after = _minor(event.outstanding, event.currency)
            balances = {f"outstanding_{k}": v for k, v in after.items()}
            # what is not principal right after the cut is carried into the first new
            # installment (docs/ledger.md, Restructures)
            balances.update(carried_interest=after["interest"], carried_fees=after["fees"],
                            carried_penalties=after["penalties"])
        # Late fees charged before are now capitalised or in the new schedule: none is
        # owed outside it any more, or payments would go to them before the schedule.
        await projection.replace_schedule(session, event.loan_id, {
            **columns, **balances, "fees_charged_paid": loan.fees_charged}, rows)
        # the new schedule counts from nothing paid; the old one's delinquency is over
        await delinquency.restate(session, policy, loan, 0, balances["outstanding_principal"])
        await projection.add_activity(session, {
            "loan_id": event.loan_id, "event_id": env.id, "on_date": event.effective_date,
            "kind": "restructure", "reference": event.restructure_id,
            "amount": to_minor_units(event.capitalized, event.currency),
            "principal_after": columns["principal"]})

    async def on_disbursement_failed(session: AsyncSession, event: IntegrationEvent,
                                     env: Envelope) -> None:
        assert isinstance(event, DisbursementFailed)
        if event.retryable:
            return  # the ledger tries again: still booked
        await lock_for_projection(session, event.loan_id)
        loan = await _loan(session, event.loan_id)
        if loan.status == "booked":  # refused for good, nothing paid out: nothing to service
            await _end(session, event.loan_id, "cancelled", env.businessdate)

    async def on_written_off(session: AsyncSession, event: IntegrationEvent,
                             env: Envelope) -> None:
        assert isinstance(event, LoanWrittenOff)
        await _end(session, event.loan_id, "written_off", event.effective_date)
        balances = _balances(event.outstanding, event.currency)
        if balances:  # the receivables left the books
            await projection.update_loan(session, event.loan_id, **balances)
        written = _minor(event.written_off, event.currency)
        await projection.add_activity(session, {
            "loan_id": event.loan_id, "event_id": env.id, "on_date": event.effective_date,
            "kind": "write_off", "reference": event.write_off_id,
            "amount": sum(written.values()), **written, "principal_after": 0})

    async def on_closed(session: AsyncSession, event: IntegrationEvent, env: Envelope) -> None:
        assert isinstance(event, LoanClosed)
        await _end(session, event.loan_id, "closed", event.closed_on)
        await projection.add_activity(session, {
            "loan_id": event.loan_id, "event_id": env.id, "on_date": event.closed_on,
            "kind": f"closed:{event.reason.value}", "reference": event.loan_id, "amount": 0})

    return {
        "LoanBooked": on_booked, "Disbursed": on_disbursed,
        "DisbursementFailed": on_disbursement_failed, "PaymentApplied": on_applied,
        "PaymentReversed": on_reversed, "FeeCharged": on_fee, "InterestAccrued": on_accrued,
        "LoanRestructured": on_restructured, "LoanWrittenOff": on_written_off,
        "LoanClosed": on_closed,
    }


async def _replace_terms(session: AsyncSession, loan_id: str, terms: ContractTerms,
                         policy: ServicingPolicy) -> None:
    rows = await tracked_schedule(session, terms, policy)
    columns = _terms_columns(terms)
    columns["schedule_total"] = rows[-1].cumulative_due
    await projection.replace_schedule(session, loan_id, columns, rows)


async def _loan(session: AsyncSession, loan_id: str) -> Any:
    loan = await projection.get_loan_row(session, loan_id, for_update=True)
    if loan is None:
        raise LoanUnknownError(f"no LoanBooked seen for loan {loan_id}")
    return loan


async def _end(session: AsyncSession, loan_id: str, status: str, on: object) -> None:
    await lock_for_projection(session, loan_id)
    await _loan(session, loan_id)
    await projection.update_loan(session, loan_id, status=status, closed_on=on)
    await projection.void_open_installments(session, loan_id)
