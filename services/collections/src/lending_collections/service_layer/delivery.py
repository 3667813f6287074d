"""The message delivery worker: sends the SMS reminders the strategy pass queued, after
commit and outside quiet hours, then announces each one (CollectionActionTaken).

The pass only writes a pending action (same transaction as the inbox), so a redelivered day
close can never send twice. Here each batch is claimed with FOR UPDATE SKIP LOCKED (two
replicas never take the same message) and the action id is the gateway's idempotency key:
if we crash after the gateway answered but before our commit, the re-send is a no-op there.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_collections.adapters.orm import case_actions, cases, outreach
from lending_collections.domain.cases import SYSTEM
from lending_collections.service_layer.context import SOURCE, Clock
from lending_collections.service_layer.ports import (
    Message,
    NotificationRejectedError,
    NotificationUnavailableError,
    Notifier,
)
from lending_events.collections_events import CollectionActionTaken
from lending_messaging.wakeup import Wakeup
from lending_platform.unit_of_work import emit_in

log = logging.getLogger("lending.collections.delivery")


class MessageDelivery:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], notifier: Notifier,
                 clock: Clock, *, interval_s: float = 1.0, batch_size: int = 50,
                 wakeup: Wakeup | None = None) -> None:
        self.sessions, self.notifier, self.clock = sessions, notifier, clock
        self._wakeup = wakeup or Wakeup()
        self.interval_s, self.batch_size = interval_s, batch_size
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        self._stopping.clear()
        self._wakeup.start()  # a day close that queued messages wakes us
        try:
            while not self._stopping.is_set():
                self._wakeup.clear()
                if await self.deliver_due() == 0:
                    await self._wakeup.wait(self.interval_s, self._stopping)
        finally:
            self._wakeup.stop()
            await self.notifier.close()

    def stop(self) -> None:
        self._stopping.set()

    async def deliver_due(self) -> int:
        """Sends one batch of due messages (case reminders, then pre-due outreach); returns
        how many were settled."""
        return await self._deliver_case_messages() + await self._deliver_outreach()

    async def _deliver_outreach(self) -> int:
        """Pre-due SMS to flagged loans: no case, so no CollectionActionTaken; the outreach
        row is their audit (delivered with the gateway's reference, or failed and why)."""
        settled = 0
        async with self.sessions() as session, session.begin():
            due = (await session.execute(
                select(outreach.c.outreach_id, outreach.c.loan_id, outreach.c.body)
                .where(outreach.c.delivery_status == "pending",
                       outreach.c.send_after <= self.clock())
                .order_by(outreach.c.send_after).limit(self.batch_size)
                .with_for_update(skip_locked=True))).all()
            for row in due:
                try:
                    reference = await self.notifier.send(
                        Message(row.outreach_id, "sms", row.loan_id, row.body))
                    status = "delivered"
                except NotificationUnavailableError as exc:
                    log.warning("gateway unavailable, retrying later: %s", exc)
                    break
                except NotificationRejectedError as exc:
                    reference, status = str(exc), "failed"
                await session.execute(update(outreach).where(
                    outreach.c.outreach_id == row.outreach_id).values(
                    delivery_status=status, reference=reference))
                settled += 1
        return settled

    async def _deliver_case_messages(self) -> int:
        settled = 0
        async with self.sessions() as session, session.begin():
            due = (await session.execute(
                select(case_actions.c.action_id, case_actions.c.case_id, case_actions.c.kind,
                       case_actions.c.stage, case_actions.c.business_date,
                       case_actions.c.details, cases.c.loan_id, cases.c.next_action_on)
                .join(cases, cases.c.case_id == case_actions.c.case_id)
                .where(case_actions.c.delivery_status == "pending",
                       case_actions.c.send_after <= self.clock())
                .order_by(case_actions.c.send_after).limit(self.batch_size)
                .with_for_update(of=case_actions, skip_locked=True))).all()
            for row in due:
                channel = "email" if row.kind == "email_reminder" else "sms"
                message = Message(row.action_id, channel, row.loan_id,
                                  str(row.details.get("body", "")))
                try:
                    reference = await self.notifier.send(message)
                except NotificationUnavailableError as exc:
                    log.warning("gateway unavailable, retrying later: %s", exc)
                    break
                except NotificationRejectedError as exc:
                    await self._settle(session, row.action_id, "failed", str(exc))
                    settled += 1
                    continue
                await self._settle(session, row.action_id, "delivered", reference)
                await emit_in(session, CollectionActionTaken(
                    loan_id=row.loan_id, case_id=row.case_id, action_id=row.action_id,
                    stage=row.stage, performed_on=row.business_date, performed_by=SYSTEM,
                    outcome="delivered", next_action_on=row.next_action_on), SOURCE)
                settled += 1
        return settled

    @staticmethod
    async def _settle(session: AsyncSession, action_id: str, status: str, note: str) -> None:
        await session.execute(
            update(case_actions).where(case_actions.c.action_id == action_id).values(
                delivery_status=status,
                details=case_actions.c.details.op("||")({"delivery": note})))
