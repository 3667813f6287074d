"""Async engine and sessions, and Alembic migrations applied at start-up."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, Table, TextClause, event
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from lending_messaging.tables import inbox_columns, outbox_columns

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
    event.listen(engine.sync_engine, "checkout",
                 lambda dbapi_conn, record, _proxy: _ping_if_idle(dbapi_conn, record,
                                                                  idle_before_ping))
    return engine


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
