import importlib
import uuid
from collections.abc import Callable

import pytest
from fastapi import FastAPI

SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


@pytest.fixture
def service_app(database_factory: Callable[[], str], kafka_bootstrap: str):
    """Builds a service's real app on a fresh database with a private consumer group."""

    def make(name: str, **overrides: object) -> FastAPI:
        config = importlib.import_module(f"lending_{name}.config")
        entry = importlib.import_module(f"lending_{name}.entrypoints.app")
        values: dict[str, object] = {
            "kafka_bootstrap_servers": kafka_bootstrap,
            "consumer_group": f"test-{name}-{uuid.uuid4().hex[:8]}",
            "log_json": False,
            # Most tests put keys straight into the projection (issue_operator_key) and need
            # no proof of its freshness; the tests of that proof turn it on.
            "credential_max_staleness_seconds": 0,
            **overrides,
        }
        values.setdefault("database_url", database_factory())
        settings = config.Settings(**values)
        return entry.create_app(settings)

    return make
