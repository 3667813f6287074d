"""Intake's migrations build exactly the schema its code describes (migration 0003 is frozen
DDL, so an edit to adapters/orm.py without a new revision shows up here)."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lending_intake.adapters import orm
from lending_platform.testing import running

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Did not recognize type .xid8.")]


async def test_the_migrated_schema_is_the_one_the_code_describes(service_app):
    app = service_app("intake")

    def differences(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_server_default": True})
        return compare_metadata(context, orm.metadata)

    async with running(app):
        async with app.state.runtime.engine.connect() as conn:
            diff = await conn.run_sync(differences)
    assert diff == []
