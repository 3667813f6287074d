"""JSON Schema documents generated from the models: one per event version, one for the envelope."""

from __future__ import annotations

import json
from typing import Any

from lending_events.base import IntegrationEvent
from lending_events.envelope import Envelope
from lending_events.registry import EVENT_TYPES, dataschema_uri, schema_name, topic_for

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE_NAME = "Envelope.v1"
LOAN_KEY = "Loan id (= application id): the envelope subject and the Kafka message key"
DATE_KEY = "Business date (ISO 8601) of the closed day: the envelope subject and the Kafka key"


def key_description(cls: type[IntegrationEvent]) -> str:
    own = getattr(cls, "kafka_key", None)
    if isinstance(own, str):
        return own
    return LOAN_KEY if "loan_id" in cls.model_fields else DATE_KEY


def event_schema(cls: type[IntegrationEvent]) -> dict[str, Any]:
    body = cls.model_json_schema(mode="validation")
    return {
        "$schema": DRAFT,
        "$id": dataschema_uri(cls),
        **body,
        "x-event-type": cls.event_type,
        "x-schema-version": cls.schema_version,
        "x-producer": cls.producer,
        "x-topic": topic_for(cls),
        "x-key": key_description(cls),
    }


def envelope_schema() -> dict[str, Any]:
    body = Envelope.model_json_schema(mode="validation")
    return {"$schema": DRAFT, "$id": "urn:lending:events:schema:" + ENVELOPE_NAME, **body}


def expected_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every schema the current models define."""
    files = {f"{ENVELOPE_NAME}.json": envelope_schema()}
    for cls in EVENT_TYPES.values():
        files[f"{schema_name(cls)}.json"] = event_schema(cls)
    return files


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
