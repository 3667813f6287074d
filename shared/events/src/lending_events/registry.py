"""The event registry: event type -> model, topics, envelope wrapping and parsing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from lending_events import (
    collections_events,
    credentials,
    intake,
    ledger,
    servicing,
    underwriting,
)
from lending_events.base import IntegrationEvent
from lending_events.envelope import Envelope
from lending_events.topics import TOPIC_BY_SERVICE
from lending_events.upcasting import Upcaster, upcast

SCHEMA_URI_PREFIX = "urn:lending:events:schema:"


class UnknownEventTypeError(LookupError):
    """The envelope's type is not in the registry: consumers log and skip it."""

    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type


class UnsupportedSchemaVersionError(ValueError):
    """The envelope is newer than this consumer's model: deploy a newer lending-events."""

    def __init__(self, event_type: str, version: int, supported: int) -> None:
        super().__init__(f"{event_type} v{version} is newer than the supported v{supported}")
        self.event_type = event_type
        self.version = version


def _build_registry() -> dict[str, type[IntegrationEvent]]:
    registry: dict[str, type[IntegrationEvent]] = {}
    for module in (intake, credentials, underwriting, ledger, servicing, collections_events):
        for cls in module.EVENTS:
            if cls.event_type in registry:
                raise RuntimeError(f"event type {cls.event_type} registered twice")
            registry[cls.event_type] = cls
    return registry


EVENT_TYPES: dict[str, type[IntegrationEvent]] = _build_registry()


def event_class(event_type: str) -> type[IntegrationEvent]:
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventTypeError(event_type) from None


def topic_for(event_type: str | type[IntegrationEvent]) -> str:
    """The topic of the service that produces ``event_type``."""
    cls = event_class(event_type) if isinstance(event_type, str) else event_type
    return TOPIC_BY_SERVICE[cls.producer]


def schema_name(cls: type[IntegrationEvent]) -> str:
    return f"{cls.event_type}.v{cls.schema_version}"


def dataschema_uri(cls: type[IntegrationEvent]) -> str:
    return SCHEMA_URI_PREFIX + schema_name(cls)


def to_envelope(
    event: IntegrationEvent,
    *,
    source: str,
    correlationid: str | None = None,
    causationid: str | None = None,
    traceparent: str | None = None,
    businessdate: date | None = None,
) -> Envelope:
    """Wrap ``event``. Without an explicit ``businessdate``, an event's own ``business_date``
    field (BusinessDayClosed, InterestAccrued) is used."""
    cls = type(event)
    if businessdate is None:
        own = getattr(event, "business_date", None)
        businessdate = own if isinstance(own, date) else None
    return Envelope(
        source=source,
        type=cls.event_type,
        subject=event.subject,
        dataschema=dataschema_uri(cls),
        correlationid=correlationid,
        causationid=causationid,
        traceparent=traceparent,
        businessdate=businessdate,
        schemaversion=cls.schema_version,
        data=event.model_dump(mode="json"),
    )


def parse_event(
    envelope: Envelope,
    *,
    types: Mapping[str, type[IntegrationEvent]] | None = None,
    upcasters: Mapping[tuple[str, int], Upcaster] | None = None,
) -> IntegrationEvent:
    """The current model for ``envelope``, upcasting older versions first.

    Raises UnknownEventTypeError (skip it), UnsupportedSchemaVersionError,
    MissingUpcasterError, or pydantic's ValidationError for a malformed payload.
    """
    registry = EVENT_TYPES if types is None else types
    cls = registry.get(envelope.type)
    if cls is None:
        raise UnknownEventTypeError(envelope.type)
    version = envelope.schemaversion
    if version > cls.schema_version:
        raise UnsupportedSchemaVersionError(cls.event_type, version, cls.schema_version)
    data = upcast(cls.event_type, envelope.data, version, cls.schema_version, upcasters)
    return cls.model_validate(data)
