"""API keys for partners and operators, verified by every service without a shared database.

Intake issues keys and publishes ``CredentialIssued`` / ``CredentialRevoked`` (the SHA-256 of
the key, never the key). Every other service consumes them into its own ``credentials`` table
(the projection below) and answers ``Authorization: Bearer`` from it through a small cache.
A key is ``lk_<key id>_<43 random url-safe characters>``: 256 bits of entropy, so one SHA-256
is enough (a slow password hash only helps low-entropy secrets) and lookups stay O(1).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    Text,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_events import IntegrationEvent
from lending_events.credentials import CredentialIssued, CredentialRevoked
from lending_events.envelope import Envelope

PARTNER = "partner"
OPERATOR = "operator"
OPERATOR_ROLES = ("underwriter", "servicer", "collector", "admin")
KEY_PREFIX = "lk_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a partner (role ``partner``) or an operator with one role."""

    id: str
    kind: str
    name: str
    role: str
    key_id: str
    rate_limit_per_second: int | None = None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key_id: str
    api_key: str

    @property
    def sha256(self) -> str:
        return hash_key(self.api_key)


def new_api_key() -> IssuedKey:
    key_id = "k" + secrets.token_hex(6)
    return IssuedKey(key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}")


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def credentials_columns() -> list[Column[Any]]:
    """Fresh columns, for the Table below and for Alembic's ``op.create_table``."""
    return [
        Column("key_sha256", Text, primary_key=True),
        Column("key_id", Text, nullable=False, unique=True),
        Column("principal_id", Text, nullable=False, index=True),
        Column("principal_kind", Text, nullable=False),
        Column("principal_name", Text, nullable=False),
        Column("role", Text, nullable=False),
        Column("rate_limit_per_second", Integer, nullable=True),
        Column("issued_at", DateTime(timezone=True), nullable=False),
        Column("revoked_at", DateTime(timezone=True), nullable=True),
    ]


credentials = Table("credentials", MetaData(), *credentials_columns())


def upgrade(op: Any) -> None:
    """Each service's migration ``0002_credentials`` calls this."""
    op.create_table("credentials", *credentials_columns())


def downgrade(op: Any) -> None:
    op.drop_table("credentials")


# --- the projection: the same two writes in intake (at issue time) and in every consumer ---

async def record_issued(session: AsyncSession, event: CredentialIssued) -> None:
    await session.execute(
        insert(credentials).values(
            key_sha256=event.key_sha256, key_id=event.key_id, principal_id=event.principal_id,
            principal_kind=event.principal_kind, principal_name=event.principal_name,
            role=event.role, rate_limit_per_second=event.rate_limit_per_second,
            issued_at=event.issued_at,
        ).on_conflict_do_nothing()
    )


async def record_revoked(session: AsyncSession, event: CredentialRevoked) -> None:
    await session.execute(
        update(credentials)
        .where(credentials.c.key_id == event.key_id, credentials.c.revoked_at.is_(None))
        .values(revoked_at=event.revoked_at)
    )


async def _on_issued(session: Any, event: IntegrationEvent, _envelope: Envelope) -> None:
    assert isinstance(event, CredentialIssued)
    await record_issued(session, event)


async def _on_revoked(session: Any, event: IntegrationEvent, _envelope: Envelope) -> None:
    assert isinstance(event, CredentialRevoked)
    await record_revoked(session, event)


CREDENTIAL_HANDLERS: dict[str, Callable[[Any, IntegrationEvent, Envelope], Awaitable[None]]] = {
    "CredentialIssued": _on_issued,
    "CredentialRevoked": _on_revoked,
}


# --- lookup ---

class CredentialStore:
    """Resolves a presented key to its principal from this service's ``credentials`` table.

    Results (misses included) are cached for ``ttl`` seconds, so a hot partner costs no query
    and a flood of bad keys costs one query per key per ttl; a revocation takes effect
    everywhere within the consumer lag plus ``ttl``.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], ttl: float = 5.0,
        max_entries: int = 100_000,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._max = max_entries
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def lookup(self, api_key: str) -> Principal | None:
        if not api_key.startswith(KEY_PREFIX) or len(api_key) > 200:
            return None
        digest = hash_key(api_key)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        principal = await self._load(digest)
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[digest] = (now + self._ttl, principal)
        return principal

    def forget(self) -> None:
        self._cache.clear()

    async def _load(self, digest: str) -> Principal | None:
        c = credentials.c
        query = select(
            c.principal_id, c.principal_kind, c.principal_name, c.role, c.key_id,
            c.rate_limit_per_second,
        ).where(c.key_sha256 == digest, c.revoked_at.is_(None))
        async with self._sessions() as session:
            row = (await session.execute(query)).first()
        if row is None:
            return None
        return Principal(*row)


class RateLimiter:
    """A token bucket per principal (burst = one second's allowance), in this process only:
    with N replicas a partner gets up to N times its limit; documented in docs/intake.md."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def retry_after(self, principal: Principal) -> float | None:
        """Takes one token; returns None when allowed, else the seconds until a token."""
        rate = principal.rate_limit_per_second
        if rate is None:
            return None
        now = self._clock()
        tokens, last = self._buckets.get(principal.id, (float(rate), now))
        tokens = min(float(rate), tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[principal.id] = (tokens - 1.0, now)
            return None
        self._buckets[principal.id] = (tokens, now)
        return (1.0 - tokens) / rate
