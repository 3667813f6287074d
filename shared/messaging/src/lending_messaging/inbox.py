"""Inbox adapters: the real one (a PostgreSQL table) and an in-memory fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lending_messaging.ports import Inbox, InboxTransaction

# One statement for a whole batch: rows that conflict with an earlier handling are
# skipped, RETURNING names exactly the ids whose effect is new. A concurrent consumer
# inserting the same id blocks on the unique index until we commit, then skips it.
# Driver-level ($n, asyncpg): it runs once per batch on every consumer, so SQLAlchemy's
# statement building is skipped; the transaction and error handling stay SQLAlchemy's.
_CLAIM = (
    "INSERT INTO inbox (consumer_group, event_id) "
    "SELECT $1::text, unnest($2::text[]) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)


class _PostgresInboxTransaction(InboxTransaction):
    def __init__(self, session: AsyncSession, group_id: str) -> None:
        self.session = session
        self._group_id = group_id

    async def claim(self, event_ids: Sequence[str]) -> set[str]:
        if not event_ids:
            return set()
        conn = await self.session.connection()
        result = await conn.exec_driver_sql(_CLAIM, (self._group_id, list(event_ids)))
        return set(result.scalars())


class PostgresInbox(Inbox):
    def __init__(self, session_factory: Callable[[], AsyncSession], group_id: str) -> None:
        self._session_factory = session_factory
        self.group_id = group_id

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[InboxTransaction]:
        async with self._session_factory() as session, session.begin():
            yield _PostgresInboxTransaction(session, self.group_id)


class _MemoryInboxTransaction(InboxTransaction):
    def __init__(self, inbox: InMemoryInbox, session: Any) -> None:
        self.session = session
        self._inbox = inbox
        self.claimed: set[str] = set()

    async def claim(self, event_ids: Sequence[str]) -> set[str]:
        new = {i for i in event_ids if i not in self._inbox.handled and i not in self.claimed}
        self.claimed |= new
        return new


class InMemoryInbox(Inbox):
    """Claims become visible only when the transaction exits cleanly. ``session_factory``
    (optional) yields the session a service's handler expects, e.g. its fake unit of work;
    it is entered around the handler and should commit on clean exit."""

    def __init__(
        self,
        group_id: str,
        session_factory: Callable[[], AbstractAsyncContextManager[Any]] | None = None,
    ) -> None:
        self.group_id = group_id
        self.handled: set[str] = set()
        self._session_factory = session_factory

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[InboxTransaction]:
        if self._session_factory is None:
            tx = _MemoryInboxTransaction(self, None)
            yield tx
        else:
            async with self._session_factory() as session:
                tx = _MemoryInboxTransaction(self, session)
                yield tx
        self.handled |= tx.claimed
