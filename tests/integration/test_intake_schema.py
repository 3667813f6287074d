"""Intake's migrations build exactly the schema its code describes (migration 0003 is frozen
DDL, so an edit to adapters/orm.py without a new revision shows up here)."""

import pytest

from lending_intake.adapters import orm
from lending_platform.testing import running, schema_differences

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Did not recognize type .xid8.")]


async def test_the_migrated_schema_is_the_one_the_code_describes(service_app):
    app = service_app("intake")
    async with running(app):
        assert await schema_differences(app.state.runtime.engine, orm.metadata) == []
