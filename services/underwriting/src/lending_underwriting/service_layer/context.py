"""What the service layer's handlers need, wired once by ``bootstrap.py``."""

from __future__ import annotations

from dataclasses import dataclass

from lending_underwriting.adapters.model_store import ModelRegistry
from lending_underwriting.domain.policy import PolicyBook
from lending_underwriting.service_layer.ports import Clock, CreditBureau, StoreFor, Transactions


@dataclass
class Underwriting:
    book: PolicyBook
    models: ModelRegistry
    bureau: CreditBureau
    clock: Clock
    store_for: StoreFor  # the consumer's session -> a store in its transaction
    transactions: Transactions  # a store with its own transaction, for routes
