"""The composition root: the one place where the underwriting service's ports are wired."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from lending_messaging.ports import EventPublisher
from lending_messaging.runner import ConsumerRunner
from lending_platform.runtime import Runtime
from lending_platform.settings import ServiceSettings
from lending_platform.wiring import standard_runtime
from lending_underwriting.adapters.bureau_http import HttpCreditBureau
from lending_underwriting.adapters.circuit_breaker import CircuitBreaker
from lending_underwriting.adapters.model_store import ModelRegistry
from lending_underwriting.adapters.policy_file import load_policy_book
from lending_underwriting.adapters.repository import SqlStore, sql_transactions
from lending_underwriting.config import Settings
from lending_underwriting.service_layer.batch import build_batch_handler
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.handlers import build_handlers
from lending_underwriting.service_layer.ports import CreditBureau, StoreFor, Transactions
from lending_underwriting.service_layer.prefetch import prefetcher

REACTS_TO = ("intake", "ledger", "servicing")


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_underwriting(
    settings: Settings, *, bureau: CreditBureau, store_for: StoreFor,
    transactions: Transactions, clock: Callable[[], datetime] = utc_now,
) -> Underwriting:
    """The service layer's context: policy and model from files, ports as given."""
    return Underwriting(
        book=load_policy_book(settings.policy_path),
        models=ModelRegistry.from_directory(settings.model_dir), bureau=bureau, clock=clock,
        store_for=store_for, transactions=transactions)


def http_bureau(settings: Settings) -> HttpCreditBureau:
    return HttpCreditBureau(
        settings.bureau_url, timeout=settings.bureau_timeout_seconds,
        attempts=settings.bureau_attempts, deadline=settings.bureau_deadline_seconds,
        max_in_flight=settings.bureau_max_in_flight,
        breaker=CircuitBreaker(settings.bureau_breaker_failures,
                               settings.bureau_breaker_reset_seconds))


def bootstrap(settings: ServiceSettings, *, publisher: EventPublisher | None = None,
              bureau: CreditBureau | None = None,
              clock: Callable[[], datetime] = utc_now) -> Runtime:
    if not isinstance(settings, Settings):
        settings = Settings(**settings.model_dump())
    uw = build_underwriting(settings, bureau=bureau or http_bureau(settings),
                            store_for=SqlStore, transactions=_not_yet, clock=clock)
    runtime = standard_runtime(settings, reacts_to=REACTS_TO, handlers=build_handlers(uw),
                               publisher=publisher,
                               batched=lambda dispatcher: build_batch_handler(uw, dispatcher))
    uw.transactions = sql_transactions(runtime.sessions)  # the sessions exist only now
    consumer = runtime.workers.get("consumer")
    if isinstance(consumer, ConsumerRunner):
        consumer.prepare = prefetcher(uw)  # the bureau call, outside the transaction
    runtime.ports["underwriting"] = uw
    if isinstance(uw.bureau, HttpCreditBureau):
        # first in, last out: the client closes after the consumer has finished its batch
        runtime.workers = {"bureau_client": _Closer(uw.bureau), **runtime.workers}
    return runtime


def _not_yet() -> Any:
    raise RuntimeError("the runtime is still being built")


class _Closer:
    """Holds the bureau's HTTP client open while the service runs; closes it on stop."""

    def __init__(self, bureau: HttpCreditBureau) -> None:
        self._bureau = bureau
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        try:
            await self._stopping.wait()
        finally:
            await self._bureau.aclose()

    def stop(self) -> None:
        self._stopping.set()
