"""Dead-letter records: the original key, value and headers plus the error, in headers."""

from __future__ import annotations

from datetime import UTC, datetime

from lending_events import dlq_topic
from lending_messaging.ports import ConsumedRecord, OutgoingMessage

PREFIX = "dlq."
ERROR_TYPE = "dlq.error.type"
ERROR_MESSAGE = "dlq.error.message"
ORIGINAL_TOPIC = "dlq.original.topic"
ORIGINAL_PARTITION = "dlq.original.partition"
ORIGINAL_OFFSET = "dlq.original.offset"
ATTEMPTS = "dlq.attempts"
FAILED_AT = "dlq.failed.at"
CONSUMER_GROUP = "dlq.consumer.group"
REPLAYED_FROM = "dlq.replayed.from"
REPLAYED_AT = "dlq.replayed.at"

ERROR_HEADERS = frozenset(
    {ERROR_TYPE, ERROR_MESSAGE, ORIGINAL_TOPIC, ORIGINAL_PARTITION, ORIGINAL_OFFSET, ATTEMPTS,
     FAILED_AT, CONSUMER_GROUP}
)
MAX_MESSAGE_CHARS = 2000


def dead_letter(
    record: ConsumedRecord, error: BaseException, attempts: int, group_id: str
) -> OutgoingMessage:
    kept = tuple((k, v) for k, v in record.headers if k not in ERROR_HEADERS)
    error_headers = {
        ERROR_TYPE: type(error).__name__,
        ERROR_MESSAGE: str(error)[:MAX_MESSAGE_CHARS],
        ORIGINAL_TOPIC: record.topic,
        ORIGINAL_PARTITION: str(record.partition),
        ORIGINAL_OFFSET: str(record.offset),
        ATTEMPTS: str(attempts),
        FAILED_AT: datetime.now(UTC).isoformat(),
        CONSUMER_GROUP: group_id,
    }
    return OutgoingMessage(
        topic=dlq_topic(record.topic),
        key=record.key,
        value=record.value,
        headers=kept + tuple((k, v.encode()) for k, v in error_headers.items()),
    )
