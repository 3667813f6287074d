"""The integration event contract of the lending platform (see docs/events.md)."""

from lending_events.base import Breakdown, IntegrationEvent, LoanEvent
from lending_events.envelope import Envelope, new_event_id
from lending_events.money import (
    Amount,
    CurrencyCode,
    MoneyFormatError,
    Rate,
    from_minor_units,
    minor_digits,
    to_minor_units,
)
from lending_events.registry import (
    EVENT_TYPES,
    UnknownEventTypeError,
    UnsupportedSchemaVersionError,
    dataschema_uri,
    event_class,
    parse_event,
    to_envelope,
    topic_for,
)
from lending_events.terms import ContractTerms, FeeTerm, GraceTerms, Installment, PenaltyRule, Term
from lending_events.topics import TOPIC_BY_SERVICE, all_topics, dlq_topic
from lending_events.upcasting import MissingUpcasterError, upcaster

__all__ = [
    "EVENT_TYPES",
    "TOPIC_BY_SERVICE",
    "Amount",
    "Breakdown",
    "ContractTerms",
    "CurrencyCode",
    "Envelope",
    "FeeTerm",
    "GraceTerms",
    "Installment",
    "IntegrationEvent",
    "LoanEvent",
    "MissingUpcasterError",
    "MoneyFormatError",
    "PenaltyRule",
    "Rate",
    "Term",
    "UnknownEventTypeError",
    "UnsupportedSchemaVersionError",
    "all_topics",
    "dataschema_uri",
    "dlq_topic",
    "event_class",
    "from_minor_units",
    "minor_digits",
    "new_event_id",
    "parse_event",
    "to_envelope",
    "to_minor_units",
    "topic_for",
    "upcaster",
]
