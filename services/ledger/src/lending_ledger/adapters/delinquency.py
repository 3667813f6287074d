"""The ledger's copy of servicing's delinquency: one row per loan (orm.loan_delinquency)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_ledger.adapters.orm import loan_delinquency


async def record(session: AsyncSession, loan_id: str, since: date | None, bucket: str,
                 as_of: date) -> None:
    """Keeps the latest: one loan's events arrive in order, but a replay of an older one
    (as of an earlier day) must not undo a newer."""
    values = {"delinquent_since": since, "bucket": bucket, "as_of": as_of}
    stmt = insert(loan_delinquency).values(loan_id=loan_id, **values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[loan_delinquency.c.loan_id], set_=values,
        where=loan_delinquency.c.as_of <= stmt.excluded.as_of))


async def since_of(session: AsyncSession, loan_id: str) -> date | None:
    return await session.scalar(select(loan_delinquency.c.delinquent_since).where(
        loan_delinquency.c.loan_id == loan_id))

