"""Product and policy rules an application must meet before it is accepted for review.

Every broken rule is reported at once, each by the JSON path of the field it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lending_intake.domain.products import Catalogue, Product


@dataclass(frozen=True)
class Requested:
    product_code: str
    amount: Decimal
    currency: str
    term: int
    frequency: str
    purpose: str
    date_of_birth: date
    security_type: str
    collateral_value: Decimal | None = None
    monthly_income: Decimal | None = None
    monthly_debt_payments: Decimal | None = None
    business_monthly_revenue: Decimal | None = None
    guarantor_monthly_income: Decimal | None = None  # security "guarantor" only


def check_application(
    catalogue: Catalogue, req: Requested, today: date
) -> tuple[Product | None, list[tuple[str, str]]]:
    product = catalogue.get(req.product_code)
    if product is None:
        known = ", ".join(sorted(catalogue.products))
        return None, [("product_code", f"unknown product; known products: {known}")]
    errors: list[tuple[str, str]] = []
    if req.currency != product.currency:
        errors.append(("requested.currency", f"{product.code} lends in {product.currency}"))
    if not product.amount_min <= req.amount <= product.amount_max:
        errors.append(("requested.amount", f"must be between {product.amount_min} and "
                       f"{product.amount_max} {product.currency}"))
    if not product.term_min <= req.term <= product.term_max:
        errors.append(("requested.term", f"must be between {product.term_min} and "
                       f"{product.term_max} {product.term_unit}s"))
    if req.frequency not in product.frequencies:
        errors.append(("requested.frequency", f"{product.code} allows "
                       f"{', '.join(product.frequencies)}"))
    if req.purpose in catalogue.prohibited_purposes:
        errors.append(("purpose", f"{req.purpose!r} is a prohibited loan purpose"))
    if age_on(req.date_of_birth, today) < catalogue.age_of_majority:
        errors.append(("applicant.date_of_birth",
                       f"the applicant must be at least {catalogue.age_of_majority}"))
    if req.security_type not in product.security:
        errors.append(("security.type", f"{product.code} accepts {', '.join(product.security)}"))
    if (req.monthly_income is not None and req.monthly_debt_payments is not None
            and req.monthly_debt_payments > req.monthly_income * 10):
        errors.append(("finances.monthly_debt_payments", "is implausible against the income"))
    return product, errors


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def missing_documents(product: Product, present: set[str]) -> list[str]:
    return [d for d in product.required_documents if d not in present]
