"""The topic registry: one topic per producing service, each with a dead-letter twin."""

from __future__ import annotations

INTAKE = "lending.intake.v1"
UNDERWRITING = "lending.underwriting.v1"
LEDGER = "lending.ledger.v1"
SERVICING = "lending.servicing.v1"
COLLECTIONS = "lending.collections.v1"

TOPIC_BY_SERVICE: dict[str, str] = {
    "intake": INTAKE,
    "underwriting": UNDERWRITING,
    "ledger": LEDGER,
    "servicing": SERVICING,
    "collections": COLLECTIONS,
}

DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def all_topics() -> list[str]:
    """Every topic the platform needs, dead-letter topics included."""
    main = list(TOPIC_BY_SERVICE.values())
    return main + [dlq_topic(t) for t in main]
