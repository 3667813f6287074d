"""The one lock between the day close and the loan projection.

The close rewrites installments and loans set-based; a consumer applying a payment rewrites
one loan. Without a common order the two could deadlock on row locks, or the close could
read a loan half-way through a payment. So: the close holds this advisory lock exclusively
for its transaction, every projection write holds it shared. Projection writes never wait
for each other; they wait for a running close, and a close waits for them to commit.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DAY_CLOSE_LOCK = 7_400_004


async def lock_for_close(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": DAY_CLOSE_LOCK})


async def lock_for_projection(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"),
                          {"k": DAY_CLOSE_LOCK})
