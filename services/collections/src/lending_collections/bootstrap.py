"""The composition root: the one place where the collections service's ports are wired."""

from __future__ import annotations

from lending_collections.adapters.backlogs import BACKLOGS
from lending_collections.adapters.policy_files import (
    load_classification,
    load_early_warning,
    load_recovery,
    load_strategies,
)
from lending_collections.adapters.sms_gateway import HttpSmsGateway
from lending_collections.config import Settings
from lending_collections.service_layer.batched import build_batch_handler
from lending_collections.service_layer.context import (
    Clock,
    CollectionsContext,
    CollectionsPolicy,
    utc_now,
)
from lending_collections.service_layer.delivery import MessageDelivery
from lending_collections.service_layer.handlers import build_handlers
from lending_collections.service_layer.ports import Notifier
from lending_messaging.ports import EventPublisher
from lending_messaging.wakeup import Wakeup
from lending_platform.runtime import Runtime
from lending_platform.settings import ServiceSettings
from lending_platform.wiring import standard_runtime

REACTS_TO = ("servicing", "ledger", "underwriting")  # underwriting: the origination score


def bootstrap(settings: ServiceSettings, *, publisher: EventPublisher | None = None,
              notifier: Notifier | None = None, clock: Clock = utc_now) -> Runtime:
    assert isinstance(settings, Settings)
    policy = CollectionsPolicy(
        book=load_strategies(settings.strategies_file),
        rules=load_classification(settings.classification_file),
        recovery=load_recovery(settings.recovery_file),
        warnings=load_early_warning(settings.early_warning_file),
        clock=clock, batch_size=settings.strategy_batch_size)
    runtime = standard_runtime(
        settings, reacts_to=REACTS_TO, handlers=build_handlers(policy), publisher=publisher,
        batched=lambda dispatcher: build_batch_handler(policy, dispatcher))
    runtime.ports["collections"] = CollectionsContext(runtime.sessions, policy)
    runtime.backlogs.update(BACKLOGS)
    notifier = notifier or HttpSmsGateway(settings.sms_gateway_url,
                                          settings.sms_gateway_timeout_s)
    runtime.workers["delivery"] = MessageDelivery(
        runtime.sessions, notifier, clock, interval_s=settings.delivery_poll_interval_s,
        wakeup=Wakeup(runtime.engine, ("case_actions", "outreach")))
    return runtime
