"""`GET /v1/ops/messaging`: what an operator asks first — is anything stuck?

It answers from a few bounded queries (the outbox's oldest row and a count capped at
``COUNT_CAP``, each service's own backlog queries) and the broker's view of the consumer
group, so polling it costs the same however large the inbox and the book have grown.
``settled`` is true when the service has nothing left to do: its outbox is published, its
consumer group has committed past every record on the topics it reads, and its own
background work (accruals, payouts, deliveries due now) is done. A caller that needs the
whole system quiet (the simulation after a day close, a test) waits until every service
says so twice in a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from lending_messaging.tables import outbox
from lending_platform.auth import require_operator
from lending_platform.credentials import OPERATOR_ROLES, Principal

COUNT_CAP = 100_000
Operator = Annotated[Principal, Depends(require_operator(*OPERATOR_ROLES))]


class MessagingStatusPublic(BaseModel):
    service: str
    outbox_pending: int = Field(description=f"Rows not yet published (counted up to {COUNT_CAP})")
    oldest_pending_at: datetime | None
    consumer_group: str | None
    consumer_lag: dict[str, int] | None = Field(
        description="Per topic read, records the group has not yet handled and committed; "
        "null when the broker did not answer")
    backlog: dict[str, int] = Field(
        description="The service's own pending work, by kind (accrual days, payouts, due "
        "deliveries)")
    settled: bool


def ops_router() -> APIRouter:
    router = APIRouter(prefix="/ops", tags=["operations"])

    @router.get("/messaging", response_model=MessagingStatusPublic)
    async def messaging_status(request: Request, _: Operator) -> MessagingStatusPublic:
        runtime = request.app.state.runtime
        async with runtime.engine.connect() as conn:
            pending = (await conn.execute(select(func.count()).select_from(
                select(outbox.c.position).limit(COUNT_CAP).subquery()))).scalar_one()
            oldest = (await conn.execute(select(outbox.c.created_at)
                                         .order_by(outbox.c.position).limit(1))).scalar()
        async with runtime.sessions() as session:
            backlog = {name: await count(session) for name, count in runtime.backlogs.items()}
        lag: dict[str, int] | None = {}
        group = None
        if runtime.lag_probe is not None:
            group = runtime.lag_probe.group_id
            try:
                lag = await runtime.lag_probe.lag_by_topic()
            except Exception:
                lag = None
        settled = (pending == 0 and lag is not None and not any(lag.values())
                   and not any(backlog.values()))
        return MessagingStatusPublic(
            service=runtime.settings.service_name, outbox_pending=pending,
            oldest_pending_at=oldest, consumer_group=group, consumer_lag=lag,
            backlog=backlog, settled=settled)

    return router
