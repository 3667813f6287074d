"""Disbursement: booked loans are paid out through the payout provider port, outside any
database transaction (an HTTP call must never hold a transaction open: it would hold the
outbox relay back). The idempotency key is the loan id, so a loan picked twice (two
replicas, a crash after paying and before recording) is still paid once; recording is
idempotent too (a disbursed account ignores a second confirmation)."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_ledger.adapters.orm import approved_terms, loan_accounts
from lending_ledger.adapters.payout import PayoutFailedError, PayoutProvider, PayoutRequest
from lending_ledger.domain.loan_account import BOOKED, LoanAccount
from lending_ledger.service_layer.booking import current_business_date
from lending_ledger.service_layer.ledger import LoanLedger
from lending_messaging.tracing import continuing
from lending_messaging.tracing import enabled as tracing_enabled

log = logging.getLogger("lending.ledger.disbursement")


class DisbursementWorker:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], ledger: LoanLedger,
        payout: PayoutProvider, *, poll_interval: float = 0.2, concurrency: int = 8,
    ) -> None:
        self._sessions, self._ledger, self._payout = sessions, ledger, payout
        self._poll, self._limit = poll_interval, asyncio.Semaphore(concurrency)
        self._batch = concurrency * 4
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                if await self.run_once() == 0:
                    try:
                        await asyncio.wait_for(self._stopping.wait(), self._poll)
                    except TimeoutError:
                        pass
        finally:
            await self._payout.close()

    async def run_once(self) -> int:
        """Pays out every loan booked and not yet paid (up to a batch); returns how many."""
        async with self._sessions() as session:
            ids = list((await session.execute(
                select(loan_accounts.c.loan_id).where(loan_accounts.c.status == BOOKED)
                .order_by(loan_accounts.c.updated_at).limit(self._batch)
            )).scalars())
        await asyncio.gather(*(self.disburse(loan_id) for loan_id in ids))
        return len(ids)

    async def disburse(self, loan_id: str) -> None:
        async with self._limit:
            async with self._sessions() as session:
                account = await self._ledger.load(session, loan_id)
                today = await current_business_date(session)
                trace = None if account is None or not tracing_enabled() else await session.scalar(
                    select(approved_terms.c.traceparent).where(
                        approved_terms.c.decision_id == account.booking.get("decision_id")))
            if account is None or account.status != BOOKED or account.contract is None:
                return
            # The payout and its Disbursed event belong to the decision's trace.
            with continuing("disburse loan", trace, **{"lending.loan_id": loan_id}):
                await self._pay(account, loan_id, today)

    async def _pay(self, account: LoanAccount, loan_id: str, today: date | None) -> None:
        assert account.contract is not None
        c, booking = account.contract, account.booking
        value_date = today or date.fromisoformat(booking["booked_on"])
        request = PayoutRequest(
            idempotency_key=loan_id, amount=c.money(c.net_disbursement),
            currency=c.currency, method=booking["disbursement_method"],
            account_ref=booking["disbursement_account"], reference=loan_id,
        )
        try:
            confirmation = await self._payout.pay(request)
        except PayoutFailedError as exc:
            log.warning("payout of loan %s failed: %s", loan_id, exc)
            failure = exc

            def record_failure(a: LoanAccount) -> None:
                a.record_disbursement_failure(
                    disbursement_id=loan_id, failure_code=failure.code,
                    message=failure.message[:500], attempt=failure.attempts,
                    retryable=failure.retryable, on=value_date)

            await self._record(loan_id, record_failure)
            return

        def record(a: LoanAccount) -> None:
            a.record_disbursement(disbursement_id=loan_id, value_date=value_date,
                                  provider_reference=confirmation.provider_reference)

        await self._record(loan_id, record)

    async def _record(self, loan_id: str, command: object) -> None:
        async with self._sessions() as session, session.begin():
            await self._ledger.execute(session, loan_id, command)  # type: ignore[arg-type]
