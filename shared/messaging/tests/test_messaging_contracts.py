"""The messaging contract suites, run against the in-memory fakes and the real adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from lending_messaging.testing.contracts import ConsumerContract, InboxContract, PublisherContract
from lending_messaging.testing.harnesses import ConsumerHarness, InboxHarness, PublisherHarness
from lending_messaging.testing.memory_harnesses import (
    MemoryConsumerHarness,
    MemoryInboxHarness,
    MemoryPublisherHarness,
)
from lending_messaging.testing.real_harnesses import (
    KafkaPublisherHarness,
    PostgresInboxHarness,
    RealConsumerHarness,
    prepared_engine,
)


class TestInMemoryBroker(PublisherContract):
    @pytest.fixture
    def harness(self) -> PublisherHarness:
        return MemoryPublisherHarness()


class TestInMemoryInbox(InboxContract):
    @pytest.fixture
    def harness(self) -> InboxHarness:
        return MemoryInboxHarness()


class TestInMemoryConsumer(ConsumerContract):
    @pytest.fixture
    def harness(self) -> ConsumerHarness:
        return MemoryConsumerHarness()


@pytest.mark.integration
class TestKafkaEventPublisher(PublisherContract):
    @pytest.fixture
    async def harness(
        self, kafka_bootstrap: str, topic_factory: Callable[..., str]
    ) -> AsyncIterator[PublisherHarness]:
        harness = KafkaPublisherHarness(kafka_bootstrap, topic_factory)
        await harness.publisher.start()
        yield harness
        await harness.publisher.stop()


@pytest.mark.integration
class TestPostgresInbox(InboxContract):
    @pytest.fixture
    async def harness(self, database_url: str) -> AsyncIterator[InboxHarness]:
        engine = await prepared_engine(database_url)
        yield PostgresInboxHarness(engine)
        await engine.dispose()


@pytest.mark.integration
class TestKafkaConsumerRunner(ConsumerContract):
    @pytest.fixture
    async def harness(
        self, kafka_bootstrap: str, topic_factory: Callable[..., str], database_url: str
    ) -> AsyncIterator[ConsumerHarness]:
        engine = await prepared_engine(database_url)
        harness = RealConsumerHarness(kafka_bootstrap, topic_factory(), engine)
        await harness.setup()
        yield harness
        await harness.teardown()
        await engine.dispose()
