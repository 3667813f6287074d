"""Applications, idempotency keys, partners and webhook deliveries in intake's database.

Every function runs inside the caller's session (its unit of work's transaction).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_intake.adapters.orm import (
    applications,
    idempotency_keys,
    partners,
    webhook_deliveries,
)
from lending_intake.domain.application import Application, Offer, Status


@dataclass(frozen=True)
class PartnerProfile:
    id: str
    name: str
    channel: str
    webhook_url: str | None


@dataclass(frozen=True)
class StoredResponse:
    request_sha256: str
    status_code: int
    response: dict[str, Any]


async def partner_profile(session: AsyncSession, partner_id: str) -> PartnerProfile | None:
    row = (await session.execute(
        select(partners.c.id, partners.c.name, partners.c.channel, partners.c.webhook_url)
        .where(partners.c.id == partner_id)
    )).first()
    return PartnerProfile(*row) if row else None


async def claim_idempotency_key(
    session: AsyncSession, partner_id: str, key: str, request_sha256: str,
    application_id: str, status_code: int, response: dict[str, Any],
) -> StoredResponse | None:
    """Stores the response under the key; returns None if this request claimed it, else what
    was stored before. A concurrent duplicate blocks on the first one's uncommitted row (the
    unique index) and reads it once that transaction ends: so only one application is made."""
    claimed = (await session.execute(
        pg_insert(idempotency_keys).values(
            partner_id=partner_id, key=key, request_sha256=request_sha256,
            application_id=application_id, status_code=status_code, response=response,
        ).on_conflict_do_nothing().returning(idempotency_keys.c.key)
    )).first()
    if claimed is not None:
        return None
    row = (await session.execute(
        select(idempotency_keys.c.request_sha256, idempotency_keys.c.status_code,
               idempotency_keys.c.response)
        .where(idempotency_keys.c.partner_id == partner_id, idempotency_keys.c.key == key)
    )).one()
    return StoredResponse(*row)


async def add_application(
    session: AsyncSession, app: Application, *, currency: str, amount: Any,
    identity_hash: str, request: dict[str, Any], documents: list[dict[str, Any]],
) -> None:
    await session.execute(insert(applications).values(
        id=app.id, partner_id=app.partner_id, product_code=app.product_code,
        status=app.status.value, currency=currency, requested_amount=amount,
        identity_hash=identity_hash, request=request, documents=documents,
        missing_documents=app.missing_documents, submitted_at=app.submitted_at,
        updated_at=app.updated_at,
    ))


def _offer_from(data: dict[str, Any] | None) -> Offer | None:
    if data is None:
        return None
    return Offer(data["offer_id"], data["decision_id"],
                 datetime.fromisoformat(data["expires_at"]), data["disclosure"],
                 data["disclosure_sha256"])


def offer_json(offer: Offer | None) -> dict[str, Any] | None:
    if offer is None:
        return None
    return {"offer_id": offer.offer_id, "decision_id": offer.decision_id,
            "expires_at": offer.expires_at.isoformat(), "disclosure": offer.disclosure,
            "disclosure_sha256": offer.disclosure_sha256}


def application_from_row(row: Any) -> Application:
    return Application(
        id=row.id, partner_id=row.partner_id, product_code=row.product_code,
        status=Status(row.status), submitted_at=row.submitted_at, updated_at=row.updated_at,
        missing_documents=list(row.missing_documents), decision=row.decision,
        offer=_offer_from(row.offer), accepted=row.accepted,
    )


async def get_application(
    session: AsyncSession, application_id: str, *, partner_id: str | None = None,
    for_update: bool = False,
) -> tuple[Application, Any] | None:
    """The aggregate and its full row (for reads); ``partner_id`` scopes it to one partner."""
    query = select(applications).where(applications.c.id == application_id)
    if partner_id is not None:
        query = query.where(applications.c.partner_id == partner_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return (application_from_row(row), row) if row else None


async def save_application(
    session: AsyncSession, app: Application, documents: list[dict[str, Any]] | None = None,
) -> None:
    values: dict[str, Any] = dict(
        status=app.status.value, missing_documents=app.missing_documents,
        decision=app.decision, offer=offer_json(app.offer), accepted=app.accepted,
        updated_at=app.updated_at, offer_expires_at=app.offer.expires_at if app.offer else None,
    )
    if documents is not None:
        values["documents"] = documents
    await session.execute(update(applications).where(applications.c.id == app.id).values(values))


async def lock_due_offers(session: AsyncSession, now: datetime, limit: int) -> list[Application]:
    """Approved applications whose offer expired by ``now``, locked for this transaction.
    SKIP LOCKED lets several replicas sweep at once, each taking different rows, and never
    waits on an acceptance in progress (which holds its row: it decides that one itself)."""
    c = applications.c
    rows = (await session.execute(
        select(applications)
        .where(c.status == Status.APPROVED.value, c.offer_expires_at <= now)
        .order_by(c.offer_expires_at).limit(limit)
        .with_for_update(skip_locked=True)
    )).all()
    return [application_from_row(row) for row in rows]


def encode_cursor(*parts: object) -> str:
    raw = "|".join(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[str]:
    """Raises ValueError for a cursor this service did not make."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode()).decode().split("|")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("malformed cursor") from exc


async def list_applications(
    session: AsyncSession, partner_id: str, *, statuses: list[str], product_code: str | None,
    cursor: str | None, limit: int,
) -> tuple[list[Any], str | None]:
    """Newest first, keyset-paginated on (submitted_at, id)."""
    c = applications.c
    query = select(applications).where(c.partner_id == partner_id)
    if statuses:
        query = query.where(c.status.in_(statuses))
    if product_code:
        query = query.where(c.product_code == product_code)
    if cursor:
        at_raw, last_id = decode_cursor(cursor)
        at = datetime.fromisoformat(at_raw)
        query = query.where(or_(c.submitted_at < at, and_(c.submitted_at == at, c.id < last_id)))
    rows = list((await session.execute(
        query.order_by(c.submitted_at.desc(), c.id.desc()).limit(limit + 1)
    )).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].submitted_at, rows[-1].id) if more else None


async def add_webhook_delivery(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(webhook_deliveries).values(values))


async def list_webhook_deliveries(
    session: AsyncSession, partner_id: str, *, application_id: str | None,
    state: str | None, cursor: str | None, limit: int,
) -> tuple[list[Any], str | None]:
    c = webhook_deliveries.c
    query = select(webhook_deliveries).where(c.partner_id == partner_id)
    if application_id:
        query = query.where(c.application_id == application_id)
    if state:
        query = query.where(c.state == state)
    if cursor:
        (seq,) = decode_cursor(cursor)
        query = query.where(c.seq < int(seq))
    rows = list((await session.execute(query.order_by(c.seq.desc()).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].seq) if more else None
