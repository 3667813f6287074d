"""Every service's outbox keeps the pages its relay has emptied, for the next burst, and the
migration that says so goes back cleanly."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import pytest
from alembic import command
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


def before_keeping_pages(migrations: Path) -> str:
    """The revision before the one that keeps the outbox's pages (later ones may follow it)."""
    for path in sorted((migrations / "versions").glob("*.py")):
        source = path.read_text()
        if "keep_outbox_pages(op)" in source:
            return source.split('down_revision = "', 1)[1].split('"', 1)[0]
    raise AssertionError(f"no migration in {migrations} keeps the outbox's pages")


@pytest.mark.parametrize("service", SERVICES)
async def test_the_outbox_keeps_its_emptied_pages(service, database_factory):
    package = importlib.import_module(f"lending_{service}")
    url = database_factory()
    migrations = Path(package.__file__).parent / "migrations"
    config = alembic_config(migrations, url)
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await outbox_options(url) == ["vacuum_truncate=false"]
    await asyncio.to_thread(command.downgrade, config, before_keeping_pages(migrations))
    assert await outbox_options(url) is None
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await outbox_options(url) == ["vacuum_truncate=false"]
