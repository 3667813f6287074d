"""Async engine and sessions, and Alembic migrations applied at start-up."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from asyncpg.exceptions import InternalClientError
from sqlalchemy import MetaData, Table, TextClause, event
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from lending_messaging.tables import inbox_columns, outbox_columns
from lending_messaging.transient import exception_chain

_ASYNCPG = asyncpg_dialect()
# A pooled connection idle longer than this is pinged before it is handed out.
IDLE_BEFORE_PING = 10.0


def create_engine(url: str, pool_size: int = 10, *,
                  idle_before_ping: float = IDLE_BEFORE_PING) -> AsyncEngine:
    """An engine whose pool pings a connection only when it has been idle a while.

    ``pool_pre_ping`` would ping on every checkout: a round trip per transaction, a fifth
    of the ledger's append rate. A connection that has just been used is very unlikely to
    be dead; if it is (a server restart mid-burst), the statement fails, SQLAlchemy
    discards the whole pool, and the caller's retry (consumers, relay) or the client's
    (an idempotent REST call) goes through on a fresh connection."""
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
    event.listen(engine.sync_engine, "checkin", _note_checkin)
    event.listen(engine.sync_engine, "handle_error", _discard_confused_connection)
    event.listen(engine.sync_engine, "checkout",
                 lambda dbapi_conn, record, _proxy: _ping_if_idle(dbapi_conn, record,
                                                                  idle_before_ping))
    return engine


def _discard_confused_connection(context: Any) -> None:
    # A connection the server dropped mid-reply (PostgreSQL killed while an error was being
    # read) can stay open yet stuck in that operation: asyncpg then refuses every statement
    # ("another operation is in progress") and SQLAlchemy, which only counts a *closed*
    # connection as lost, hands it out again and again (a consumer restarted every 2 s
    # failed on it for minutes). Counted as a disconnect, it is discarded; the rest of the
    # pool is healthy and stays.
    if is_confused_connection_error(context.original_exception):
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False


def is_confused_connection_error(exc: BaseException | None) -> bool:
    """asyncpg's InternalClientError anywhere in ``exc``'s chain."""
    return any(isinstance(e, InternalClientError) for e in exception_chain(exc))


# SQLSTATEs of a server going away or not yet back: admin/crash shutdown, cannot connect now.
_SERVER_GONE_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


def is_database_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is away (refused, dropped, restarting) rather than
    that the statement was wrong: the caller may try again in a moment."""
    for current in exception_chain(exc):
        if isinstance(current, InternalClientError):
            return True
        if isinstance(current, OSError) and _raised_in_driver(current):  # refused, reset
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if getattr(current, "sqlstate", None) in _SERVER_GONE_SQLSTATES:
            return True
        if "connection is closed" in str(current) or "connection was closed" in str(current):
            return True
    return False


def _raised_in_driver(exc: BaseException) -> bool:
    # A socket error is the database's only when the driver or the pool raised it (not an
    # HTTP call to a partner, say).
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__", "").startswith(("asyncpg", "sqlalchemy")):
            return True
        tb = tb.tb_next
    return False


def _note_checkin(_dbapi_conn: Any, record: Any) -> None:
    record.info["checked_in"] = time.monotonic()


def _ping_if_idle(dbapi_conn: Any, record: Any, idle_before_ping: float) -> None:
    idle_since = record.info.get("checked_in")
    if idle_since is None or time.monotonic() - idle_since < idle_before_ping:
        return  # brand new, or just used
    try:
        dbapi_conn.ping()
    except Exception as exc:
        # The pool discards this connection and checks out another (or connects anew).
        raise DisconnectionError(f"an idle pooled connection is dead: {exc!r}") from exc


def asyncpg_sql(statement: TextClause) -> tuple[str, tuple[str, ...]]:
    """``statement`` as asyncpg takes it (``$n`` placeholders), and its parameters' names
    in that order: for hot paths that hand a statement straight to the driver. Rendered by
    SQLAlchemy's own asyncpg compiler, so it is the SQL SQLAlchemy would have sent."""
    compiled = statement.compile(dialect=_ASYNCPG)
    return compiled.string, tuple(compiled.positiontup or ())


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    """Alembic's config built in code, so each service ships its migrations inside its package."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(migrations_dir: Path, database_url: str) -> None:
    command.upgrade(alembic_config(migrations_dir, database_url), "head")


async def upgrade_to_head_async(migrations_dir: Path, database_url: str) -> None:
    # Alembic's env runs its own event loop for the async driver; keep it off ours.
    await asyncio.to_thread(upgrade_to_head, migrations_dir, database_url)


def service_metadata() -> MetaData:
    """A service's own MetaData: the outbox, the inbox and the credentials projection beside
    the service's tables."""
    from lending_platform.credentials import projection_columns

    metadata = MetaData()
    Table("outbox", metadata, *outbox_columns())
    Table("inbox", metadata, *inbox_columns())
    Table("credentials", metadata, *projection_columns())
    return metadata
