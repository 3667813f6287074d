"""The collections service wired through its composition root with fakes where Kafka and the
SMS gateway would be: an InMemoryBroker as publisher, servicing and ledger events delivered
by the real inbox/dispatch logic (InMemoryConsumer + PostgresInbox), an InMemoryNotifier, on
a real PostgreSQL database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import text

import lending_collections
from lending_collections.bootstrap import bootstrap
from lending_collections.config import Settings
from lending_collections.service_layer.batched import build_batch_handler
from lending_collections.service_layer.context import CollectionsContext
from lending_collections.service_layer.delivery import MessageDelivery
from lending_collections.service_layer.handlers import build_handlers
from lending_collections.testing import InMemoryNotifier
from lending_events import Envelope, IntegrationEvent, parse_event, to_envelope, topics
from lending_events.ledger import LoanBooked
from lending_events.samples import sample_event
from lending_messaging import InMemoryBroker, InMemoryConsumer, OutgoingMessage
from lending_messaging.inbox import PostgresInbox
from lending_platform.database import upgrade_to_head_async
from lending_platform.dispatch import EventDispatcher

MIGRATIONS = Path(lending_collections.__file__).parent / "migrations"
NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def booked(loan_id: str, *, principal: str = "1000.00", product: str = "personal-credit",
           partner: str = "partner-acme") -> LoanBooked:
    sample = sample_event("LoanBooked")
    assert isinstance(sample, LoanBooked)
    terms = sample.terms.model_copy(update={"principal": Decimal(principal),
                                            "product_code": product})
    return LoanBooked.model_validate({**sample.model_dump(), "loan_id": loan_id,
                                      "partner_id": partner, "terms": terms.model_dump()})


def event(event_type: str, loan_id: str | None = None, **fields: Any) -> IntegrationEvent:
    """The sample ``event_type`` with ``fields`` changed, validated as a producer would."""
    sample = sample_event(event_type)
    data = {**sample.model_dump(), **fields}
    if loan_id is not None:
        data["loan_id"] = loan_id
    return type(sample).model_validate(data)


def delinquency(loan_id: str, as_of: date, dpd: int, previous: str, bucket: str,
                overdue: str = "340.02", outstanding: str = "1000.00") -> IntegrationEvent:
    """As servicing publishes it: the delinquency start ``dpd`` days before ``as_of``."""
    return event("DelinquencyChanged", loan_id, as_of=as_of, days_past_due=dpd,
                 previous_bucket=previous, bucket=bucket, overdue_amount=overdue,
                 outstanding_principal=outstanding,
                 delinquent_since=as_of - timedelta(days=dpd) if dpd else None)


def payment(loan_id: str, payment_id: str, amount: str, value_date: date,
            principal_after: str = "669.98") -> IntegrationEvent:
    zero = Decimal("0.00")
    return event("PaymentApplied", loan_id, payment_id=payment_id, amount=Decimal(amount),
                 value_date=value_date, overpayment=zero,
                 allocation={"principal": Decimal(amount), "interest": zero, "fees": zero,
                             "penalties": zero, "total": Decimal(amount)},
                 outstanding={"principal": Decimal(principal_after), "interest": zero,
                              "fees": zero, "penalties": zero,
                              "total": Decimal(principal_after)},
                 installments_settled=[])


def day_closed(business_date: date) -> IntegrationEvent:
    from datetime import timedelta

    return event("BusinessDayClosed", business_date=business_date,
                 next_business_date=business_date + timedelta(days=1))


class Collections:
    def __init__(self, settings: Settings, broker: InMemoryBroker, clock: list[datetime]
                 ) -> None:
        self.broker, self.clock, self.notifier = broker, clock, InMemoryNotifier()
        self.runtime = bootstrap(settings, publisher=broker, notifier=self.notifier,
                                 clock=lambda: self.clock[0])
        self.ctx: CollectionsContext = self.runtime.ports["collections"]
        dispatcher = EventDispatcher(build_handlers(self.ctx.policy))
        # the batch handler the service wires (bootstrap), over the same handlers
        self.consumer = InMemoryConsumer(
            broker, "collections", [topics.SERVICING, topics.LEDGER, topics.UNDERWRITING],
            None, batch_handler=build_batch_handler(self.ctx.policy, dispatcher),
            inbox=PostgresInbox(self.runtime.sessions, "collections"),
            handles=dispatcher.handled_types)
        delivery = self.runtime.workers["delivery"]
        assert isinstance(delivery, MessageDelivery)
        self.delivery = delivery

    @classmethod
    async def start(cls, database_url: str, **overrides: Any) -> Collections:
        await upgrade_to_head_async(MIGRATIONS, database_url)
        settings = Settings(database_url=database_url, run_background_workers=False,
                            credential_max_staleness_seconds=0,
                            log_json=False, kafka_bootstrap_servers="127.0.0.1:1", **overrides)
        return cls(settings, InMemoryBroker(), [NOON])

    async def stop(self) -> None:
        await self.runtime.engine.dispose()

    async def deliver(self, *events: IntegrationEvent | Envelope) -> list[Envelope]:
        """Delivers events (or exact envelopes, to redeliver one) as Kafka would."""
        envelopes = [e if isinstance(e, Envelope) else
                     to_envelope(e, source=f"/lending/{type(e).producer}") for e in events]
        await self.broker.publish([
            OutgoingMessage(topics.TOPIC_BY_SERVICE[env.source.rsplit("/", 1)[1]],
                            env.subject.encode(), env.to_bytes(), {})
            for env in envelopes])
        await self.consumer.drain()
        return envelopes

    async def outbox(self, event_type: str) -> list[Any]:
        async with self.runtime.engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT payload FROM outbox WHERE event_type = :t ORDER BY position"),
                {"t": event_type})).all()
        return [parse_event(Envelope.from_bytes(bytes(r.payload))) for r in rows]

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        async with self.runtime.engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []
