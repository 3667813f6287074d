"""`loanctl operators` acts only on operators and `loanctl partners` only on partners: a name
the other kind also uses never revokes or rotates the other kind's keys."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from loanctl.main import app

pytestmark = pytest.mark.integration


def loanctl(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"INTAKE_DATABASE_URL": url})
    return result.exit_code, result.output


def created(url: str, *args: str) -> str:
    code, out = loanctl(url, *args, "--json")
    assert code == 0, out
    body = json.loads(out)
    return str(body.get("partner_id") or body["operator_id"])


def live_keys(url: str, principal_id: str) -> int:
    async def count() -> int:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return int(await conn.scalar(text(
                    "SELECT count(*) FROM credentials WHERE principal_id = :p "
                    "AND revoked_at IS NULL"), {"p": principal_id}))
        finally:
            await engine.dispose()

    return asyncio.run(count())


def test_operators_revoke_never_revokes_a_lending_partner_of_that_name(database_url):
    partner = created(database_url, "partners", "create", "Acme Loans")
    code, out = loanctl(database_url, "operators", "revoke", "Acme Loans")
    assert code == 1 and "no operator 'Acme Loans'" in out
    code, out = loanctl(database_url, "operators", "revoke", partner)
    assert code == 1 and f"no operator {partner!r}" in out
    assert live_keys(database_url, partner) == 1


def test_operators_rotate_never_issues_a_partner_key(database_url):
    partner = created(database_url, "partners", "create", "Acme Loans")
    code, out = loanctl(database_url, "operators", "rotate", "Acme Loans", "--json")
    assert code == 1 and "no operator" in out and "api_key" not in out
    assert live_keys(database_url, partner) == 1


def test_partners_commands_never_touch_an_operator(database_url):
    operator = created(database_url, "operators", "create", "Ann", "--role", "servicer")
    for verb in ("revoke", "rotate"):
        code, out = loanctl(database_url, "partners", verb, "Ann")
        assert code == 1 and "no partner 'Ann'" in out
    assert live_keys(database_url, operator) == 1


def test_a_partner_and_an_operator_of_one_name_are_each_revoked_by_their_own_command(
        database_url):
    partner = created(database_url, "partners", "create", "Sam")
    operator = created(database_url, "operators", "create", "Sam", "--role", "collector")
    code, out = loanctl(database_url, "operators", "revoke", "Sam")
    assert code == 0, out
    assert live_keys(database_url, operator) == 0 and live_keys(database_url, partner) == 1
    code, out = loanctl(database_url, "partners", "rotate", "Sam", "--json")
    assert code == 0 and json.loads(out)["partner_id"] == partner
    assert live_keys(database_url, partner) == 1 and live_keys(database_url, operator) == 0
