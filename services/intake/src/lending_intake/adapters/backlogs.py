"""Intake's own pending work, for `/v1/ops/messaging`: each a count over a partial index.

Only work due now counts: a webhook backing off from a partner that is down, or an offer
that has not expired yet, is waiting rightly, not behind."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_intake.adapters.orm import applications, webhook_deliveries
from lending_intake.domain.application import Status


async def webhooks_due(session: AsyncSession) -> int:
    d = webhook_deliveries.c
    return int(await session.scalar(select(func.count()).where(
        d.state == "pending", d.next_attempt_at <= datetime.now(UTC))) or 0)


async def offers_to_expire(session: AsyncSession) -> int:
    a = applications.c
    return int(await session.scalar(select(func.count()).where(
        a.status == Status.APPROVED.value, a.offer_expires_at <= datetime.now(UTC))) or 0)


BACKLOGS = {"webhooks_due": webhooks_due, "offers_to_expire": offers_to_expire}
