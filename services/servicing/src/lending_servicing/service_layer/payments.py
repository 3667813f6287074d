"""Repayments from partners and payment processors: checked, recorded once per
Idempotency-Key, and announced as PaymentReceived for the ledger to apply."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_events.money import MoneyFormatError, from_minor_units, to_minor_units
from lending_events.servicing import PaymentReceived, PayoffQuoteTerms
from lending_messaging.transient import retry_transient
from lending_platform.unit_of_work import UnitOfWork
from lending_servicing.adapters import projection
from lending_servicing.adapters.orm import payments, payoff_quote_uses
from lending_servicing.domain.errors import (
    CurrencyMismatchError,
    IdempotencyKeyReusedError,
    InvalidPaymentError,
    LoanNotActiveError,
    LoanNotFoundError,
    PayoffQuoteError,
    PayoffQuoteUsedError,
)
from lending_servicing.domain.quote_token import InvalidQuoteIdError, SignedQuote, verify
from lending_servicing.service_layer.context import SOURCE, ServicingContext
from lending_servicing.service_layer.day_close import current_business_date


@dataclass(frozen=True)
class ReceivePayment:
    loan_id: str
    principal_id: str
    idempotency_key: str
    amount: Decimal
    currency: str
    value_date: date
    channel: str
    external_reference: str
    payoff_quote_id: str | None = None

    def fingerprint(self) -> str:
        body = {"loan_id": self.loan_id, "amount": str(self.amount), "currency": self.currency,
                "value_date": self.value_date.isoformat(), "channel": self.channel,
                "external_reference": self.external_reference,
                "payoff_quote_id": self.payoff_quote_id}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class PaymentAccepted:
    status_code: int
    response: dict[str, Any]
    replayed: bool


async def receive_payment(ctx: ServicingContext, cmd: ReceivePayment) -> PaymentAccepted:
    return await retry_transient(lambda: _receive_payment(ctx, cmd),
                                 what=f"payment for {cmd.loan_id}")


async def _receive_payment(ctx: ServicingContext, cmd: ReceivePayment) -> PaymentAccepted:
    if cmd.amount <= 0:
        raise InvalidPaymentError("amount", "must be greater than zero")
    try:
        minor = to_minor_units(cmd.amount, cmd.currency)
    except MoneyFormatError as exc:
        raise InvalidPaymentError("amount", str(exc).split(": ", 1)[-1]) from exc
    fingerprint = cmd.fingerprint()
    business_date = await current_business_date(ctx)
    async with UnitOfWork(ctx.sessions, SOURCE) as uow:
        earlier = await _earlier(uow.session, cmd)
        if earlier is not None:
            return _replay(earlier, fingerprint, cmd.idempotency_key)
        loan = await projection.get_loan_row(uow.session, cmd.loan_id)
        if loan is None or loan.partner_id != cmd.principal_id:
            raise LoanNotFoundError(cmd.loan_id)
        if cmd.payoff_quote_id is not None:  # the likelier reason a loan it paid off is closed
            await _refuse_used(uow.session, cmd.payoff_quote_id)
        if loan.status != "active":
            raise LoanNotActiveError(cmd.loan_id, loan.status)
        if cmd.currency != loan.currency:
            raise CurrencyMismatchError(loan.currency, cmd.currency)
        if cmd.value_date > business_date:
            raise InvalidPaymentError(
                "value_date", f"is after the current business date {business_date}")
        if loan.disbursed_on is not None and cmd.value_date < loan.disbursed_on:
            raise InvalidPaymentError("value_date", "is before the loan was disbursed")
        quote = None
        if cmd.payoff_quote_id is not None:
            quote = _check_quote(ctx, cmd)
        payment_id = f"pay-{uuid.uuid4().hex}"
        now = ctx.clock()
        response = {"payment_id": payment_id, "loan_id": cmd.loan_id, "status": "received",
                    "amount": str(cmd.amount), "currency": cmd.currency,
                    "value_date": cmd.value_date.isoformat(),
                    "location": f"/v1/loans/{cmd.loan_id}",
                    **_against(quote, cmd.payoff_quote_id, minor, cmd.currency)}
        claimed = await uow.session.execute(insert(payments).values(
            payment_id=payment_id, loan_id=cmd.loan_id, principal_id=cmd.principal_id,
            idempotency_key=cmd.idempotency_key, request_sha256=fingerprint,
            response=response, currency=cmd.currency, amount=minor,
            value_date=cmd.value_date, received_at=now, method=cmd.channel,
            external_reference=cmd.external_reference, payoff_quote_id=cmd.payoff_quote_id,
            status="received",
        ).on_conflict_do_nothing().returning(payments.c.payment_id))
        if claimed.first() is None:  # a concurrent request with the same key won
            await uow.session.rollback()
            async with ctx.sessions() as session:
                again = await _earlier(session, cmd)
            assert again is not None
            return _replay(again, fingerprint, cmd.idempotency_key)
        terms = None
        if quote is not None:
            await _use_quote(uow.session, cmd, quote, payment_id, now)
            terms = PayoffQuoteTerms(
                as_of=quote.as_of, valid_until=quote.valid_until,
                principal=from_minor_units(quote.principal, cmd.currency),
                total=from_minor_units(quote.total, cmd.currency))
        await uow.emit(PaymentReceived(
            loan_id=cmd.loan_id, payment_id=payment_id, currency=cmd.currency,
            amount=cmd.amount, received_at=now, value_date=cmd.value_date,
            method=cmd.channel, processor_reference=cmd.external_reference,
            payoff_quote_id=cmd.payoff_quote_id, payoff_quote=terms))
        await uow.commit()
    return PaymentAccepted(202, response, replayed=False)


async def _earlier(session: AsyncSession, cmd: ReceivePayment) -> Any | None:
    return (await session.execute(
        select(payments.c.request_sha256, payments.c.response).where(
            payments.c.principal_id == cmd.principal_id,
            payments.c.idempotency_key == cmd.idempotency_key))).first()


def _replay(earlier: Any, fingerprint: str, key: str) -> PaymentAccepted:
    if earlier.request_sha256 != fingerprint:
        raise IdempotencyKeyReusedError(key)
    return PaymentAccepted(202, dict(earlier.response), replayed=True)


def _check_quote(ctx: ServicingContext, cmd: ReceivePayment) -> SignedQuote:
    assert cmd.payoff_quote_id is not None
    try:
        quote = verify(cmd.payoff_quote_id, cmd.loan_id, ctx.policy.payoff_quote_key)
    except InvalidQuoteIdError:
        raise PayoffQuoteError(
            f"{cmd.payoff_quote_id!r} is not a payoff quote issued for this loan; ask for a "
            "new one (GET /v1/loans/{id}/payoff).") from None
    if cmd.value_date > quote.valid_until:
        raise PayoffQuoteError(
            f"Payoff quote {cmd.payoff_quote_id} was valid until {quote.valid_until}.")
    return quote


def _against(quote: SignedQuote | None, quote_id: str | None, minor: int,
             currency: str) -> dict[str, Any]:
    """What the response says of a payment against a payoff quote: whether it settles the
    loan, or the shortfall that makes it an ordinary payment."""
    if quote is None:
        return {"settles_loan": False, "payoff_quote_id": None, "payoff_quote_total": None,
                "shortfall": None}
    short = max(quote.total - minor, 0)
    return {"settles_loan": short == 0, "payoff_quote_id": quote_id,
            "payoff_quote_total": str(from_minor_units(quote.total, currency)),
            "shortfall": str(from_minor_units(short, currency)) if short else None}


async def _use_quote(session: AsyncSession, cmd: ReceivePayment, quote: SignedQuote,
                     payment_id: str, now: Any) -> None:
    """Records the quote's one use, in the payment's transaction: a concurrent payment with
    the same quote waits on the key and then finds it taken."""
    used = await session.execute(insert(payoff_quote_uses).values(
        quote_id=cmd.payoff_quote_id, loan_id=cmd.loan_id, payment_id=payment_id,
        as_of=quote.as_of, valid_until=quote.valid_until, currency=cmd.currency,
        principal=quote.principal, total=quote.total, used_at=now,
    ).on_conflict_do_nothing().returning(payoff_quote_uses.c.payment_id))
    if used.first() is None:
        await _refuse_used(session, str(cmd.payoff_quote_id))
        raise PayoffQuoteUsedError(str(cmd.payoff_quote_id), "another payment")


async def _refuse_used(session: AsyncSession, quote_id: str) -> None:
    earlier = await session.scalar(select(payoff_quote_uses.c.payment_id).where(
        payoff_quote_uses.c.quote_id == quote_id))
    if earlier is not None:
        raise PayoffQuoteUsedError(quote_id, earlier)
