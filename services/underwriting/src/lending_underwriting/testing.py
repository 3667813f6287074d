"""Test support: a good application, a clean bureau report, and the service wired through
its composition root on in-memory fakes (``wire()``), for this service's tests and bench."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

from lending_events import IntegrationEvent, to_envelope, topic_for
from lending_events.envelope import Envelope
from lending_events.intake import ApplicationSubmitted
from lending_events.registry import EVENT_TYPES
from lending_events.samples import SAMPLE_DATA
from lending_messaging.memory_broker import InMemoryBroker
from lending_messaging.memory_consumer import InMemoryConsumer
from lending_messaging.ports import OutgoingMessage
from lending_platform.dispatch import EventDispatcher
from lending_underwriting.adapters.memory import FakeBureau, InMemoryStore, memory_transactions
from lending_underwriting.bootstrap import build_underwriting
from lending_underwriting.config import Settings
from lending_underwriting.domain.model import Application, BureauReport
from lending_underwriting.service_layer.batch import build_batch_handler
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.handlers import build_handlers
from lending_underwriting.service_layer.prefetch import prefetcher

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
TODAY = date(2025, 3, 3)
TOKEN = "9f86d081884c7d659a2feaa0c55ad015"


def application(**changes: Any) -> Application:
    base = Application(
        application_id="app-unit-1", applicant_id="cust-1", partner_id="partner-acme",
        borrower_token=TOKEN, applicant_type="individual", channel="app", country="CN",
        product_code="personal-credit", currency="CNY", requested_amount=D("20000.00"),
        term_count=12, term_unit="month", frequency="monthly", purpose="working_capital",
        security="none", submitted_at=NOW, monthly_income=D("9000.00"),
        monthly_obligations=D("500.00"))
    return replace(base, **changes)


def bureau_report(**changes: Any) -> BureauReport:
    base = BureauReport(report_id="br-1", age_years=41, identity_match=True,
                        history_months=150, open_accounts=3, delinquencies_24m=0,
                        inquiries_6m=0, total_debt=D("6000.00"),
                        monthly_debt_payments=D("400.00"), defaults=0)
    return replace(base, **changes)


@dataclass
class Wired:
    """The service layer as bootstrap wires it, on fakes; ``deliver`` drives the consumer."""

    uw: Underwriting
    store: InMemoryStore
    bureau: FakeBureau
    broker: InMemoryBroker
    consumer: InMemoryConsumer

    async def deliver(self, *events: IntegrationEvent) -> None:
        await self.publish(*[to_envelope(e, source="test") for e in events])

    async def publish(self, *envelopes: Envelope) -> None:
        """Publishes envelopes as they are (a redelivery is the same envelope twice)."""
        await self.broker.publish([
            OutgoingMessage(topic_for(e.type), e.subject.encode(), e.to_bytes())
            for e in envelopes])
        await self.consumer.drain()

    def published(self, *types: str) -> list[IntegrationEvent]:
        return [e for e in self.store.published if not types or e.event_type in types]


def wire(bureau: FakeBureau | None = None) -> Wired:
    broker = InMemoryBroker()
    store = InMemoryStore(broker)
    bureau = bureau or FakeBureau(default=bureau_report())
    uw = build_underwriting(Settings(), bureau=bureau, store_for=lambda tx: tx.store,
                            transactions=memory_transactions(store), clock=lambda: NOW)
    consumer = InMemoryConsumer(
        broker, "underwriting", ["lending.intake.v1", "lending.ledger.v1",
                                 "lending.servicing.v1"],
        None, batch_handler=build_batch_handler(uw, EventDispatcher(build_handlers(uw))),
        session_factory=store.transaction,
        prepare=prefetcher(uw))
    return Wired(uw, store, bureau, broker, consumer)


def submitted(loan_id: str = "app-unit-1", **changes: Any) -> ApplicationSubmitted:
    """An ApplicationSubmitted for personal-credit in CNY, documents complete."""
    return ApplicationSubmitted.model_validate({
        **SAMPLE_DATA["ApplicationSubmitted"], "product_code": "personal-credit",
        "currency": "CNY", "country": "CN", "requested_amount": "20000.00",
        "requested_term": {"count": 12, "unit": "month"},
        "declared_monthly_income": "9000.00", "declared_monthly_obligations": "500.00",
        "identity_hash": TOKEN, "loan_id": loan_id, **changes})


def event_of(event_type: str, loan_id: str, **changes: Any) -> IntegrationEvent:
    """The sample event of ``event_type`` for ``loan_id`` with ``changes``, validated."""
    cls = EVENT_TYPES[event_type]
    return cls.model_validate({**SAMPLE_DATA[event_type], "loan_id": loan_id, **changes})
