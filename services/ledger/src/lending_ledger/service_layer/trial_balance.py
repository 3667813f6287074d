"""Keeps the trial balance's running totals folded (adapters/trial_balance.py) and answers it.

The worker folds every ``poll_interval`` seconds, each fold its own short transaction; a
deadlock or serialization victim is run again. Readers never depend on it: they add what is
not folded yet, so a stopped worker makes the read slower, never wrong.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_ledger.adapters import trial_balance as totals
from lending_messaging.transient import retry_transient

log = logging.getLogger("lending.ledger.trial_balance")


@dataclass(frozen=True)
class AccountTotal:
    currency: str
    account: str
    debit: int
    credit: int


class TrialBalanceFolder:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *,
                 poll_interval: float = 1.0) -> None:
        self._sessions, self._poll = sessions, poll_interval
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            await self.fold_once()
            try:
                await asyncio.wait_for(self._stopping.wait(), self._poll)
            except TimeoutError:
                pass

    async def fold_once(self) -> int:
        async def fold() -> int:
            async with self._sessions() as session, session.begin():
                return await totals.fold(session)

        return await retry_transient(fold, what="trial balance fold")


async def account_totals(sessions: async_sessionmaker[AsyncSession]) -> list[AccountTotal]:
    """The trial balance from the running totals, by currency and account."""
    async with sessions() as session:
        return _totals(await totals.maintained(session))


def _totals(rows: Sequence[object]) -> list[AccountTotal]:
    return [AccountTotal(r.currency, r.account, int(r.debit), int(r.credit))  # type: ignore[attr-defined]
            for r in rows]
