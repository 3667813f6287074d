"""Async engine and sessions, and Alembic migrations applied at start-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from lending_messaging.tables import inbox_columns, outbox_columns


def create_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


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
    from lending_platform.credentials import credentials_columns

    metadata = MetaData()
    Table("outbox", metadata, *outbox_columns())
    Table("inbox", metadata, *inbox_columns())
    Table("credentials", metadata, *credentials_columns())
    return metadata
