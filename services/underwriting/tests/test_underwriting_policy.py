"""The policy file: checked on load, naming the field at fault, and consistent with the
product catalogue intake shows partners (same codes, currencies, ranges, frequencies)."""

from __future__ import annotations

import tomllib
from decimal import Decimal as D
from pathlib import Path

import pytest

from lending_underwriting.adapters.policy_file import DEFAULT_POLICY
from lending_underwriting.domain.errors import PolicyError
from lending_underwriting.domain.policy import parse_policy_book

INTAKE_CATALOGUE = (Path(__file__).resolve().parents[2]
                    / "intake/src/lending_intake/products.toml")


def raw() -> dict:
    return tomllib.loads(DEFAULT_POLICY.read_text())


def test_the_shipped_policy_loads_and_prices_every_product(book):
    assert set(book.products) == {"personal-credit", "micro-business", "pos-instalment",
                                  "receivables-finance"}
    assert book.grade_for(D("0.0150")) == "A" and book.grade_for(D("0.5")) == "F"
    assert book.version.startswith("policy-")


@pytest.mark.parametrize(("path", "value", "field"), [
    (("products", "personal-credit", "max_debt_to_income"), 0.5,
     "products.personal-credit.max_debt_to_income"),
    (("products", "pos-instalment", "rate_card"), {"A": "0.06"},
     "products.pos-instalment.rate_card"),
    (("legal_apr_cap",), "0.23995", "legal_apr_cap"),
    (("products", "micro-business", "bureau_outage"), "ignore",
     "products.micro-business.bureau_outage"),
])
def test_a_policy_mistake_names_its_field(path, value, field):
    data = raw()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(PolicyError) as caught:
        parse_policy_book(data)
    assert caught.value.field == field


@pytest.mark.skipif(not INTAKE_CATALOGUE.exists(), reason="intake's catalogue not present")
def test_every_product_intake_offers_has_a_policy_with_the_same_shape(book):
    catalogue = tomllib.loads(INTAKE_CATALOGUE.read_text())
    assert set(book.prohibited_purposes) >= set(catalogue.get("prohibited_purposes", []))
    for product in catalogue["products"]:
        policy = book.products[product["code"]]
        assert policy.currency == product["currency"]
        assert (policy.amount_min, policy.amount_max) == (
            D(product["amount_min"]), D(product["amount_max"]))
        assert (policy.term_unit, policy.term_min, policy.term_max) == (
            product["term_unit"], product["term_min"], product["term_max"])
        assert set(policy.frequencies) == set(product["frequencies"])
        assert policy.applicant_types == (product["applicant_type"],)
        top = max(policy.rate_card.values())
        assert top <= D(product["annual_rate_max"])
