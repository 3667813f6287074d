"""The product catalogue: configuration, not code (see products.toml, validated at start)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Fee:
    kind: str
    basis: str
    amount: Decimal | None = None
    rate: Decimal | None = None
    deducted_from_disbursement: bool = False


@dataclass(frozen=True)
class Product:
    code: str
    name: str
    family: str
    applicant_type: str
    currency: str
    amount_min: Decimal
    amount_max: Decimal
    term_unit: str
    term_min: int
    term_max: int
    frequencies: tuple[str, ...]
    amortization: tuple[str, ...]
    interest_method: str
    annual_rate_min: Decimal
    annual_rate_max: Decimal
    security: tuple[str, ...]
    required_documents: tuple[str, ...]
    fees: tuple[Fee, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Catalogue:
    products: dict[str, Product]
    age_of_majority: int = 18
    prohibited_purposes: frozenset[str] = field(default_factory=frozenset)

    def get(self, code: str) -> Product | None:
        return self.products.get(code)
