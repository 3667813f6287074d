"""Dead-letter tooling: list the dead letters of a topic and replay them to it.

Replay is safe because every consumer is idempotent through its inbox: a replayed event
that was in fact handled is skipped, one that was not is handled now.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer

from lending_events import dlq_topic
from lending_events.topics import DLQ_SUFFIX
from lending_messaging import dead_letters as h
from lending_messaging.kafka_admin import UnknownTopicError, topic_partitions
from lending_messaging.kafka_publisher import KafkaEventPublisher
from lending_messaging.ports import OutgoingMessage


class UnknownDeadLetterError(LookupError):
    pass


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: str | None
    event_type: str | None
    error_type: str | None
    error_message: str | None
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    attempts: int | None
    failed_at: str | None
    consumer_group: str | None
    replayed_from: str | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @property
    def ref(self) -> str:
        return f"{self.partition}:{self.offset}"

    def summary(self) -> dict[str, object]:
        data = asdict(self)
        data.pop("value")
        data.pop("headers")
        data["ref"] = self.ref
        return data


def main_topic(topic: str) -> str:
    return topic[: -len(DLQ_SUFFIX)] if topic.endswith(DLQ_SUFFIX) else topic


def _event_type(value: bytes, headers: dict[str, str]) -> str | None:
    if "ce_type" in headers:
        return headers["ce_type"]
    try:
        found = json.loads(value).get("type")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


def _parse(topic: str, partition: int, offset: int, key: bytes | None, value: bytes,
           headers: tuple[tuple[str, bytes], ...]) -> DeadLetter:
    hd = {k: v.decode(errors="replace") for k, v in headers}
    return DeadLetter(
        partition=partition, offset=offset,
        key=key.decode(errors="replace") if key is not None else None,
        event_type=_event_type(value, hd),
        error_type=hd.get(h.ERROR_TYPE), error_message=hd.get(h.ERROR_MESSAGE),
        original_topic=hd.get(h.ORIGINAL_TOPIC, topic),
        original_partition=_int(hd.get(h.ORIGINAL_PARTITION)),
        original_offset=_int(hd.get(h.ORIGINAL_OFFSET)),
        attempts=_int(hd.get(h.ATTEMPTS)), failed_at=hd.get(h.FAILED_AT),
        consumer_group=hd.get(h.CONSUMER_GROUP), replayed_from=hd.get(h.REPLAYED_FROM),
        value=value, headers=headers,
    )


async def list_dead_letters(
    bootstrap_servers: str, topic: str, limit: int | None = None
) -> list[DeadLetter]:
    """The dead letters of ``topic`` (or of ``topic`` given as its .dlq name), oldest first
    per partition; reads without a consumer group, so listing commits nothing."""
    source, dlq = main_topic(topic), dlq_topic(main_topic(topic))
    try:
        tps = await topic_partitions(bootstrap_servers, dlq)
    except UnknownTopicError as exc:
        raise UnknownDeadLetterError(f"no dead-letter topic {dlq!r}") from exc
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        found: list[DeadLetter] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining and (limit is None or len(found) < limit):
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                for r in records:
                    if r.offset < ends[tp]:
                        found.append(_parse(source, r.partition, r.offset, r.key,
                                            r.value or b"", tuple(r.headers)))
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        found.sort(key=lambda d: (d.partition, d.offset))
        return found[:limit] if limit is not None else found
    finally:
        await consumer.stop()


def _replayed(letter: DeadLetter, dlq: str) -> OutgoingMessage:
    kept = tuple((k, v) for k, v in letter.headers if not k.startswith(h.PREFIX))
    extra = {h.REPLAYED_FROM: f"{dlq}:{letter.ref}", h.REPLAYED_AT: datetime.now(UTC).isoformat()}
    return OutgoingMessage(
        topic=letter.original_topic,
        key=letter.key.encode() if letter.key is not None else None,
        value=letter.value,
        headers=kept + tuple((k, v.encode()) for k, v in extra.items()),
    )


def select(letters: list[DeadLetter], refs: Iterable[str]) -> list[DeadLetter]:
    """Picks dead letters by ``PARTITION:OFFSET`` or by a bare offset if that is unambiguous."""
    chosen: list[DeadLetter] = []
    for ref in refs:
        matches = [d for d in letters if ref == d.ref or (":" not in ref and ref == str(d.offset))]
        if not matches:
            raise UnknownDeadLetterError(f"no dead letter at {ref}")
        if len(matches) > 1:
            refs_found = ", ".join(d.ref for d in matches)
            raise UnknownDeadLetterError(f"offset {ref} is ambiguous: use one of {refs_found}")
        chosen.append(matches[0])
    return chosen


async def replay_dead_letters(
    bootstrap_servers: str, topic: str, refs: Iterable[str] | None = None
) -> list[DeadLetter]:
    """Re-publishes the chosen dead letters (all when ``refs`` is None) to their original
    topic with their original key, value and headers, plus where they were replayed from."""
    letters = await list_dead_letters(bootstrap_servers, topic)
    chosen = letters if refs is None else select(letters, refs)
    if not chosen:
        return []
    publisher = KafkaEventPublisher(bootstrap_servers)
    await publisher.start()
    try:
        dlq = dlq_topic(main_topic(topic))
        await publisher.publish([_replayed(d, dlq) for d in chosen])
    finally:
        await publisher.stop()
    return chosen
