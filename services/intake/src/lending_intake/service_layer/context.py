"""What the intake handlers need, wired once by bootstrap.py (fakes go in through here)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_intake.adapters import repository
from lending_intake.adapters.repository import PartnerProfile
from lending_intake.adapters.submissions import SubmissionWriter
from lending_intake.domain.products import Catalogue
from lending_platform.encryption import KeyRing

SOURCE = "/lending/intake"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class PartnerDirectory:
    """Partner profiles (channel, webhook URL) change rarely: cached briefly, as keys are."""

    def __init__(self, ttl: float = 5.0) -> None:
        self._ttl = ttl
        self._cache: dict[str, tuple[float, PartnerProfile | None]] = {}

    async def get(self, session: AsyncSession, partner_id: str) -> PartnerProfile | None:
        now = time.monotonic()
        hit = self._cache.get(partner_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        profile = await repository.partner_profile(session, partner_id)
        self._cache[partner_id] = (now + self._ttl, profile)
        return profile

    async def lookup(self, sessions: async_sessionmaker[AsyncSession],
                     partner_id: str) -> PartnerProfile | None:
        """As ``get``, opening a session only when the cache cannot answer."""
        hit = self._cache.get(partner_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        async with sessions() as session:
            return await self.get(session, partner_id)


@dataclass
class IntakeContext:
    sessions: async_sessionmaker[AsyncSession]
    catalogue: Catalogue
    identity_hash_key: str
    submissions: SubmissionWriter
    keyring: KeyRing
    partners: PartnerDirectory = field(default_factory=PartnerDirectory)
    clock: Clock = utc_now

    def identity_hash(self, national_id: str) -> str:
        """Keyed hash of the normalised national id: stable, matchable, not reversible."""
        normalised = national_id.replace("-", "").replace(" ", "").upper()
        return hmac.new(self.identity_hash_key.encode(), normalised.encode(),
                        hashlib.sha256).hexdigest()
