"""`loanctl cob run` against a real servicing database: closes each missing business day in
order, once, and says so."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from loanctl.commands.cob import cli_actor
from loanctl.main import app

pytestmark = pytest.mark.integration


async def closed_days(url: str) -> list[tuple[str, str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT business_date, convert_from(o.payload, 'UTF8')::jsonb->>'type' "
                "FROM business_days b JOIN outbox o "
                "ON o.key = b.business_date::text ORDER BY business_date"))
            return [(str(r[0]), r[1]) for r in rows]
    finally:
        await engine.dispose()


def test_cob_run_closes_each_missing_day_once(database_url: str) -> None:
    cli = CliRunner()
    env = {"SERVICING_DATABASE_URL": database_url,
           "SERVICING_INITIAL_BUSINESS_DATE": "2025-03-01"}
    first = cli.invoke(app, ["cob", "run", "--as-of", "2025-03-01", "--json"], env=env)
    assert first.exit_code == 0, first.output
    assert [d["business_date"] for d in json.loads(first.stdout)["closed"]] == ["2025-03-01"]
    more = cli.invoke(app, ["cob", "run", "--as-of", "2025-03-04"], env=env)
    assert more.exit_code == 0, more.output
    assert "closed 2025-03-04" in more.output and "business date is now 2025-03-05" in more.output
    again = cli.invoke(app, ["cob", "run", "--as-of", "2025-03-04"], env=env)
    assert again.exit_code == 0 and "nothing to close" in again.output
    assert asyncio.run(closed_days(database_url)) == [
        (f"2025-03-0{n}", "BusinessDayClosed") for n in range(1, 5)]
    status = cli.invoke(app, ["cob", "status", "--json"], env=env)
    assert json.loads(status.output)["business_date"] == "2025-03-05"


def test_a_multi_day_catch_up_says_each_day_as_it_closes_unless_quiet(
        database_url: str) -> None:
    cli = CliRunner()
    env = {"SERVICING_DATABASE_URL": database_url,
           "SERVICING_INITIAL_BUSINESS_DATE": "2025-03-03"}
    assert cli.invoke(app, ["cob", "run", "--as-of", "2025-03-03"], env=env).exit_code == 0
    loud = cli.invoke(app, ["cob", "run", "--as-of", "2025-03-06"], env=env)
    assert loud.exit_code == 0, loud.output
    progress = [line.split(" in ")[0] for line in loud.stderr.splitlines()]
    assert progress == ["[1/3] closed 2025-03-04", "[2/3] closed 2025-03-05",
                        "[3/3] closed 2025-03-06"]
    assert "closed 3 business days, 2025-03-04 to 2025-03-06" in loud.stdout
    quiet = cli.invoke(app, ["cob", "run", "--as-of", "2025-03-07", "--quiet"], env=env)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == "" and "closed 2025-03-07 in" in quiet.stdout


def test_cob_run_refuses_a_date_that_is_not_a_date(database_url: str) -> None:
    result = CliRunner().invoke(app, ["cob", "run", "--as-of", "31/03/2025"],
                                env={"SERVICING_DATABASE_URL": database_url})
    assert result.exit_code == 2 and "is not a date" in result.output


def test_cob_run_that_cannot_reach_the_database_says_so_in_one_line_and_exits_1() -> None:
    result = CliRunner().invoke(app, ["cob", "run", "--as-of", "2025-03-01"], env={
        "SERVICING_DATABASE_URL": "postgresql+asyncpg://nobody:x@127.0.0.1:1/servicing"})
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # not an error escaping as a traceback
    assert result.output.startswith("error: cannot reach servicing's database")
    assert result.output.count("\n") == 1


def test_cob_run_ahead_of_today_needs_the_override_and_records_who_ran_it(
        database_url: str) -> None:
    cli = CliRunner()
    today = datetime.now(UTC).date()  # SERVICING_TIME_ZONE defaults to UTC
    env = {"SERVICING_DATABASE_URL": database_url,
           "SERVICING_INITIAL_BUSINESS_DATE": today.isoformat()}
    ahead = (today + timedelta(days=2)).isoformat()
    refused = cli.invoke(app, ["cob", "run", "--as-of", ahead], env=env)
    assert refused.exit_code == 1, refused.output
    assert "later than today's date" in refused.output and "Traceback" not in refused.output
    assert cli.invoke(app, ["cob", "run", "--as-of", today.isoformat()], env=env).exit_code == 0
    done = cli.invoke(app, ["cob", "run", "--as-of", ahead, "--allow-future-date", "--json"],
                      env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["closed"][-1]["business_date"] == ahead
    rows = asyncio.run(calendar_rows(database_url))
    assert [r[1] for r in rows] == [False, True, True]  # today, then two days ahead
    assert {r[0] for r in rows} == {cli_actor()} and cli_actor().startswith("loanctl:")


async def calendar_rows(url: str) -> list[tuple[str, bool]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT closed_by, ahead_of_wall_clock FROM business_days "
                "ORDER BY business_date"))
            return [(r[0], r[1]) for r in rows]
    finally:
        await engine.dispose()
