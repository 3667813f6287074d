"""Disbursement: booked loans are paid out through the payout provider port, outside any
database transaction (an HTTP call must never hold a transaction open: it would hold the
outbox relay back). The idempotency key is the loan id, so a loan picked twice (two
replicas, a crash after paying and before recording) is still paid once; recording is
idempotent too (a disbursed account ignores a second confirmation).

Before the call, one short transaction fixes the value date (PayoutRequested): the open
business date, checked against the disclosure (the APR on the schedule anchored to that
date must be within the tolerance of the disclosed APR, or the disbursement is refused and
no money moves). The payout is then recorded on that same date, whatever happens during the
call: a day close, a crash and a restart the next business day, another replica."""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_ledger.adapters.orm import approved_terms, loan_accounts
from lending_ledger.adapters.payout import PayoutFailedError, PayoutProvider, PayoutRequest
from lending_ledger.domain.anchoring import AprTolerance
from lending_ledger.domain.loan_account import BOOKED, DISBURSEMENT_FAILED, LoanAccount
from lending_ledger.service_layer.booking import current_business_date
from lending_ledger.service_layer.ledger import LoanLedger
from lending_messaging.tracing import continuing
from lending_messaging.tracing import enabled as tracing_enabled
from lending_messaging.wakeup import Wakeup

log = logging.getLogger("lending.ledger.disbursement")


class DisbursementWorker:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], ledger: LoanLedger,
        payout: PayoutProvider, *, poll_interval: float = 0.2, concurrency: int = 8,
        apr_tolerance: AprTolerance | None = None, wakeup: Wakeup | None = None,
    ) -> None:
        self._sessions, self._ledger, self._payout = sessions, ledger, payout
        self._wakeup = wakeup or Wakeup()
        self._tolerance = apr_tolerance or AprTolerance()
        self._poll, self._limit = poll_interval, asyncio.Semaphore(concurrency)
        self._batch = concurrency * 4
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        self._wakeup.start()  # a booking committed by the consumer wakes us
        try:
            while not self._stopping.is_set():
                self._wakeup.clear()
                if await self.run_once() == 0:
                    await self._wakeup.wait(self._poll, self._stopping)
        finally:
            self._wakeup.stop()
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
            # The payout request, the payout and its Disbursed belong to the decision's trace.
            trace = await self._decision_trace(loan_id)
            with continuing("disburse loan", trace, **{"lending.loan_id": loan_id}):
                await self._disburse(loan_id)

    async def _disburse(self, loan_id: str) -> None:
        account = await self._request_payout(loan_id)
        if account is None or account.status != BOOKED or account.payout_on is None \
                or account.contract is None:
            return  # not ours to pay (any more), or refused before any money moved
        c, booking, value_date = account.contract, account.booking, account.payout_on
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

    async def _decision_trace(self, loan_id: str) -> str | None:
        """The traceparent the approving decision arrived with (None: tracing is off)."""
        if not tracing_enabled():
            return None
        async with self._sessions() as session:
            account = await self._ledger.load(session, loan_id)
            if account is None:
                return None
            trace: str | None = await session.scalar(
                select(approved_terms.c.traceparent).where(
                    approved_terms.c.decision_id == account.booking.get("decision_id")))
            return trace

    async def _request_payout(self, loan_id: str) -> LoanAccount | None:
        """The account once its payout's value date is fixed (or it was refused); None when
        it is not booked (any more)."""
        async with self._sessions() as session, session.begin():
            account = await self._ledger.load(session, loan_id)
            if account is None or account.status != BOOKED:
                return None
            if account.payout_on is not None:
                return account  # requested before (a retry): that date stands
            booked_on = date.fromisoformat(account.booking["booked_on"])
            value_date = max(await current_business_date(session) or booked_on, booked_on)

            def request(a: LoanAccount) -> None:
                a.request_payout(disbursement_id=loan_id, value_date=value_date,
                                 tolerance=self._tolerance)

            account = await self._ledger.execute(session, loan_id, request)
        if account.status == DISBURSEMENT_FAILED:
            log.warning("disbursement of loan %s refused before the payout", loan_id)
        return account

    async def _record(self, loan_id: str, command: object) -> None:
        async with self._sessions() as session, session.begin():
            await self._ledger.execute(session, loan_id, command)  # type: ignore[arg-type]
