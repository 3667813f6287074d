"""Reliable messaging for every service: transactional outbox and relay, inbox consumer
runner, dead letters, message context. See docs/messaging.md."""

from lending_messaging.context import (
    MessageContext,
    context_from_envelope,
    context_from_headers,
    current_context,
    use_context,
)
from lending_messaging.inbox import InMemoryInbox, PostgresInbox
from lending_messaging.kafka_publisher import KafkaEventPublisher
from lending_messaging.memory_broker import InMemoryBroker
from lending_messaging.memory_consumer import InMemoryConsumer
from lending_messaging.outbox import add_many_to_outbox, add_to_outbox
from lending_messaging.ports import (
    BatchHandler,
    ConsumedRecord,
    EventPublisher,
    Handler,
    Inbox,
    LockOrder,
    OutgoingMessage,
    PublishError,
)
from lending_messaging.processing import MalformedEnvelopeError, ProcessingStats, RetryPolicy
from lending_messaging.relay import OutboxRelay, RelayLockedError
from lending_messaging.runner import ConsumerRunner
from lending_messaging.tables import create_tables, inbox, metadata, outbox
from lending_messaging.transient import (
    TransientFailureError,
    TransientRetry,
    is_transient,
    retry_transient,
)

__all__ = [
    "BatchHandler",
    "ConsumedRecord",
    "ConsumerRunner",
    "EventPublisher",
    "Handler",
    "InMemoryBroker",
    "InMemoryConsumer",
    "InMemoryInbox",
    "Inbox",
    "KafkaEventPublisher",
    "LockOrder",
    "MalformedEnvelopeError",
    "MessageContext",
    "OutboxRelay",
    "OutgoingMessage",
    "PostgresInbox",
    "ProcessingStats",
    "PublishError",
    "RelayLockedError",
    "RetryPolicy",
    "TransientFailureError",
    "TransientRetry",
    "add_many_to_outbox",
    "add_to_outbox",
    "context_from_envelope",
    "context_from_headers",
    "create_tables",
    "current_context",
    "inbox",
    "is_transient",
    "metadata",
    "outbox",
    "retry_transient",
    "use_context",
]
