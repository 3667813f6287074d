"""Payment reversals asked for on the ops API: a reversal at or below the configured amount is
made at once; a larger one waits in ``payment_reversals`` until another operator approves it
(maker-checker, domain/reversals.py). Either way the row says who asked and who decided, and
the PaymentReversed event carries both.

Each verb runs in the caller's transaction. Asking again with the same reversal id returns
the first request; a payment has at most one reversal awaiting approval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_ledger.adapters.orm import payment_reversals as table
from lending_ledger.domain.errors import ReversalDecidedError, UnknownPaymentError
from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.domain.reversals import (
    AWAITING_APPROVAL,
    REVERSED,
    ReversalRequest,
    needs_second_operator,
)
from lending_ledger.service_layer.booking import before_first_close, current_business_date
from lending_ledger.service_layer.ledger import LoanLedger, UnknownLoanError


class ReversalNotFoundError(LookupError):
    """No reversal request with this id."""


@dataclass(frozen=True)
class RequestReversal:
    loan_id: str
    payment_id: str
    reason: str
    reversal_id: str
    by: str


@dataclass(frozen=True)
class DecideReversal:
    reversal_id: str
    approve: bool
    by: str
    note: str


async def request_reversal(session: AsyncSession, ledger: LoanLedger,
                           thresholds: Mapping[str, int], cmd: RequestReversal) -> Row[Any]:
    found = await _row(session, cmd.reversal_id)
    if found is not None:
        if (found.loan_id, found.payment_id) != (cmd.loan_id, cmd.payment_id):
            raise ReversalDecidedError(
                f"reversal id {cmd.reversal_id} was used for payment {found.payment_id} of "
                f"loan {found.loan_id}")
        return found
    pending = await session.scalar(select(table.c.reversal_id).where(
        table.c.loan_id == cmd.loan_id, table.c.payment_id == cmd.payment_id,
        table.c.status == AWAITING_APPROVAL))
    if pending is not None:
        _refuse_second_pending(cmd)
    account = await ledger.load(session, cmd.loan_id)
    if account is None or account.contract is None:
        raise UnknownLoanError(f"no loan account {cmd.loan_id}")
    payment = account.payments.get(cmd.payment_id)
    if payment is None or payment.reversed:
        raise UnknownPaymentError(f"loan {cmd.loan_id} has no payment {cmd.payment_id} "
                                  "left to reverse")
    request = ReversalRequest(cmd.reversal_id, cmd.loan_id, cmd.payment_id,
                              account.contract.currency, payment.amount, cmd.reason, cmd.by)
    on = await _today(session)
    # a dry run on this copy (never saved): refuses now what the approver could never do
    _reverse_on(account, request, on, approved_by=None)
    if not needs_second_operator(payment.amount, request.currency, thresholds):
        await _reverse(session, ledger, request, approved_by=None)
        request.status = REVERSED
    added = await session.execute(insert(table).values(
        reversal_id=request.reversal_id, loan_id=request.loan_id,
        payment_id=request.payment_id, currency=request.currency, amount=request.amount,
        reason=request.reason, status=request.status, requested_by=request.requested_by,
        decided_at=func.now() if request.status == REVERSED else None,
    ).on_conflict_do_nothing().returning(table.c.reversal_id))
    row = await _row(session, cmd.reversal_id)
    if added.first() is None and row is None:  # a concurrent request is now pending
        _refuse_second_pending(cmd)
    assert row is not None  # ours, or the same request's concurrent twin
    return row


def _refuse_second_pending(cmd: RequestReversal) -> NoReturn:
    raise ReversalDecidedError(f"payment {cmd.payment_id} of loan {cmd.loan_id} already has "
                               "a reversal awaiting approval")


async def decide_reversal(session: AsyncSession, ledger: LoanLedger,
                          cmd: DecideReversal) -> Row[Any]:
    row = await _row(session, cmd.reversal_id, lock=True)
    if row is None:
        raise ReversalNotFoundError(f"no reversal {cmd.reversal_id}")
    request = ReversalRequest(row.reversal_id, row.loan_id, row.payment_id, row.currency,
                              row.amount, row.reason, row.requested_by, row.status,
                              row.decided_by, row.note)
    if request.decide(approve=cmd.approve, by=cmd.by, note=cmd.note):
        if request.status == REVERSED:
            await _reverse(session, ledger, request, approved_by=cmd.by)
        await session.execute(update(table).where(
            table.c.reversal_id == request.reversal_id).values(
            status=request.status, decided_by=request.decided_by, decided_at=func.now(),
            note=request.note))
    decided = await _row(session, cmd.reversal_id)
    assert decided is not None
    return decided


async def list_reversals(session: AsyncSession, status: str | None,
                         limit: int) -> list[Row[Any]]:
    query = select(table).order_by(table.c.requested_at, table.c.reversal_id).limit(limit)
    if status:
        query = query.where(table.c.status == status)
    return list((await session.execute(query)).all())


async def _reverse(session: AsyncSession, ledger: LoanLedger, request: ReversalRequest, *,
                   approved_by: str | None) -> None:
    on = await _today(session)
    await ledger.execute(session, request.loan_id,
                         lambda account: _reverse_on(account, request, on, approved_by))


def _reverse_on(account: LoanAccount, request: ReversalRequest, on: date,
                approved_by: str | None) -> None:
    account.reverse_payment(payment_id=request.payment_id, reversal_id=request.reversal_id,
                            reason=request.reason, on=on, requested_by=request.requested_by,
                            approved_by=approved_by)


async def _today(session: AsyncSession) -> date:
    return await current_business_date(session) or before_first_close(datetime.now(UTC))


async def _row(session: AsyncSession, reversal_id: str, lock: bool = False) -> Row[Any] | None:
    query = select(table).where(table.c.reversal_id == reversal_id)
    return (await session.execute(query.with_for_update() if lock else query)).first()


__all__ = ["AWAITING_APPROVAL", "DecideReversal", "RequestReversal", "ReversalNotFoundError",
           "decide_reversal", "list_reversals", "request_reversal"]
