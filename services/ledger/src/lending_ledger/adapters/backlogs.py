"""The ledger's own pending work, for `/v1/ops/messaging`: each a count over an index."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_ledger.adapters.orm import accrual_runs, loan_accounts
from lending_ledger.domain.loan_account import BOOKED


async def accrual_days_pending(session: AsyncSession) -> int:
    """Closed business days whose accrual has not finished."""
    return int(await session.scalar(select(func.count()).where(
        accrual_runs.c.status == "pending")) or 0)


async def payouts_pending(session: AsyncSession) -> int:
    """Loans booked and not yet paid out (or refused by the payout provider)."""
    return int(await session.scalar(select(func.count()).where(
        loan_accounts.c.status == BOOKED)) or 0)


BACKLOGS = {"accrual_days_pending": accrual_days_pending, "payouts_pending": payouts_pending}
