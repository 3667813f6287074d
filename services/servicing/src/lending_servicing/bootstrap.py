"""The composition root: the one place where the servicing service's ports are wired."""

from __future__ import annotations

from decimal import Decimal

from lending_messaging.ports import EventPublisher
from lending_platform.runtime import Runtime
from lending_platform.settings import ServiceSettings
from lending_platform.wiring import standard_runtime
from lending_servicing.config import Settings
from lending_servicing.service_layer.context import (
    Clock,
    ServicingContext,
    ServicingPolicy,
    utc_now,
)
from lending_servicing.service_layer.handlers import build_handlers
from lending_servicing.service_layer.locks import lock_order

REACTS_TO = ("ledger",)


def policy_of(settings: Settings) -> ServicingPolicy:
    def dec(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    return ServicingPolicy(
        calendar_id=settings.calendar_id, time_zone=settings.time_zone,
        initial_business_date=settings.initial_business_date,
        weekend_days=tuple(settings.weekend_days), reminder_days=dict(settings.reminder_days),
        default_tolerance_amount=dec(settings.default_tolerance_amount),
        default_tolerance_rate=dec(settings.default_tolerance_rate),
        payoff_quote_valid_days=settings.payoff_quote_valid_days,
        payoff_quote_max_days_ahead=settings.payoff_quote_max_days_ahead,
        payoff_quote_key=settings.payoff_quote_key.get_secret_value().encode(),
        close_parallelism=settings.close_parallelism,
        close_transaction_rows=settings.close_transaction_rows)


def bootstrap(settings: ServiceSettings, *, publisher: EventPublisher | None = None,
              clock: Clock = utc_now) -> Runtime:
    assert isinstance(settings, Settings)
    policy = policy_of(settings)
    runtime = standard_runtime(
        settings, reacts_to=REACTS_TO, handlers=build_handlers(policy), publisher=publisher,
        lock_order=lock_order)
    runtime.ports["servicing"] = ServicingContext(runtime.sessions, policy, clock)
    return runtime
