"""`loanctl dlq` against the real broker: list what failed and why, replay it safely."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from lending_events import Envelope
from lending_messaging import KafkaEventPublisher, OutgoingMessage
from lending_messaging.dead_letters import REPLAYED_FROM, dead_letter
from lending_messaging.ports import ConsumedRecord
from lending_messaging.testing.real_harnesses import read_records
from loanctl.commands.dlq import app

pytestmark = pytest.mark.integration


def seed_dead_letters(bootstrap: str, topic: str) -> list[Envelope]:
    events = [
        Envelope(source="ledger", type="PaymentApplied", subject=f"loan-{n}") for n in range(3)
    ]

    async def publish() -> None:
        publisher = KafkaEventPublisher(bootstrap)
        await publisher.start()
        letters: list[OutgoingMessage] = [
            dead_letter(
                ConsumedRecord(topic, 0, 10 + n, e.subject.encode(), e.to_bytes()),
                ValueError(f"bad payment {n}"), 3, "servicing",
            )
            for n, e in enumerate(events)
        ]
        await publisher.publish(letters)
        await publisher.stop()

    asyncio.run(publish())
    return events


def test_dead_letters_are_listed_with_their_error_and_replayed_to_the_original_topic(
    kafka_bootstrap: str, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory()
    events = seed_dead_letters(kafka_bootstrap, topic)
    cli, env = CliRunner(), {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}

    listed = cli.invoke(app, ["list", topic, "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    letters = json.loads(listed.output)
    assert sorted(d["key"] for d in letters) == ["loan-0", "loan-1", "loan-2"]
    first = next(d for d in letters if d["key"] == "loan-0")
    assert first["event_type"] == "PaymentApplied" and first["error_type"] == "ValueError"
    assert first["error_message"] == "bad payment 0" and first["attempts"] == 3
    assert first["original_topic"] == topic and first["original_offset"] == 10
    assert first["consumer_group"] == "servicing"

    table = cli.invoke(app, ["list", topic + ".dlq"], env=env)
    assert table.exit_code == 0 and "bad payment 1" in table.output

    replay = cli.invoke(app, ["replay", topic, "--offset", first["ref"]], env=env)
    assert replay.exit_code == 0, replay.output
    assert "1 replayed" in replay.output
    [back] = asyncio.run(read_records(kafka_bootstrap, topic, 1, wait_seconds=5))
    assert back.value == events[0].to_bytes() and back.key == b"loan-0"
    headers = dict(back.headers)
    assert headers[REPLAYED_FROM].decode() == f"{topic}.dlq:{first['ref']}"
    assert "dlq.error.type" not in headers

    everything = cli.invoke(app, ["replay", topic, "--all"], env=env)
    assert everything.exit_code == 0 and "3 replayed" in everything.output


def test_replay_needs_a_choice_and_refuses_unknown_offsets(
    kafka_bootstrap: str, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory()
    seed_dead_letters(kafka_bootstrap, topic)
    cli, env = CliRunner(), {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap}
    assert cli.invoke(app, ["replay", topic], env=env).exit_code == 2
    unknown = cli.invoke(app, ["replay", topic, "--offset", "0:999"], env=env)
    assert unknown.exit_code == 2 and "no dead letter at 0:999" in unknown.output
    assert cli.invoke(app, ["list", "no.such.topic"], env=env).exit_code == 2
