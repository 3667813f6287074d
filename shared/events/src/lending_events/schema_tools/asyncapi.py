"""The AsyncAPI 3.0 document generated from the registry: channels are topics, messages are
event types whose payload is the CloudEvents envelope around the event's JSON Schema."""

from __future__ import annotations

import uuid
from typing import Any

from lending_events.base import IntegrationEvent
from lending_events.registry import EVENT_TYPES, dataschema_uri, schema_name, to_envelope
from lending_events.samples import AT, sample_event
from lending_events.schema_tools.jsonschemas import ENVELOPE_NAME, key_description
from lending_events.topics import TOPIC_BY_SERVICE, dlq_topic

KAFKA_BINDING = "0.5.0"
CONTENT_TYPE = "application/cloudevents+json"
DESCRIPTION = (
    "Integration events of the microloan lending platform. Every message is a structured-mode "
    "CloudEvent (see Envelope.v1.json) whose `data` is the event. The Kafka key is the loan id "
    "(= application id), so one loan's events are ordered; BusinessDayClosed is keyed by the "
    "business date. Consumers ignore unknown fields and skip unknown event types. See "
    "docs/events.md."
)


def _message(cls: type[IntegrationEvent]) -> dict[str, Any]:
    example = to_envelope(sample_event(cls.event_type), source=f"/lending/{cls.producer}")
    example = example.model_copy(update={
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, dataschema_uri(cls))), "time": AT,
    })
    return {
        "name": cls.event_type,
        "title": cls.event_type,
        "summary": (cls.__doc__ or "").strip().split("\n")[0],
        "contentType": CONTENT_TYPE,
        "payload": {"allOf": [
            {"$ref": f"schemas/{ENVELOPE_NAME}.json"},
            {
                "type": "object",
                "required": ["type", "subject", "schemaversion", "data"],
                "properties": {
                    "type": {"const": cls.event_type},
                    "schemaversion": {"const": cls.schema_version},
                    "dataschema": {"const": dataschema_uri(cls)},
                    "data": {"$ref": f"schemas/{schema_name(cls)}.json"},
                },
            },
        ]},
        "bindings": {"kafka": {
            "key": {"type": "string", "description": key_description(cls)},
            "bindingVersion": KAFKA_BINDING,
        }},
        "examples": [{"name": "sample", "payload": example.model_dump(mode="json",
                                                                      exclude_none=True)}],
    }


def _channel(address: str, service: str, refs: dict[str, Any], dead: bool) -> dict[str, Any]:
    description = (
        f"Dead letters of {address.removesuffix('.dlq')}: messages a consumer could not "
        "handle after retries, unchanged, with the error in the Kafka headers."
        if dead else f"Events published by {service}, keyed by loan id."
    )
    return {
        "address": address,
        "description": description,
        "messages": refs,
        "bindings": {"kafka": {"topic": address, "bindingVersion": KAFKA_BINDING}},
    }


def build_asyncapi(version: str = "1.0.0") -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for service, topic in TOPIC_BY_SERVICE.items():
        names = [t for t, c in EVENT_TYPES.items() if c.producer == service]
        refs = {n: {"$ref": f"#/components/messages/{n}"} for n in names}
        channels[service] = _channel(topic, service, refs, dead=False)
        channels[f"{service}Dlq"] = _channel(dlq_topic(topic), service, refs, dead=True)
        operations[f"{service}Publishes"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{service}"},
            "summary": f"{service} publishes its events after commit (transactional outbox).",
            "messages": [{"$ref": f"#/channels/{service}/messages/{n}"} for n in names],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Lending platform integration events", "version": version,
                 "description": DESCRIPTION},
        "defaultContentType": CONTENT_TYPE,
        "servers": {"local": {"host": "localhost:9092", "protocol": "kafka",
                              "description": "The dev stack's single-node KRaft broker"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": {t: _message(c) for t, c in EVENT_TYPES.items()}},
    }
