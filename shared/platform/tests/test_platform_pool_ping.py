"""The pool pings a connection only after it has been idle a while: a dead idle connection
is replaced unseen; a dead just-used one fails one statement, after which the pool is
fresh."""

from __future__ import annotations

import pytest
from asyncpg.exceptions import InternalClientError
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lending_platform.database import create_engine

pytestmark = pytest.mark.integration


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0)


async def kill(database_url: str, pid: int) -> None:
    admin = create_async_engine(database_url)
    async with admin.connect() as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:p, 5000)"), {"p": pid})
    await admin.dispose()


async def test_a_dead_connection_idle_past_the_limit_is_replaced_unseen(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1, idle_before_ping=0.0)
    try:
        first = await backend_pid(engine)
        await kill(database_url, first)
        assert await backend_pid(engine) != first  # no error reached the caller
    finally:
        await engine.dispose()


async def test_a_just_used_connection_is_not_pinged(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=1, idle_before_ping=3600.0)
    try:
        first = await backend_pid(engine)
        await kill(database_url, first)
        with pytest.raises(DBAPIError):  # no ping: the statement meets the dead connection
            await backend_pid(engine)
        assert await backend_pid(engine) != first  # and the pool starts afresh
    finally:
        await engine.dispose()


async def test_a_connection_stuck_in_an_operation_is_discarded_not_handed_out_again(
        database_url: str) -> None:
    # What a PostgreSQL killed mid-reply leaves behind: an open connection whose driver
    # refuses every statement. Its error is raised where and as SQLAlchemy's asyncpg
    # adapter raises it, on execute.
    engine = create_engine(database_url, pool_size=1, idle_before_ping=3600.0)
    dbapi = engine.dialect.dbapi

    def confused(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        if "stuck" in statement:
            raise dbapi.InternalError("stuck") from InternalClientError(
                "cannot switch to state 12; another operation (2) is in progress")
        return statement, _params

    event.listen(engine.sync_engine, "before_cursor_execute", confused, retval=True)
    try:
        first = await backend_pid(engine)
        with pytest.raises(DBAPIError):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 'stuck'"))
        assert await backend_pid(engine) != first  # that connection is gone, not reused
    finally:
        await engine.dispose()
