"""SQL of the at-rest work: rows to seal (written before encryption), to re-wrap (sealed
under a key that is no longer the active one) and to erase (retention). Each takes a batch
with SKIP LOCKED, so replicas share the work and never wait on a request in progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from lending_intake.adapters.orm import applications, idempotency_keys, partners

NEVER_LOANS = ("declined", "withdrawn", "expired")
# Identity fields of a request stored before encryption (domain/identity.py), and the
# documents' links to the files (an id card's scan): gone on erasure.
_ERASED_REQUEST = text(
    "request - 'applicant' - 'documents' #- '{security,full_name}' #- '{security,national_id}' "
    "#- '{security,phone}' #- '{disbursement_account,holder_name}'")
_ERASED_DOCUMENTS = text(
    "COALESCE((SELECT jsonb_agg(d - 'uri') FROM jsonb_array_elements(documents) d), "
    "'[]'::jsonb)")


async def clear_requests(session: AsyncSession, limit: int) -> list[Any]:
    a = applications.c
    return list((await session.execute(
        select(a.id, a.request).where(text("request ? 'applicant'"), a.erased_at.is_(None))
        .order_by(a.submitted_at).limit(limit).with_for_update(skip_locked=True))).all())


async def identities_under_other_keys(session: AsyncSession, active: str,
                                      limit: int) -> list[Any]:
    a = applications.c
    return list((await session.execute(
        select(a.id, a.identity_sealed, a.identity_key_id)
        .where(a.identity_key_id.is_not(None), a.identity_key_id != active)
        .limit(limit).with_for_update(skip_locked=True))).all())


async def sealed_identity(session: AsyncSession, app_id: str) -> Any:
    a = applications.c
    return (await session.execute(select(a.request, a.identity_sealed, a.identity_key_id)
                                  .where(a.id == app_id))).first()


async def store_identity(session: AsyncSession, app_id: str, values: dict[str, Any]) -> None:
    await session.execute(update(applications).where(applications.c.id == app_id)
                          .values(values))


async def secrets_to_seal(session: AsyncSession, active: str, limit: int) -> list[Any]:
    p = partners.c
    return list((await session.execute(
        select(p.id, p.webhook_secret, p.webhook_secret_sealed, p.webhook_secret_key_id)
        .where(p.webhook_secret.is_not(None) | (p.webhook_secret_key_id != active))
        .limit(limit).with_for_update(skip_locked=True))).all())


async def store_secret(session: AsyncSession, partner_id: str, values: dict[str, Any]) -> None:
    await session.execute(update(partners).where(partners.c.id == partner_id).values(values))


def _erasable(cutoff: datetime) -> Any:
    a = applications.c
    return select(a.id).where(a.erased_at.is_(None), a.status.in_(NEVER_LOANS),
                              a.updated_at < cutoff)


async def count_erasable(session: AsyncSession, cutoff: datetime) -> int:
    return int((await session.execute(
        select(func.count()).select_from(_erasable(cutoff).subquery()))).scalar_one())


async def erase(session: AsyncSession, cutoff: datetime, now: datetime, limit: int) -> int:
    """Erases the identity of up to ``limit`` applications that never became loans and have
    not changed since ``cutoff``; returns how many."""
    a = applications.c
    picked = _erasable(cutoff).order_by(a.updated_at).limit(limit).with_for_update(
        skip_locked=True).scalar_subquery()
    erased = list((await session.execute(
        update(applications).where(a.id.in_(picked)).values(
            identity_sealed=None, identity_key_id=None, identity_hash="erased",
            request=_ERASED_REQUEST, documents=_ERASED_DOCUMENTS, erased_at=now)
        .returning(a.id))).scalars())
    if erased:
        # The stored response holds no identity, but the request hash is one of its body.
        await session.execute(delete(idempotency_keys)
                              .where(idempotency_keys.c.application_id.in_(erased)))
    return len(erased)
