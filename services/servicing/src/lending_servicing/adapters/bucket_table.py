"""The delinquency buckets as configured (table ``delinquency_buckets``): the close's
``width_bucket`` and every read use the same rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_servicing.adapters.orm import delinquency_buckets
from lending_servicing.domain.delinquency import Bucket, BucketRange


async def load_buckets(session: AsyncSession) -> tuple[BucketRange, ...]:
    rows = await session.execute(
        select(delinquency_buckets.c.code, delinquency_buckets.c.min_dpd,
               delinquency_buckets.c.max_dpd).order_by(delinquency_buckets.c.min_dpd))
    return tuple(BucketRange(Bucket(code), low, high) for code, low, high in rows)
