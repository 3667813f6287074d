"""Every service's migrations build exactly the schema its code describes: an edit to a
service's ``adapters/orm.py`` without a new revision (or a revision the tables do not
describe) shows up here, for all five services."""

import importlib

import pytest

from lending_platform.testing import running, schema_differences

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Did not recognize type .xid8.")]
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


@pytest.mark.parametrize("name", SERVICES)
async def test_the_migrated_schema_of_each_service_is_the_one_its_code_describes(
        service_app, name):
    orm = importlib.import_module(f"lending_{name}.adapters.orm")
    app = service_app(name, run_background_workers=False)
    async with running(app):
        assert await schema_differences(app.state.runtime.engine, orm.metadata) == []
