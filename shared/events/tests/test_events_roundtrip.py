from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from lending_events import (
    EVENT_TYPES,
    TOPIC_BY_SERVICE,
    Envelope,
    UnknownEventTypeError,
    parse_event,
    to_envelope,
    topic_for,
)
from lending_events.samples import LOAN_ID, sample_event
from lending_events.servicing import BusinessDayClosed

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
ALL_TYPES = sorted(EVENT_TYPES)

DESIGN_EVENTS = {
    "intake": "ApplicationSubmitted DocumentsReceived OfferAccepted ApplicationWithdrawn "
    "CredentialIssued CredentialRevoked",
    "underwriting": "ScoreComputed LoanApproved ApplicationDeclined ApplicationReferred",
    "ledger": "LoanBooked Disbursed DisbursementFailed PaymentApplied PaymentReversed "
    "FeeCharged InterestAccrued LoanRestructured LoanWrittenOff RecoveryApplied LoanClosed",
    "servicing": "BusinessDayClosed PaymentReceived InstallmentDueSoon PaymentMissed "
    "DelinquencyChanged LoanMatured",
    "collections": "EarlyWarningRaised CollectionCaseOpened CollectionActionTaken "
    "PromiseToPayRecorded PromiseToPayKept PromiseToPayBroken RestructureRequested "
    "WriteOffRequested CollectionCaseClosed",
}


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_the_registry_holds_exactly_the_events_each_service_publishes_by_design() -> None:
    for service, names in DESIGN_EVENTS.items():
        produced = {t for t, cls in EVENT_TYPES.items() if cls.producer == service}
        assert produced == set(names.split()), service
        assert all(topic_for(t) == TOPIC_BY_SERVICE[service] for t in produced)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_survives_the_envelope_and_the_wire_unchanged(event_type: str) -> None:
    event = sample_event(event_type)
    envelope = to_envelope(event, source="/lending/test", correlationid="corr-1",
                           causationid="cause-1", businessdate=date(2025, 2, 16))
    received = Envelope.from_bytes(envelope.to_bytes())
    assert received == envelope
    assert parse_event(received) == event
    assert received.type == event_type
    assert received.schemaversion == type(event).schema_version
    assert received.dataschema == f"urn:lending:events:schema:{event_type}.v1"
    assert received.correlationid == "corr-1" and received.causationid == "cause-1"


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_on_the_wire_matches_its_committed_json_schema(event_type: str) -> None:
    envelope = to_envelope(sample_event(event_type), source="/lending/test")
    wire = json.loads(envelope.to_bytes())
    _validator("Envelope.v1").validate(wire)
    _validator(f"{event_type}.v1").validate(wire["data"])


def test_a_loan_event_is_keyed_by_its_loan_id() -> None:
    envelope = to_envelope(sample_event("PaymentMissed"), source="/lending/servicing")
    assert envelope.subject == LOAN_ID


def test_a_business_day_close_is_keyed_by_the_closed_date_and_carries_it_as_business_date() -> None:
    event = sample_event("BusinessDayClosed")
    assert isinstance(event, BusinessDayClosed)
    envelope = to_envelope(event, source="/lending/servicing")
    assert envelope.subject == "2025-01-15"
    assert envelope.businessdate == date(2025, 1, 15)


def test_money_travels_as_decimal_strings_never_numbers() -> None:
    envelope = to_envelope(sample_event("LoanApproved"), source="/lending/underwriting")
    terms = json.loads(envelope.to_bytes())["data"]["terms"]
    assert terms["principal"] == "1000.00"
    assert terms["annual_rate"] == "0.12"
    assert terms["schedule"][2]["total"] == "340.03"


def test_a_consumer_ignores_fields_added_by_a_newer_producer() -> None:
    envelope = to_envelope(sample_event("PaymentMissed"), source="/lending/servicing")
    newer = envelope.model_copy(update={"data": {**envelope.data, "sms_sent": True}})
    event = parse_event(newer)
    assert event == sample_event("PaymentMissed")
    assert "sms_sent" not in event.model_dump()


def test_an_unknown_event_type_raises_a_specific_error_consumers_can_skip() -> None:
    envelope = Envelope(source="/lending/x", type="LoanTeleported", subject=LOAN_ID, data={})
    with pytest.raises(UnknownEventTypeError) as raised:
        parse_event(envelope)
    assert raised.value.event_type == "LoanTeleported"
    with pytest.raises(UnknownEventTypeError):
        topic_for("LoanTeleported")
