"""Offers nobody signed in time: the application becomes ``expired``.

Announced as ApplicationWithdrawn (reason ``offer_expired``, by ``system``): the event the
contract has for an application that ends before booking, so underwriting releases the
exposure it reserved. The partner gets the status webhook in the same transaction.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from lending_events.intake import ApplicationWithdrawn
from lending_intake.adapters import repository
from lending_intake.domain.application import Application
from lending_intake.service_layer.context import SOURCE, IntakeContext
from lending_intake.service_layer.notify import queue_status_webhooks
from lending_platform.unit_of_work import UnitOfWork

log = logging.getLogger("lending.intake.expiry")


async def record_expiry(ctx: IntakeContext, uow: UnitOfWork, app: Application,
                        now: datetime) -> None:
    """Stores, announces and notifies an expiry ``app`` has just recorded."""
    await repository.save_application(uow.session, app)
    await uow.emit(ApplicationWithdrawn(loan_id=app.id, reason="offer_expired",
                                        withdrawn_by="system", withdrawn_at=now))
    await queue_status_webhooks(ctx.partners, uow.session, app)


async def expire_due_offers(ctx: IntakeContext, batch_size: int) -> int:
    """Expires up to ``batch_size`` approved applications whose offer is past its expiry, in
    one transaction; returns how many."""
    now = ctx.clock()
    async with UnitOfWork(ctx.sessions, SOURCE) as uow:
        due = await repository.lock_due_offers(uow.session, now, batch_size)
        for app in due:
            app.expire(now)
            await record_expiry(ctx, uow, app, now)
        await uow.commit()
    return len(due)


class OfferExpiryWorker:
    """Sweeps every ``poll_seconds``, and at once again while batches come back full."""

    def __init__(self, ctx: IntakeContext, *, poll_seconds: float, batch_size: int) -> None:
        self._ctx = ctx
        self._poll = poll_seconds
        self._batch = batch_size
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        self._stopping.clear()
        while not self._stopping.is_set():
            expired = await expire_due_offers(self._ctx, self._batch)
            if expired:
                log.info("expired %d unsigned offers", expired)
            if expired < self._batch:
                try:
                    await asyncio.wait_for(self._stopping.wait(), self._poll)
                except TimeoutError:
                    pass
