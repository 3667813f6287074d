"""API keys for partners and operators, verified by every service without a shared database.

Intake issues keys and publishes ``CredentialIssued`` / ``CredentialRevoked`` (the SHA-256 of
the key, never the key). Every other service consumes them into its own ``credentials`` table
(the projection below) and answers ``Authorization: Bearer`` from it through a small cache.
A key is ``lk_<key id>_<43 random url-safe characters>``: 256 bits of entropy, so one SHA-256
is enough (a slow password hash only helps low-entropy secrets) and lookups stay O(1).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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
from lending_platform.freshness import ProjectionFreshness
from lending_platform.lru import LruCache

PARTNER = "partner"
OPERATOR = "operator"
OPERATOR_ROLES = ("underwriter", "servicer", "collector", "admin")
KEY_PREFIX = "lk_"
# What new_api_key makes; anything else is refused before it costs a hash or a query.
KEY_PATTERN = re.compile(r"lk_k[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a partner (role ``partner``) or an operator with one role."""

    id: str
    kind: str
    name: str
    role: str
    key_id: str
    rate_limit_per_second: int | None = None
    expires_at: datetime | None = None


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
    """The columns migration ``0002_credentials`` creates (fresh objects each call)."""
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


def _expiry_column() -> Column[Any]:
    return Column("expires_at", DateTime(timezone=True), nullable=True)


def projection_columns() -> list[Column[Any]]:
    """Every column of the table as the migrations leave it (fresh objects each call)."""
    return [*credentials_columns(), _expiry_column()]


credentials = Table("credentials", MetaData(), *projection_columns())


def upgrade(op: Any) -> None:
    """Each service's migration ``0002_credentials`` calls this."""
    op.create_table("credentials", *credentials_columns())


def downgrade(op: Any) -> None:
    op.drop_table("credentials")


def add_expiry(op: Any) -> None:
    """Each service's ``credential_expiry`` migration: keys that stop working unless renewed."""
    op.add_column("credentials", _expiry_column())


def drop_expiry(op: Any) -> None:
    op.drop_column("credentials", "expires_at")


# --- the projection: the same two writes in intake (at issue time) and in every consumer ---

async def record_issued(session: AsyncSession, event: CredentialIssued) -> None:
    await session.execute(
        insert(credentials).values(
            key_sha256=event.key_sha256, key_id=event.key_id, principal_id=event.principal_id,
            principal_kind=event.principal_kind, principal_name=event.principal_name,
            role=event.role, rate_limit_per_second=event.rate_limit_per_second,
            issued_at=event.issued_at, expires_at=event.expires_at,
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

class StaleCredentialsError(Exception):
    """This service cannot vouch that its credential projection is recent enough to honour
    revocations (docs/security.md): every key is refused until it catches up."""

    def __init__(self, age: float, bound: float) -> None:
        super().__init__(f"credential projection is {age:.0f}s old (bound {bound:.0f}s)")
        self.age, self.bound = age, bound


class CredentialStore:
    """Resolves a presented key to its principal from this service's ``credentials`` table.

    Two bounded LRU caches with a ``ttl``: known keys (a hot partner costs no query) and
    misses (a repeated bad key costs none either), kept apart so that a flood of made-up keys
    only ever evicts other made-up keys. A string that is not shaped like a key costs no
    query at all. A revocation takes effect within the projection's staleness bound plus
    ``ttl`` (``freshness``; docs/security.md).
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], ttl: float = 5.0,
        max_entries: int = 100_000, max_misses: int = 10_000,
        default_partner_rate: int | None = None, freshness: ProjectionFreshness | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._known: LruCache[Principal] = LruCache(max_entries)
        self._misses: LruCache[bool] = LruCache(max_misses)
        self._default_partner_rate = default_partner_rate
        self._clock = clock
        self.freshness = freshness
        self.queries = 0  # database look-ups made (tests and the flood benchmark read it)

    async def lookup(self, api_key: str) -> Principal | None:
        """The live principal of ``api_key``, or None; raises StaleCredentialsError while the
        projection is too old to trust."""
        if self.freshness is not None:
            self.freshness.check()
        if not KEY_PATTERN.fullmatch(api_key):
            return None
        digest = hash_key(api_key)
        now = self._clock()
        principal = self._known.get(digest, now)
        if principal is not None:
            return principal if _unexpired(principal) else None
        if self._misses.get(digest, now):
            return None
        self.queries += 1
        principal = await self._load(digest)
        if principal is None:
            self._misses.put(digest, True, now + self._ttl)
            return None
        self._known.put(digest, principal, now + self._ttl)
        return principal if _unexpired(principal) else None

    def forget(self) -> None:
        self._known.clear()
        self._misses.clear()

    async def _load(self, digest: str) -> Principal | None:
        c = credentials.c
        query = select(
            c.principal_id, c.principal_kind, c.principal_name, c.role, c.key_id,
            c.rate_limit_per_second, c.expires_at,
        ).where(c.key_sha256 == digest, c.revoked_at.is_(None))
        async with self._sessions() as session:
            row = (await session.execute(query)).first()
        if row is None:
            return None
        pid, kind, name, role, key_id, rate, expires_at = row
        if rate is None and kind == PARTNER:
            rate = self._default_partner_rate  # a partner is never unlimited
        return Principal(pid, kind, name, role, key_id, rate, expires_at)


def _unexpired(principal: Principal) -> bool:
    return principal.expires_at is None or principal.expires_at > datetime.now(UTC)


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
