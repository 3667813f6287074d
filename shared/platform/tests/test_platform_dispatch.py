"""Consumers route events to handlers by type and skip what they do not know."""

from lending_events import Envelope, to_envelope
from lending_events.samples import sample_event
from lending_platform.dispatch import EventDispatcher


async def test_a_known_event_reaches_its_handler_as_a_parsed_model():
    seen = []

    async def on_submitted(session, event, envelope):
        seen.append((session, event.loan_id, envelope.type))

    dispatch = EventDispatcher({"ApplicationSubmitted": on_submitted})
    event = sample_event("ApplicationSubmitted")
    await dispatch("session", to_envelope(event, source="intake"))
    assert seen == [("session", event.loan_id, "ApplicationSubmitted")]


async def test_unhandled_and_unknown_types_are_skipped():
    calls = []

    async def handler(session, event, envelope):
        calls.append(event)

    dispatch = EventDispatcher({"LoanApproved": handler})
    await dispatch(None, to_envelope(sample_event("ApplicationSubmitted"), source="intake"))
    await dispatch(None, Envelope(source="x", type="SomethingNew", subject="L1", data={}))
    assert calls == []
