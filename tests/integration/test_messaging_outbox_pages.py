"""Every service's outbox keeps the pages its relay has emptied, for the next burst, and the
migration that says so goes back cleanly."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from lending_platform.database import alembic_config

pytestmark = pytest.mark.integration
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


async def outbox_options(url: str) -> list[str] | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(text(
                "SELECT reloptions FROM pg_class WHERE oid = 'outbox'::regclass"))
    finally:
        await engine.dispose()


def before_outbox_pages(config: Config) -> str:
    """The revision just before the one that keeps the outbox's pages (later migrations may
    follow it: downgrading to this undoes them too)."""
    for script in ScriptDirectory.from_config(config).walk_revisions():
        if "keep_outbox_pages" in Path(script.path).read_text():
            assert isinstance(script.down_revision, str)
            return script.down_revision
    raise AssertionError("no migration keeps the outbox's pages")


@pytest.mark.parametrize("service", SERVICES)
async def test_the_outbox_keeps_its_emptied_pages(service, database_factory):
    package = importlib.import_module(f"lending_{service}")
    url = database_factory()
    migrations = Path(package.__file__).parent / "migrations"
    config = alembic_config(migrations, url)
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await outbox_options(url) == ["vacuum_truncate=false"]
    await asyncio.to_thread(command.downgrade, config, before_outbox_pages(config))
    assert await outbox_options(url) is None
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await outbox_options(url) == ["vacuum_truncate=false"]
