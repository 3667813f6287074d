"""Data at rest: sealing what was written in clear, re-wrapping after a key rotation, and
erasing applications that never became loans once their retention period is over.

The worker runs in every intake replica (SKIP LOCKED shares the rows); ``erase_applications``
is what ``loanctl applications erase`` calls.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_intake.adapters import at_rest
from lending_intake.domain.disclosure import canonical_json
from lending_intake.domain.identity import join_identity, split_identity
from lending_platform.encryption import KeyRing, Sealed

log = logging.getLogger("lending.intake.at_rest")


@dataclass(frozen=True)
class AtRest:
    sessions: async_sessionmaker[AsyncSession]
    keyring: KeyRing
    batch_size: int = 200

    async def seal_pass(self) -> int:
        """One batch of each kind of work; returns the rows changed."""
        return (await self._seal_requests() + await self._rewrap_identities()
                + await self._seal_secrets())

    async def _seal_requests(self) -> int:
        async with self.sessions() as session, session.begin():
            rows = await at_rest.clear_requests(session, self.batch_size)
            for app_id, request in rows:
                rest, identity = split_identity(request)
                sealed = self.keyring.seal(canonical_json(identity), app_id)
                await at_rest.store_identity(session, app_id, {
                    "request": rest, "identity_sealed": sealed.blob,
                    "identity_key_id": sealed.key_id})
        return len(rows)

    async def _rewrap_identities(self) -> int:
        async with self.sessions() as session, session.begin():
            rows = await at_rest.identities_under_other_keys(session, self.keyring.active_id,
                                                             self.batch_size)
            for app_id, blob, key_id in rows:
                sealed = self.keyring.rewrap(Sealed(key_id, blob), app_id)
                await at_rest.store_identity(session, app_id, {
                    "identity_sealed": sealed.blob, "identity_key_id": sealed.key_id})
        return len(rows)

    async def _seal_secrets(self) -> int:
        async with self.sessions() as session, session.begin():
            rows = await at_rest.secrets_to_seal(session, self.keyring.active_id,
                                                 self.batch_size)
            for partner_id, clear, blob, key_id in rows:
                sealed = (self.keyring.seal(clear.encode(), partner_id) if clear is not None
                          else self.keyring.rewrap(Sealed(key_id, blob), partner_id))
                await at_rest.store_secret(session, partner_id, {
                    "webhook_secret": None, "webhook_secret_sealed": sealed.blob,
                    "webhook_secret_key_id": sealed.key_id})
        return len(rows)

    async def identity(self, app_id: str) -> dict[str, object] | None:
        """The request as the partner sent it, identity included (None once erased)."""
        async with self.sessions() as session:
            row = await at_rest.sealed_identity(session, app_id)
        if row is None or row.identity_sealed is None:
            return None
        identity = json.loads(self.keyring.open(Sealed(row.identity_key_id, row.identity_sealed),
                                                app_id))
        return join_identity(row.request, identity)


async def erase_applications(sessions: async_sessionmaker[AsyncSession], older_than: timedelta,
                             now: datetime, *, batch_size: int = 500,
                             dry_run: bool = False) -> int:
    """Erases the identity (and documents' links) of every application that was declined,
    withdrawn or expired more than ``older_than`` before ``now``; returns how many. The row
    stays, with its amounts, statuses and decision, for the book's statistics."""
    cutoff = now - older_than
    if dry_run:
        async with sessions() as session:
            return await at_rest.count_erasable(session, cutoff)
    total = 0
    while True:
        async with sessions() as session, session.begin():
            erased = await at_rest.erase(session, cutoff, now, batch_size)
        total += erased
        if erased < batch_size:
            return total


class AtRestWorker:
    def __init__(self, work: AtRest, *, poll_seconds: float) -> None:
        self._work = work
        self._poll = poll_seconds
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        self._stopping.clear()
        while not self._stopping.is_set():
            changed = await self._work.seal_pass()
            if changed:
                log.info("sealed or re-wrapped %d rows at rest", changed)
                continue
            try:
                await asyncio.wait_for(self._stopping.wait(), self._poll)
            except TimeoutError:
                pass
