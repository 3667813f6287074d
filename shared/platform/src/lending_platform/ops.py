"""`GET /v1/ops/messaging`: what an operator asks first — is anything stuck?"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from lending_messaging.tables import inbox, outbox


class MessagingStatusPublic(BaseModel):
    service: str
    outbox_pending: int
    oldest_pending_at: datetime | None
    inbox_handled: int
    last_handled_at: datetime | None


def ops_router() -> APIRouter:
    router = APIRouter(prefix="/ops", tags=["operations"])

    @router.get("/messaging", response_model=MessagingStatusPublic)
    async def messaging_status(request: Request) -> MessagingStatusPublic:
        runtime = request.app.state.runtime
        async with runtime.engine.connect() as conn:
            pending, oldest = (
                await conn.execute(select(func.count(), func.min(outbox.c.created_at)))
            ).one()
            handled, last = (
                await conn.execute(select(func.count(), func.max(inbox.c.handled_at)))
            ).one()
        return MessagingStatusPublic(
            service=runtime.settings.service_name, outbox_pending=pending,
            oldest_pending_at=oldest, inbox_handled=handled, last_handled_at=last,
        )

    return router
