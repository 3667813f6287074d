"""Loads and validates the declarative product catalogue (products.toml) at start-up."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lending_events.money import Amount, CurrencyCode, Rate, check_amount
from lending_intake.domain.products import Catalogue, Fee, Product

DEFAULT_CATALOGUE = Path(__file__).parents[1] / "products.toml"
DocumentType = Literal["id_card", "income_proof", "bank_statement", "business_license", "invoice"]
SecurityKind = Literal["none", "guarantor", "collateral", "receivable"]
Frequency = Literal["daily", "weekly", "biweekly", "monthly", "at_maturity"]


class FeeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["origination", "service", "late_payment", "prepayment"]
    basis: Literal["flat", "principal", "overdue_installment"]
    amount: Amount | None = None
    rate: Rate | None = None
    deducted_from_disbursement: bool = False

    @model_validator(mode="after")
    def _amount_or_rate(self) -> FeeConfig:
        if (self.basis == "flat") != (self.amount is not None and self.rate is None):
            raise ValueError("a flat fee needs an amount and no rate; other bases need a rate")
        return self


class ProductConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[a-z][a-z0-9-]{1,63}$")
    name: str = Field(min_length=1)
    family: Literal["personal_credit", "micro_business", "consumer_instalment", "supply_chain"]
    description: str = ""
    applicant_type: Literal["individual", "business"]
    currency: CurrencyCode
    amount_min: Amount
    amount_max: Amount
    term_unit: Literal["day", "week", "month"]
    term_min: int = Field(ge=1)
    term_max: int = Field(ge=1)
    frequencies: list[Frequency] = Field(min_length=1)
    amortization: list[Literal["equal_installments", "equal_principal", "interest_only",
                               "bullet"]] = Field(min_length=1)
    interest_method: Literal["declining_balance", "flat"]
    annual_rate_min: Rate
    annual_rate_max: Rate
    security: list[SecurityKind] = Field(min_length=1)
    required_documents: list[DocumentType]
    fees: list[FeeConfig] = []

    @model_validator(mode="after")
    def _ranges(self) -> ProductConfig:
        check_amount(self.amount_min, self.currency, "amount_min")
        check_amount(self.amount_max, self.currency, "amount_max")
        for i, fee in enumerate(self.fees):
            if fee.amount is not None:
                check_amount(fee.amount, self.currency, f"fees[{i}].amount")
        if self.amount_min > self.amount_max or self.term_min > self.term_max:
            raise ValueError("a minimum is above its maximum")
        if self.annual_rate_min > self.annual_rate_max or self.annual_rate_max > Decimal(1):
            raise ValueError("annual rates must be ordered and at most 1")
        return self


class CatalogueConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    age_of_majority: int = Field(ge=16, le=21)
    prohibited_purposes: list[str]
    products: list[ProductConfig] = Field(min_length=1)


def load_catalogue(path: Path = DEFAULT_CATALOGUE) -> Catalogue:
    """Raises pydantic's ValidationError naming the bad field: the service refuses to start."""
    config = CatalogueConfig.model_validate(tomllib.loads(path.read_text()))
    codes = [p.code for p in config.products]
    if len(set(codes)) != len(codes):
        raise ValueError(f"{path}: duplicate product codes")
    products = {
        p.code: Product(
            code=p.code, name=p.name, family=p.family, applicant_type=p.applicant_type,
            currency=p.currency, amount_min=p.amount_min, amount_max=p.amount_max,
            term_unit=p.term_unit, term_min=p.term_min, term_max=p.term_max,
            frequencies=tuple(p.frequencies), amortization=tuple(p.amortization),
            interest_method=p.interest_method, annual_rate_min=p.annual_rate_min,
            annual_rate_max=p.annual_rate_max, security=tuple(p.security),
            required_documents=tuple(p.required_documents), description=p.description,
            fees=tuple(Fee(f.kind, f.basis, f.amount, f.rate, f.deducted_from_disbursement)
                       for f in p.fees),
        )
        for p in config.products
    }
    return Catalogue(products, config.age_of_majority, frozenset(config.prohibited_purposes))
