"""Collections' own pending work, for `/v1/ops/messaging`: messages due now and not sent.
A message held back by quiet hours is not behind: its ``send_after`` is still ahead."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters.orm import case_actions, outreach


async def messages_due(session: AsyncSession) -> int:
    now = datetime.now(UTC)
    total = 0
    for table in (case_actions, outreach):
        total += int(await session.scalar(select(func.count()).where(
            table.c.delivery_status == "pending", table.c.send_after <= now)) or 0)
    return total


BACKLOGS = {"messages_due": messages_due}
