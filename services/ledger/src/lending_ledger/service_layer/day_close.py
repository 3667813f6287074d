"""Accrual on BusinessDayClosed, in bounded batches across all active loans.

The consumer only records the closed date (``accrual_runs``); this worker then walks the
active loans in loan-id order, ``batch_size`` at a time, each batch in its own short
transaction: one query loads the batch's snapshots, one its newer events, the accounts
accrue in memory, and one statement per table writes all the batch's events, read models,
outbox rows and ONE summed journal entry per currency (not one per loan). The cursor moves in
the same transaction, so a crash resumes where it stopped, and accrual is idempotent per
loan and date anyway. Memory is bounded by the batch; a batch that meets a concurrent
payment (optimistic conflict) rolls back and is simply run again. It appends its loans in
the consumer's lock order (``ledger.lock_order``), so the two never deadlock; a deadlock or
serialization victim all the same is run again too (``retry_transient``).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_ledger.adapters.event_store import ConcurrencyConflictError
from lending_ledger.adapters.orm import accrual_runs, loan_accounts
from lending_ledger.domain.loan_account import ACTIVE
from lending_ledger.service_layer.ledger import LoanLedger, in_lock_order
from lending_messaging.transient import retry_transient
from lending_messaging.wakeup import Wakeup

log = logging.getLogger("lending.ledger.accrual")
AGGREGATED = frozenset({"InterestAccrued", "FeeCharged"})


class AccrualWorker:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], ledger: LoanLedger, *,
        batch_size: int = 500, poll_interval: float = 0.5, wakeup: Wakeup | None = None,
    ) -> None:
        self._sessions, self._ledger = sessions, ledger
        self._batch, self._poll = batch_size, poll_interval
        self._stopping = asyncio.Event()
        self._wakeup = wakeup or Wakeup()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        self._wakeup.start()  # the consumer recording a closed day wakes us
        try:
            while not self._stopping.is_set():
                self._wakeup.clear()
                try:
                    worked = await self.run_once()
                except ConcurrencyConflictError:
                    continue  # a payment won the race for one loan of the batch: redo it
                if not worked:
                    await self._wakeup.wait(self._poll, self._stopping)
        finally:
            self._wakeup.stop()

    async def run_until_idle(self) -> None:
        while True:
            try:
                if not await self.run_once():
                    return
            except ConcurrencyConflictError:
                continue

    async def run_once(self) -> bool:
        """One batch of the oldest open run; False when there is nothing to do."""
        return await retry_transient(self._run_batch, what="accrual batch")

    async def _run_batch(self) -> bool:
        async with self._sessions() as session, session.begin():
            run = (await session.execute(
                select(accrual_runs.c.business_date, accrual_runs.c.cursor)
                .where(accrual_runs.c.status == "pending")
                .order_by(accrual_runs.c.business_date).limit(1)
                .with_for_update(skip_locked=True)
            )).first()
            if run is None:
                return False
            ids = list((await session.execute(
                select(loan_accounts.c.loan_id)
                .where(loan_accounts.c.status == ACTIVE, loan_accounts.c.loan_id > run.cursor)
                .order_by(loan_accounts.c.loan_id).limit(self._batch)
            )).scalars())
            where = accrual_runs.c.business_date == run.business_date
            if not ids:
                await session.execute(update(accrual_runs).where(where).values(
                    status="done", finished_at=func.now()))
                log.info("accrual for %s finished", run.business_date)
                return True
            # appended in the consumer's order, so the two never wait on each other in a cycle
            accounts = await self._ledger.load_many(session, in_lock_order(ids))
            for account in accounts:
                account.accrue(run.business_date)
            written = await self._ledger.save(session, accounts, aggregate_types=AGGREGATED)
            await session.execute(update(accrual_runs).where(where).values(
                cursor=ids[-1], loans=accrual_runs.c.loans + len(ids),
                events=accrual_runs.c.events + written,
            ))
            return True
