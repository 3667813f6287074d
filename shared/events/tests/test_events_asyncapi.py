from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lending_events import EVENT_TYPES, all_topics, topic_for
from lending_events.schema_tools.yamlout import to_yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "asyncapi.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_document_is_asyncapi_3(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] and document["info"]["version"]


def test_every_topic_is_a_channel(document: dict[str, Any]) -> None:
    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == set(all_topics())


def test_every_event_is_a_message_on_its_producers_channel(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    assert set(messages) == set(EVENT_TYPES)
    by_address = {c["address"]: c for c in document["channels"].values()}
    for event_type in EVENT_TYPES:
        channel = by_address[topic_for(event_type)]
        assert _resolve(document, channel["messages"][event_type]["$ref"]) is not None


def test_each_message_describes_its_payload_schema_and_kafka_key(
    document: dict[str, Any],
) -> None:
    for event_type, message in document["components"]["messages"].items():
        envelope_ref, specific = message["payload"]["allOf"]
        assert (ROOT / envelope_ref["$ref"]).exists()
        assert (ROOT / specific["properties"]["data"]["$ref"]).exists()
        assert specific["properties"]["type"]["const"] == event_type
        key = message["bindings"]["kafka"]["key"]
        expected = {"BusinessDayClosed": "business date", "CredentialIssued": "partner or operator",
                    "CredentialRevoked": "partner or operator"}.get(event_type, "loan id")
        assert expected in key["description"].lower()


def test_operations_reference_existing_channels_and_messages(document: dict[str, Any]) -> None:
    for operation in document["operations"].values():
        assert operation["action"] == "send"
        _resolve(document, operation["channel"]["$ref"])
        for message in operation["messages"]:
            _resolve(document, message["$ref"])


def test_the_yaml_emitter_round_trips_awkward_scalars() -> None:
    data = {"$ref": "#/x", "on": "yes", "n": ["3.0.0", "", "a: b", "null", 7, True, None],
            "nested": [{"a": 1, "b": [{"c": "d"}]}, []], "empty": {}}
    assert yaml.safe_load(to_yaml(data)) == data
