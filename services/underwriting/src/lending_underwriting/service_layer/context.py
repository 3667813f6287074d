"""What the service layer's handlers need, wired once by ``bootstrap.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lending_underwriting.adapters.model_store import ModelRegistry
from lending_underwriting.domain.policy import PolicyBook
from lending_underwriting.service_layer.ports import Clock, CreditBureau, StoreFor, Transactions

if TYPE_CHECKING:
    from lending_underwriting.service_layer.prefetch import Prefetched


def _prefetched() -> Prefetched:
    from lending_underwriting.service_layer.prefetch import Prefetched

    return Prefetched()


@dataclass
class Underwriting:
    book: PolicyBook
    models: ModelRegistry
    bureau: CreditBureau
    clock: Clock
    store_for: StoreFor  # the consumer's session -> a store in its transaction
    transactions: Transactions  # a store with its own transaction, for routes
    prefetched: Prefetched = field(default_factory=_prefetched)  # bureau answers, by app id
