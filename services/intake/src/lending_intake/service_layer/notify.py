"""Status changes become webhook deliveries in the same transaction as the change."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lending_intake.adapters import repository
from lending_intake.adapters.repository import PartnerProfile
from lending_intake.domain.application import Application
from lending_intake.service_layer.context import PartnerDirectory

EVENT_TYPE = "application.status_changed"


def status_webhook_rows(partner: PartnerProfile | None,
                        app: Application) -> list[dict[str, Any]]:
    """The ``webhook_deliveries`` rows for the changes ``app`` recorded (which it forgets)."""
    changes, app.changes = app.changes, []
    if partner is None or not partner.webhook_url:
        return []
    rows = []
    for change in changes:
        delivery_id = f"whd_{uuid.uuid4().hex}"
        payload: dict[str, Any] = {
            "id": delivery_id,
            "type": EVENT_TYPE,
            "created_at": change.at.isoformat(),
            "data": {
                "application_id": app.id,
                "status": change.status.value,
                "previous_status": change.previous.value if change.previous else None,
                "reasons": list(change.reasons),
                "links": {"application": f"/v1/applications/{app.id}"},
            },
        }
        rows.append({
            "id": delivery_id, "partner_id": app.partner_id, "application_id": app.id,
            "event_type": EVENT_TYPE, "url": partner.webhook_url,
            "body": json.dumps(payload, separators=(",", ":")), "state": "pending",
            "next_attempt_at": change.at, "created_at": change.at,
        })
    return rows


async def queue_status_webhooks(
    partners: PartnerDirectory, session: AsyncSession, app: Application,
) -> None:
    if not app.changes:
        return
    partner = await partners.get(session, app.partner_id)
    for row in status_webhook_rows(partner, app):
        await repository.add_webhook_delivery(session, row)
