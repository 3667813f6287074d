"""Pytest fixtures that give integration tests the real PostgreSQL and Kafka.

The session starts whatever is not already running (a `make run` stack is reused) and
stops at the end only what it started itself. Each test gets its own database and its own
topics, so tests never see each other's rows or messages.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from lending_devstack.settings import DevstackSettings
from lending_devstack.stack import Infra
from lending_devstack.topics import ensure_topics

# The test session's own servers: separate data and ports from the dev stack, so a test run
# neither disturbs nor is disturbed by a developer's `make run`. Explicit settings win.
TEST_PROFILE = {
    "LENDING_PROFILE": "test",
    "LENDING_PG_PORT": "54339",
    "LENDING_KAFKA_PORT": "29192",
    "LENDING_KAFKA_CONTROLLER_PORT": "29193",
}


# Tests run as a development environment (development keys allowed), unless told otherwise.
TEST_ENVIRONMENT = {"LENDING_ENVIRONMENT": "development"}


def pytest_configure(config: pytest.Config) -> None:
    if "LENDING_PROFILE" not in os.environ:
        for name, value in TEST_PROFILE.items():
            os.environ.setdefault(name, value)
    for name, value in TEST_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that needs the real servers is an integration test even if its module forgot
    to say so: `-m "not integration"` (make test-fast) then leaves it out instead of
    starting PostgreSQL and Kafka. Runs before pytest's own -m deselection."""
    for item in items:
        if "infra" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
                "integration"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def infra() -> Iterator[Infra]:
    stack = Infra(DevstackSettings())
    started_pg, started_kafka = stack.up(databases=())
    yield stack
    if started_kafka:
        stack.kafka.stop()
    if started_pg:
        stack.postgres.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(infra: Infra) -> str:
    return infra.s.kafka_bootstrap


@pytest.fixture
def database_factory(infra: Infra) -> Iterator[Callable[[], str]]:
    """Creates empty databases named test_<random>; returns their asyncpg SQLAlchemy URLs."""
    created: list[str] = []

    def make() -> str:
        name = f"test_{uuid.uuid4().hex[:12]}"
        infra.postgres.ensure_database(name)
        created.append(name)
        return infra.s.database_url(name)

    yield make
    for name in created:
        infra.postgres.drop_database(name)


@pytest.fixture
def database_url(database_factory: Callable[[], str]) -> str:
    return database_factory()


@pytest.fixture
def topic_factory(infra: Infra) -> Callable[..., str]:
    """Creates a fresh topic (and its .dlq twin) with a unique name; returns the name."""

    def make(prefix: str = "test", partitions: int = 3) -> str:
        name = f"{prefix}.{uuid.uuid4().hex[:10]}"
        coro = ensure_topics(infra.s.kafka_bootstrap, partitions, [name, name + ".dlq"])
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(coro)
        else:  # called from inside an async test: run on a private loop in a thread
            import concurrent.futures

            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, coro).result()
        return name

    return make
