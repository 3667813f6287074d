"""Integration events (the public contract on lending.ledger.v1) derived from the loan
account's own events. Corrections after a backdated payment or a reversal go out as a
PaymentReversed of the old split followed by a PaymentApplied of the new one. A payoff's
PayoffAccepted and PayoffWithdrawn publish nothing of their own: the PaymentApplied after
PayoffAccepted says the payment settled the loan (``payoff_outcome``), LoanClosed follows,
and a PaymentReversed whose outstanding is above zero after LoanClosed reopens the loan."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from lending_events import Breakdown, ContractTerms, IntegrationEvent
from lending_events import ledger as out
from lending_ledger.domain import events as ev
from lending_ledger.domain.loan_account import Change, LoanAccount
from lending_ledger.domain.payoff import SETTLED

REALLOCATION = "reallocation"


def _breakdown(money: Callable[[int], str], parts: list[int]) -> Breakdown:
    return Breakdown(principal=money(parts[0]), interest=money(parts[1]), fees=money(parts[2]),
                     penalties=money(parts[3]), total=money(sum(parts)))


def _by_component(lines: list[list[int]]) -> list[int]:
    parts = [0, 0, 0, 0]
    for _n, component, amount in lines:
        parts[component] += amount
    return parts


def _published_numbers(account: LoanAccount, numbers: list[int]) -> list[int]:
    """Installments are numbered on across restructures inside the ledger; the contract
    numbers the current schedule from 1."""
    base = account.schedule_base
    return [n - base for n in numbers if n > base]


def integration_events(account: LoanAccount, change: Change) -> list[IntegrationEvent]:
    c = account.contract
    assert c is not None
    e, money, loan = change.event, c.money, account.loan_id
    common: dict[str, Any] = {"loan_id": loan, "currency": c.currency}
    outstanding = _breakdown(money, list(change.outstanding))
    paid = None if change.paid_to_schedule is None else money(change.paid_to_schedule)
    if isinstance(e, ev.LoanBooked):
        return [out.LoanBooked(
            **common, decision_id=e.decision_id, offer_id=e.offer_id,
            applicant_id=e.applicant_id, partner_id=e.partner_id,
            booked_on=date.fromisoformat(e.booked_on),
            terms=ContractTerms.model_validate(e.terms),
            net_disbursement=money(c.net_disbursement),
        )]
    if isinstance(e, ev.LoanDisbursed):
        return [out.Disbursed(
            **common, disbursement_id=e.disbursement_id, amount=money(e.amount),
            fees_withheld=money(e.fees_withheld), value_date=date.fromisoformat(e.value_date),
            method=e.method, provider_reference=e.provider_reference,
            terms=None if e.terms is None else ContractTerms.model_validate(e.terms),
            outstanding=outstanding,
        )]
    if isinstance(e, ev.DisbursementFailed):
        return [out.DisbursementFailed(
            **common, disbursement_id=e.disbursement_id, amount=money(e.amount),
            failure_code=e.failure_code, failure_message=e.failure_message or None,
            attempt=e.attempt, retryable=e.retryable,
        )]
    if isinstance(e, ev.PaymentApplied):
        first = out.PaymentApplied(
            **common, payment_id=e.payment_id, amount=money(e.amount),
            value_date=date.fromisoformat(e.value_date),
            allocation=_breakdown(money, _by_component(e.lines)),
            overpayment=money(e.overpayment), outstanding=outstanding,
            installments_settled=_published_numbers(account, e.settled),
            payoff_quote_id=e.payoff_quote_id, payoff_outcome=e.payoff_outcome,
            payoff_waived=money(e.payoff_waived) if e.payoff_outcome == SETTLED else None,
            paid_to_schedule=paid,
        )
        return [first, *_corrections(account, change, e.reallocations, outstanding, paid)]
    if isinstance(e, ev.PaymentReversed):
        reversal = out.PaymentReversed(
            **common, payment_id=e.payment_id, reversal_id=e.reversal_id,
            amount=money(e.amount), value_date=date.fromisoformat(e.value_date),
            reason=e.reason, reversed_allocation=_breakdown(money, _by_component(e.lines)),
            outstanding=outstanding, paid_to_schedule=paid,
            requested_by=e.requested_by, approved_by=e.approved_by,
        )
        return [reversal, *_corrections(account, change, e.reallocations, outstanding, paid)]
    if isinstance(e, ev.InterestAccrued):
        return [out.InterestAccrued(
            **common, business_date=date.fromisoformat(e.business_date),
            accrued_from=date.fromisoformat(e.accrued_from),
            accrued_to=date.fromisoformat(e.accrued_to), interest=money(e.interest),
            penalty_interest=money(sum(p[1] for p in e.penalties)),
            annual_rate=c.annual_rate, day_count=c.day_count,
            accrued_unpaid_interest=money(change.outstanding[1]), outstanding=outstanding,
        )]
    if isinstance(e, ev.FeeCharged):
        return [out.FeeCharged(
            **common, fee_id=e.fee_id, kind=e.kind, amount=money(e.amount),
            charged_on=date.fromisoformat(e.charged_on),
            installment_number=e.installment_number - account.schedule_base,
            outstanding=outstanding, paid_to_schedule=paid,
        )]
    if isinstance(e, ev.LoanRestructured):
        return [out.LoanRestructured(
            **common, restructure_id=e.restructure_id, request_id=e.request_id,
            effective_date=date.fromisoformat(e.effective_date),
            previous_outstanding=_breakdown(money, e.previous),
            capitalized=money(sum(e.capitalized)), waived=money(sum(e.waived)),
            new_terms=ContractTerms.model_validate(e.new_terms), outstanding=outstanding,
        )]
    if isinstance(e, ev.LoanWrittenOff):
        return [out.LoanWrittenOff(
            **common, write_off_id=e.write_off_id, request_id=e.request_id,
            effective_date=date.fromisoformat(e.effective_date),
            written_off=_breakdown(money, e.amounts), days_past_due=e.days_past_due,
            reason=e.reason, outstanding=outstanding,
        )]
    if isinstance(e, ev.RecoveryReceived):
        return [out.RecoveryApplied(
            **common, payment_id=e.payment_id, received_on=date.fromisoformat(e.value_date),
            amount=money(e.amount), recovered_total=money(change.recovered),
        )]
    if isinstance(e, ev.LoanClosed):
        return [out.LoanClosed(
            **common, closed_on=date.fromisoformat(e.closed_on), reason=e.reason,
            total_paid=money(e.total_paid),
        )]
    return []


def _corrections(
    account: LoanAccount, change: Change, reallocations: list[dict[str, Any]],
    outstanding: Breakdown, paid_to_schedule: str | None,
) -> list[IntegrationEvent]:
    """Each pair carries the balances and what is paid toward the schedule after the whole
    change: state totals, so a consumer applying them in order ends where the ledger is."""
    c = account.contract
    assert c is not None
    money = c.money
    events: list[IntegrationEvent] = []
    for n, r in enumerate(reallocations):
        payment = account.payments[r["payment_id"]]
        common: dict[str, Any] = {
            "loan_id": account.loan_id, "currency": c.currency, "payment_id": payment.payment_id,
            "amount": money(payment.amount), "value_date": payment.value_date,
            "outstanding": outstanding, "paid_to_schedule": paid_to_schedule,
        }
        events.append(out.PaymentReversed(
            **common, reversal_id=f"{payment.payment_id}:v{change.version}:{n}",
            reason=REALLOCATION,
            reversed_allocation=_breakdown(money, _by_component(r["previous_lines"])),
        ))
        events.append(out.PaymentApplied(
            **common, allocation=_breakdown(money, _by_component(r["lines"])),
            overpayment=money(r["overpayment"]),
        ))
    return events
