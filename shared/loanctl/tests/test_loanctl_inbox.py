"""`loanctl inbox prune`: only rows older than the retention go, in batches; a retention
shorter than a dead letter's life is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from lending_messaging import create_tables
from lending_messaging.retention import prune_inbox
from loanctl.main import app

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


async def seed(url: str, ages_in_days: list[int]) -> None:
    engine = create_async_engine(url)
    await create_tables(engine)
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE inbox"))
        await conn.execute(
            text("INSERT INTO inbox (consumer_group, event_id, handled_at) "
                 "SELECT 'g', 'e-' || n, CAST(:now AS timestamptz) - make_interval(days => a) "
                 "FROM unnest(CAST(:ages AS int[])) WITH ORDINALITY AS x(a, n)"),
            {"now": NOW, "ages": ages_in_days})
    await engine.dispose()


async def kept_ages(url: str) -> list[int]:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT round(extract(epoch FROM CAST(:now AS timestamptz) - handled_at) / 86400) "
            "FROM inbox ORDER BY 1"), {"now": NOW})).scalars().all()
    await engine.dispose()
    return [int(r) for r in rows]


def test_prune_keeps_what_a_redelivery_could_need(database_url: str) -> None:
    asyncio.run(seed(database_url, [0, 30, 89, 119, 121, 200, 400] * 3))
    engine = create_async_engine(database_url)

    async def prune() -> int:
        try:  # batches of 2 rows: the loop, not one statement, has to find them all
            return await prune_inbox(engine, timedelta(days=120), batch_size=2, now=NOW)
        finally:
            await engine.dispose()

    assert asyncio.run(prune()) == 9
    assert asyncio.run(kept_ages(database_url)) == sorted([0, 30, 89, 119] * 3)


def test_the_cli_prunes_and_refuses_a_dangerous_retention(database_url: str) -> None:
    asyncio.run(seed(database_url, [10, 100, 150]))
    cli = CliRunner()
    refused = cli.invoke(app, ["inbox", "prune", "ledger", "--older-than-days", "30",
                               "--database-url", database_url])
    assert refused.exit_code == 2 and "--older-than-days" in refused.output
    assert asyncio.run(kept_ages(database_url)) == [10, 100, 150]
    done = cli.invoke(app, ["inbox", "prune", "ledger", "--older-than-days", "91",
                            "--database-url", database_url])
    assert done.exit_code == 0, done.output
    assert "2 inbox rows" in done.output
    assert asyncio.run(kept_ages(database_url)) == [10]
    unknown = cli.invoke(app, ["inbox", "prune", "payroll", "--database-url", database_url])
    assert unknown.exit_code == 2 and "service" in unknown.output
