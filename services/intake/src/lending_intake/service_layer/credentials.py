"""Partners, operators and their API keys: intake issues them, every service verifies them.

Issuing writes the principal, intake's own credentials projection row and a CredentialIssued
event in ONE transaction; the other services learn the key hash from that event, which intake
signs (``Issuer.signer``) so that nobody else can mint a key. `loanctl` calls these functions
directly against intake's database (like `manage.py createsuperuser`), with an ``Issuer``
built from intake's settings (``bootstrap.build_issuer``).

A partner without a stated rate limit gets the default one; operator keys expire after
``operator_key_ttl`` unless renewed (``rotate``); webhook secrets are stored sealed under
intake's encryption key and shown once.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_events import IntegrationEvent, to_envelope, topic_for
from lending_events.credentials import CredentialIssued, CredentialRevoked
from lending_intake.adapters.orm import operators, partners
from lending_intake.domain.errors import IntakeError
from lending_intake.domain.webhook_urls import WebhookUrlPolicy
from lending_intake.service_layer.context import SOURCE, utc_now
from lending_messaging.outbox import add_to_outbox
from lending_platform import credentials as creds
from lending_platform.credentials import OPERATOR, OPERATOR_ROLES, PARTNER
from lending_platform.encryption import KeyRing
from lending_platform.signing import CredentialSigner
from lending_platform.unit_of_work import UnitOfWork

CHANNELS = ("app", "web", "merchant", "supply_chain")


class PrincipalExistsError(IntakeError):
    """A partner or operator with that name exists already."""


class PrincipalNotFoundError(IntakeError):
    """No partner or operator with that id or name."""


@dataclass(frozen=True)
class Issuer:
    """What issuing needs besides the database, from intake's settings."""

    sessions: async_sessionmaker[AsyncSession]
    signer: CredentialSigner
    keyring: KeyRing
    webhook_urls: WebhookUrlPolicy
    default_rate_limit: int
    operator_key_ttl: timedelta


@dataclass(frozen=True)
class IssuedCredential:
    principal_id: str
    api_key: str
    key_id: str
    webhook_secret: str | None = None
    expires_at: str | None = None


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


async def _emit_signed(issuer: Issuer, uow: UnitOfWork, event: IntegrationEvent) -> None:
    envelope = issuer.signer.sign(to_envelope(event, source=SOURCE))
    await add_to_outbox(uow.session, envelope, topic_for(type(event)))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:24] or "x"


@dataclass(frozen=True)
class _Key:
    api_key: str
    key_id: str
    expires_at: str | None


async def _issue(issuer: Issuer, uow: UnitOfWork, principal_id: str, kind: str, name: str,
                 role: str, rate_limit: int | None) -> _Key:
    key = creds.new_api_key()
    now = utc_now()
    expires_at = now + issuer.operator_key_ttl if kind == OPERATOR else None
    if kind == PARTNER and rate_limit is None:
        rate_limit = issuer.default_rate_limit
    event = CredentialIssued(
        principal_id=principal_id, principal_kind=kind, principal_name=name, role=role,
        key_id=key.key_id, key_sha256=key.sha256, rate_limit_per_second=rate_limit,
        issued_at=now, expires_at=expires_at)
    await creds.record_issued(uow.session, event)
    await _emit_signed(issuer, uow, event)
    return _Key(key.api_key, key.key_id, expires_at.isoformat() if expires_at else None)


async def _revoke_all(issuer: Issuer, uow: UnitOfWork, principal_id: str,
                      reason: str) -> list[str]:
    c = creds.credentials.c
    key_ids = list((await uow.session.execute(
        select(c.key_id).where(c.principal_id == principal_id, c.revoked_at.is_(None))
    )).scalars())
    for key_id in key_ids:
        event = CredentialRevoked(principal_id=principal_id, key_id=key_id,
                                  revoked_at=utc_now(), reason=reason)
        await creds.record_revoked(uow.session, event)
        await _emit_signed(issuer, uow, event)
    return key_ids


async def _find(session: AsyncSession, ref: str, kind: str) -> tuple[str, str, int | None]:
    """(id, name, rate limit) of the ``kind`` (partner or operator) with that id or name.

    Only that kind's table is searched: a partner and an operator may share a name, and an
    operator command must never revoke or re-key a partner (nor the other way round)."""
    if kind == PARTNER:
        row = (await session.execute(
            select(partners.c.id, partners.c.name, partners.c.rate_limit_per_second)
            .where((partners.c.id == ref) | (partners.c.name == ref)))).first()
        if row:
            return row[0], row[1], row[2]
    elif kind == OPERATOR:
        found = (await session.execute(select(operators.c.id, operators.c.name).where(
            (operators.c.id == ref) | (operators.c.name == ref)))).first()
        if found:
            return found[0], found[1], None
    else:
        raise ValueError(f"kind must be {PARTNER} or {OPERATOR}")
    raise PrincipalNotFoundError(ref)


