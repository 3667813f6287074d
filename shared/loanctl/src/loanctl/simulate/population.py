"""The applications simulated borrowers send: one per borrower, shaped by the product the
borrower chose from the catalogue (``GET /v1/products``) and filled from the seed alone."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

FAMILY_NAMES = ("Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou")
GIVEN_NAMES = ("Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Jun", "Hui", "Ping", "Xiu")
CITIES = ("Beijing", "Shanghai", "Chengdu", "Wuhan", "Xi'an", "Hangzhou", "Kunming")
PURPOSES = {
    "personal_credit": ("home_repair", "education", "medical", "furniture"),
    "micro_business": ("working_capital", "inventory", "equipment"),
    "consumer_instalment": ("purchase",),
    "supply_chain": ("working_capital",),
}


@dataclass(frozen=True)
class Product:
    """What the simulation needs of a catalogue entry."""

    code: str
    family: str
    applicant_type: str
    currency: str
    amount_min: Decimal
    amount_max: Decimal
    term_unit: str
    term_min: int
    term_max: int
    frequencies: tuple[str, ...]
    security: tuple[str, ...]
    required_documents: tuple[str, ...]

    @classmethod
    def from_catalogue(cls, item: dict[str, Any]) -> Product:
        return cls(
            code=item["code"], family=item["family"], applicant_type=item["applicant_type"],
            currency=item["currency"], amount_min=Decimal(item["amount"]["min"]),
            amount_max=Decimal(item["amount"]["max"]), term_unit=item["term"]["unit"],
            term_min=int(item["term"]["min"]), term_max=int(item["term"]["max"]),
            frequencies=tuple(item["frequencies"]), security=tuple(item["security"]),
            required_documents=tuple(item["required_documents"]))


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _document(kind: str, number: int) -> dict[str, str]:
    digest = hashlib.sha256(f"{kind}:{number}".encode()).hexdigest()
    return {"type": kind, "sha256": digest, "uri": f"https://docs.sim.example/{number}/{kind}"}


def application_for(seed: int, number: int, product: Product, today: date) -> dict[str, Any]:
    """The application body borrower ``number`` sends for ``product`` on ``today``."""
    rng = random.Random(f"application:{seed}:{number}")
    low, high = product.amount_min, min(product.amount_max, product.amount_min * 20)
    step = Decimal(100) if high >= 1000 else Decimal(10)
    amount = max(low, (low + (high - low) * Decimal(rng.random() ** 2)) // step * step)
    term = rng.randint(product.term_min, min(product.term_max, max(product.term_min, 24)))
    if product.term_unit == "day":
        term = rng.choice([t for t in (30, 60, 90, 120) if product.term_min <= t
                           <= product.term_max] or [product.term_min])
    frequency = rng.choice(product.frequencies)
    income = (amount / Decimal(max(term, 1)) * Decimal(rng.uniform(3, 8))
              + Decimal(rng.randint(4000, 12000))).quantize(Decimal("0.01"))
    family, given = rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES)
    born = today - timedelta(days=365 * rng.randint(25, 55) + rng.randint(0, 364))
    business = product.applicant_type == "business"
    body: dict[str, Any] = {
        "product_code": product.code,
        "requested": {"amount": _money(amount), "currency": product.currency, "term": term,
                      "frequency": frequency},
        "purpose": rng.choice(PURPOSES.get(product.family, ("other_purpose",))),
        "applicant": {
            "national_id": f"SIM{seed % 10_000:04d}N{number:09d}",
            "full_name": f"{family} {given}", "date_of_birth": born.isoformat(),
            "phone": f"+86139{number % 100_000_000:08d}",
            "email": f"borrower{number}@sim.example",
            "address": {"line1": f"{rng.randint(1, 300)} Market St",
                        "city": rng.choice(CITIES), "country": "CN"}},
        "finances": {
            "monthly_income": _money(income),
            "monthly_debt_payments": _money(income * Decimal(rng.uniform(0, 0.15))),
            "employment": "business_owner" if business else "salaried"},
        "security": security_for(rng, product, amount, today, number),
        "documents": [_document(kind, number) for kind in product.required_documents],
        "consents": {"credit_check": True, "terms_version": "2025-01"},
        "disbursement_account": {"method": "bank_transfer", "account_ref": f"tok_sim_{number}",
                                 "holder_name": f"{family} {given}"},
    }
    if business:
        body["finances"]["business_monthly_revenue"] = _money(income * 4)
    return body


def security_for(rng: random.Random, product: Product, amount: Decimal, today: date,
                 number: int) -> dict[str, Any]:
    kinds = list(product.security)
    kind = rng.choice(kinds)
    if kind == "guarantor":
        return {"type": "guarantor", "full_name": f"Guarantor {number}",
                "national_id": f"SIMG{number:010d}", "phone": f"+86138{number % 10**8:08d}",
                "relationship": "relative",
                "monthly_income": _money(amount / 2 + Decimal(rng.randint(5000, 20000)))}
    if kind == "collateral":
        return {"type": "collateral", "kind": "vehicle", "description": "delivery van",
                "estimated_value": _money(amount * Decimal(rng.uniform(1.6, 2.5)))}
    if kind == "receivable":
        return {"type": "receivable", "buyer_id": f"buyer-{rng.randint(1, 40)}",
                "buyer_name": "Sim Buyer Ltd", "invoice_number": f"INV-{number}",
                "invoice_amount": _money(amount * Decimal(rng.uniform(1.3, 1.6))),
                "invoice_due_date": (today + timedelta(days=150)).isoformat()}
    return {"type": "none"}
