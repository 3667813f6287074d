"""What a credit decision is made from: the application, the bureau report and the
borrower's exposure on our books. Plain, immutable values; money as ``Decimal`` major units
with the application's currency (exact: they come from decimal strings)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Application:
    application_id: str  # = the loan id
    applicant_id: str
    partner_id: str
    borrower_token: str  # ApplicationSubmitted.identity_hash: a keyed hash, never the raw id
    applicant_type: str
    channel: str
    country: str
    product_code: str
    currency: str
    requested_amount: Decimal
    term_count: int
    term_unit: str
    frequency: str
    purpose: str
    security: str
    submitted_at: datetime
    collateral_value: Decimal | None = None
    related_party_id: str | None = None
    monthly_income: Decimal | None = None
    monthly_obligations: Decimal | None = None
    # As the partner declared it; None: not stated, so the guarantor rule refers it.
    guarantor_monthly_income: Decimal | None = None
    # No rule reads it yet: kept with the decision's inputs for the underwriter who reviews.
    business_monthly_revenue: Decimal | None = None
    documents_complete: bool = True
    missing_documents: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Application:
        values = dict(data)
        for name in ("requested_amount", "collateral_value", "monthly_income",
                     "monthly_obligations", "guarantor_monthly_income",
                     "business_monthly_revenue"):
            if values.get(name) is not None:
                values[name] = Decimal(values[name])
        values["submitted_at"] = datetime.fromisoformat(values["submitted_at"])
        values["missing_documents"] = tuple(values.get("missing_documents", ()))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class BureauReport:
    """A credit bureau's answer for one borrower token (amounts in the asked currency)."""

    report_id: str
    age_years: int
    identity_match: bool
    history_months: int
    open_accounts: int
    delinquencies_24m: int
    inquiries_6m: int
    total_debt: Decimal
    monthly_debt_payments: Decimal
    defaults: int
    months_since_default: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BureauReport:
        values: dict[str, Any] = {k: data.get(k) for k in cls.__dataclass_fields__}
        values["total_debt"] = Decimal(str(values["total_debt"]))
        values["monthly_debt_payments"] = Decimal(str(values["monthly_debt_payments"]))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class BorrowerExposure:
    """The borrower's loans on our books (active and approved-but-not-yet-booked offers)."""

    active_loans: int = 0
    open_offers: int = 0
    outstanding: Decimal = Decimal(0)  # principal outstanding + offered principal
    worst_days_past_due: int = 0
    written_off_loans: int = 0
    loans: tuple[dict[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BorrowerExposure:
        values = dict(data)
        values["outstanding"] = Decimal(values["outstanding"])
        values["loans"] = tuple(values.get("loans", ()))
        return cls(**values)


def _plain(obj: Any) -> dict[str, Any]:
    # dataclasses.asdict deep-copies every value first; every decision stores three of these
    return {f.name: _jsonable(getattr(obj, f.name)) for f in fields(obj)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    return value
