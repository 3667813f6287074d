"""loanctl beside `make run` needs no exported environment; pointed anywhere else, it
assumes nothing."""

from __future__ import annotations

import pytest

from loanctl.local import default_to_development


def test_loanctl_against_the_local_stack_runs_as_development():
    environ: dict[str, str] = {"PATH": "/usr/bin"}
    assert default_to_development(environ) is True
    assert environ["LENDING_ENVIRONMENT"] == "development"


@pytest.mark.parametrize("pointer", [
    {"LENDING_ENVIRONMENT": "production"},
    {"INTAKE_ENVIRONMENT": "Production"},
    {"INTAKE_DATABASE_URL": "postgresql+asyncpg://db.prod:5432/intake"},
    {"LENDING_PG_ADMIN_URL": "postgresql://admin@db.prod:5432/postgres"},
])
def test_loanctl_pointed_at_another_server_or_environment_keeps_production_rules(pointer):
    environ = dict(pointer)
    assert default_to_development(environ) is False
    assert environ == pointer
