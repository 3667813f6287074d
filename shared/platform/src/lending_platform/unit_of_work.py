"""The unit of work every service layer uses: state and outgoing events in ONE transaction.

Events go to the outbox table inside the same transaction as the state they describe; the
relay publishes them after commit. So there is never a dual write and never an event about
a change that was rolled back.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_events import IntegrationEvent, to_envelope, topic_for
from lending_events.envelope import Envelope
from lending_messaging.outbox import add_to_outbox


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], source: str) -> None:
        self._sessions = sessions
        self.source = source
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._sessions()
        await self._session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if session.in_transaction():
                await session.rollback()  # nothing is kept unless commit() was called
        finally:
            await session.close()
            self._session = None

    async def emit(self, event: IntegrationEvent) -> Envelope:
        """Queues ``event`` in the outbox of this transaction; returns the stamped envelope."""
        return await emit_in(self.session, event, self.source)

    async def commit(self) -> None:
        await self.session.commit()


async def emit_in(session: AsyncSession, event: IntegrationEvent, source: str) -> Envelope:
    """Writes ``event`` to the outbox in ``session``'s transaction (consumer handlers use this)."""
    envelope = to_envelope(event, source=source)
    return await add_to_outbox(session, envelope, topic_for(type(event)))