def _sealed_secret(issuer: Issuer, partner_id: str, secret: str) -> dict[str, object]:
    sealed = issuer.keyring.seal(secret.encode(), partner_id)
    return {"webhook_secret": None, "webhook_secret_sealed": sealed.blob,
            "webhook_secret_key_id": sealed.key_id}


async def create_partner(
    issuer: Issuer, name: str, *, channel: str = "app", webhook_url: str | None = None,
    rate_limit: int | None = None,
) -> IssuedCredential:
    """Raises InvalidWebhookUrlError for a URL intake will not call (a ValueError)."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
    if webhook_url is not None:
        issuer.webhook_urls.check(webhook_url)
    partner_id = f"ptn-{_slug(name)}-{uuid.uuid4().hex[:8]}"
    secret = new_webhook_secret()
    async with UnitOfWork(issuer.sessions, SOURCE) as uow:
        if (await uow.session.execute(select(partners.c.id).where(partners.c.name == name))
                ).first():
            raise PrincipalExistsError(name)
        limit = rate_limit or issuer.default_rate_limit
        await uow.session.execute(insert(partners).values(
            id=partner_id, name=name, channel=channel, webhook_url=webhook_url,
            rate_limit_per_second=limit, **_sealed_secret(issuer, partner_id, secret)))
        key = await _issue(issuer, uow, partner_id, PARTNER, name, PARTNER, limit)
        await uow.commit()
    return IssuedCredential(partner_id, key.api_key, key.key_id, secret)


async def create_operator(issuer: Issuer, name: str, *, role: str) -> IssuedCredential:
    if role not in OPERATOR_ROLES:
        raise ValueError(f"role must be one of {', '.join(OPERATOR_ROLES)}")
    operator_id = f"op-{_slug(name)}-{uuid.uuid4().hex[:8]}"
    async with UnitOfWork(issuer.sessions, SOURCE) as uow:
        if (await uow.session.execute(select(operators.c.id).where(operators.c.name == name))
                ).first():
            raise PrincipalExistsError(name)
        await uow.session.execute(insert(operators).values(id=operator_id, name=name, role=role))
        key = await _issue(issuer, uow, operator_id, OPERATOR, name, role, None)
        await uow.commit()
    return IssuedCredential(operator_id, key.api_key, key.key_id, expires_at=key.expires_at)


async def rotate(issuer: Issuer, ref: str, *, kind: str) -> IssuedCredential:
    """A new key for the partner or operator (``kind``); its previous keys stop working.
    For an operator this is also the renewal: the new key's expiry starts now."""
    async with UnitOfWork(issuer.sessions, SOURCE) as uow:
        principal_id, name, rate_limit = await _find(uow.session, ref, kind)
        role = PARTNER if kind == PARTNER else (await uow.session.execute(
            select(operators.c.role).where(operators.c.id == principal_id))).scalar_one()
        await _revoke_all(issuer, uow, principal_id, "rotated")
        key = await _issue(issuer, uow, principal_id, kind, name, role, rate_limit)
        await uow.commit()
    return IssuedCredential(principal_id, key.api_key, key.key_id, expires_at=key.expires_at)


async def revoke(issuer: Issuer, ref: str, *, kind: str) -> list[str]:
    """Revokes every key of the partner or operator (``kind``); returns the key ids."""
    async with UnitOfWork(issuer.sessions, SOURCE) as uow:
        principal_id, *_ = await _find(uow.session, ref, kind)
        revoked = await _revoke_all(issuer, uow, principal_id, "revoked")
        await uow.commit()
    return revoked


async def set_webhook_url(issuer: Issuer, ref: str, url: str | None) -> None:
    if url is not None:
        issuer.webhook_urls.check(url)
    async with UnitOfWork(issuer.sessions, SOURCE) as uow:
        principal_id, *_ = await _find(uow.session, ref, PARTNER)
        await uow.session.execute(
            update(partners).where(partners.c.id == principal_id).values(webhook_url=url))
        await uow.commit()


async def rotate_webhook_secret(issuer: Issuer, ref: str) -> IssuedCredential:
    """A new webhook signing secret for the partner (shown once); the old one stops signing
    at once, so the partner should accept both for a moment while it switches."""
    secret = new_webhook_secret()
    async with UnitOfWork(issuer.sessions, SOURCE) as uow:
        principal_id, *_ = await _find(uow.session, ref, PARTNER)
        await uow.session.execute(update(partners).where(partners.c.id == principal_id)
                                  .values(**_sealed_secret(issuer, principal_id, secret)))
        await uow.commit()
    return IssuedCredential(principal_id, "", "", webhook_secret=secret)
