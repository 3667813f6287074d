"""Credit policy as data: per-product rules, limits and rate card, checked on load.

``parse_policy_book`` turns the parsed ``policy.toml`` mapping into typed values and raises
``PolicyError`` naming the field on any mistake, so a bad policy stops the service at
start-up instead of mis-deciding loans. The book's ``version`` is a hash of its content:
a decision records it with a snapshot of the product policy it applied.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lending_underwriting.domain.errors import PolicyError

OUTAGE_ACTIONS = ("refer", "decline")
AMORTIZATIONS = ("equal_installments", "equal_principal", "interest_only", "bullet")
INTEREST_METHODS = ("declining_balance", "flat")
DAY_COUNTS = ("30/360", "act/365f", "act/360", "act/act")
FREQUENCIES = ("daily", "weekly", "biweekly", "monthly", "at_maturity")


@dataclass(frozen=True, slots=True)
class FeeRule:
    kind: str
    basis: str  # flat (amount) or principal (rate)
    amount: Decimal | None = None
    rate: Decimal | None = None
    deducted_from_disbursement: bool = False


@dataclass(frozen=True, slots=True)
class PenaltyPolicy:
    annual_rate: Decimal
    grace_days: int
    basis: str


@dataclass(frozen=True)
class ProductPolicy:
    code: str
    applicant_types: tuple[str, ...]
    currency: str
    amount_min: Decimal
    amount_max: Decimal
    term_unit: str
    term_min: int
    term_max: int
    frequencies: tuple[str, ...]
    amortization: str
    interest_method: str
    day_count: str
    rounding: str
    min_age: int
    max_age: int
    required_documents: tuple[str, ...]
    income_required: bool
    max_total_exposure: Decimal
    max_concurrent_loans: int
    max_days_past_due_on_book: int
    recent_default_months: int
    min_history_months: int
    auto_approve_max_amount: Decimal
    max_auto_grade: str
    decline_grades: tuple[str, ...]
    bureau_outage: str
    counter_offer_step: Decimal
    rate_card: dict[str, Decimal]
    fees: tuple[FeeRule, ...] = ()
    max_debt_to_income: Decimal | None = None
    min_residual_income: Decimal | None = None
    max_loan_to_value: Decimal | None = None
    guarantor_income_cover: Decimal | None = None
    late_fee_rate: Decimal | None = None
    penalty: PenaltyPolicy | None = None
    tolerance_days: int = 0
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PolicyBook:
    legal_apr_cap: Decimal
    apr_method: str
    prohibited_purposes: frozenset[str]
    referral_queue: str
    referral_sla_hours: int
    offer_valid_days: int
    reapply_after_days: int
    grades: tuple[tuple[str, Decimal], ...]  # (grade, max PD), ascending
    products: dict[str, ProductPolicy]
    version: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False)
    _snapshots: dict[str, dict[str, Any]] = field(
        default_factory=dict, compare=False, repr=False, init=False)

    def product(self, code: str) -> ProductPolicy | None:
        return self.products.get(code)

    def grade_for(self, probability_of_default: Decimal) -> str:
        for grade, max_pd in self.grades:
            if probability_of_default <= max_pd:
                return grade
        return self.grades[-1][0]

    def grade_rank(self, grade: str) -> int:
        return [g for g, _ in self.grades].index(grade)

    def snapshot(self, product_code: str) -> dict[str, Any]:
        """What a decision stores: the global settings and this product's policy, verbatim.
        Built once per product (the same object each time: do not modify it)."""
        cached = self._snapshots.get(product_code)
        if cached is None:
            globals_ = {k: v for k, v in self.raw.items() if k != "products"}
            cached = {**globals_, "version": self.version, "products": {
                product_code: self.raw.get("products", {}).get(product_code, {})}}
            self._snapshots[product_code] = cached
        return cached


def parse_policy_book(data: dict[str, Any]) -> PolicyBook:
    r = _Reader(data, "")
    grades: list[tuple[str, Decimal]] = []
    for i, item in enumerate(r.list("grades")):
        g = _Reader(item, f"grades[{i}].")
        grades.append((g.text("grade"), g.rate("max_pd")))
    if not grades or [pd for _, pd in grades] != sorted(pd for _, pd in grades):
        raise PolicyError("grades", "needs at least one grade, in ascending max_pd")
    if grades[-1][1] < 1:
        raise PolicyError("grades", "the last grade must cover max_pd = 1")
    names = [g for g, _ in grades]
    products_raw = data.get("products")
    if not isinstance(products_raw, dict) or not products_raw:
        raise PolicyError("products", "needs at least one product")
    products = {code: _product(code, body, names) for code, body in products_raw.items()}
    apr_method = r.text("apr_method")
    if apr_method not in ("nominal", "effective"):
        raise PolicyError("apr_method", "must be nominal or effective")
    cap = r.rate("legal_apr_cap")
    exponent = cap.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -4:
        raise PolicyError("legal_apr_cap", "at most 4 decimal places (the disclosed APR's)")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return PolicyBook(
        legal_apr_cap=cap, apr_method=apr_method,
        prohibited_purposes=frozenset(r.list("prohibited_purposes")),
        referral_queue=r.text("referral_queue"),
        referral_sla_hours=r.integer("referral_sla_hours", minimum=1),
        offer_valid_days=r.integer("offer_valid_days", minimum=1),
        reapply_after_days=r.integer("reapply_after_days", minimum=0),
        grades=tuple(grades), products=products,
        version="policy-" + hashlib.sha256(canonical.encode()).hexdigest()[:12], raw=data,
    )


def _product(code: str, body: Any, grade_names: list[str]) -> ProductPolicy:
    if not isinstance(body, dict):
        raise PolicyError(f"products.{code}", "must be a table")
    r = _Reader(body, f"products.{code}.")
    rate_card = {g: _Reader(r.table("rate_card"), f"products.{code}.rate_card.").rate(g)
                 for g in r.table("rate_card")}
    unknown = set(rate_card) - set(grade_names)
    if unknown:
        raise PolicyError(f"products.{code}.rate_card", f"unknown grades {sorted(unknown)}")
    decline = tuple(r.list("decline_grades"))
    missing = [g for g in grade_names if g not in rate_card and g not in decline]
    if missing:
        raise PolicyError(f"products.{code}.rate_card", f"no rate for grades {missing}")
    policy = ProductPolicy(
        code=code, applicant_types=tuple(r.list("applicant_types")),
        currency=r.text("currency"), amount_min=r.money("amount_min"),
        amount_max=r.money("amount_max"), term_unit=r.choice("term_unit", ("day", "week", "month")),
        term_min=r.integer("term_min", minimum=1), term_max=r.integer("term_max", minimum=1),
        frequencies=tuple(r.choice_list("frequencies", FREQUENCIES)),
        amortization=r.choice("amortization", AMORTIZATIONS),
        interest_method=r.choice("interest_method", INTEREST_METHODS),
        day_count=r.choice("day_count", DAY_COUNTS),
        rounding=r.choice("rounding", ("half_up", "half_even")),
        min_age=r.integer("min_age", minimum=0), max_age=r.integer("max_age", minimum=0),
        required_documents=tuple(r.list("required_documents")),
        income_required=r.boolean("income_required"),
        max_total_exposure=r.money("max_total_exposure"),
        max_concurrent_loans=r.integer("max_concurrent_loans", minimum=1),
        max_days_past_due_on_book=r.integer("max_days_past_due_on_book", minimum=0),
        recent_default_months=r.integer("recent_default_months", minimum=0),
        min_history_months=r.integer("min_history_months", minimum=0),
        auto_approve_max_amount=r.money("auto_approve_max_amount"),
        max_auto_grade=r.choice("max_auto_grade", tuple(grade_names)),
        decline_grades=decline, bureau_outage=r.choice("bureau_outage", OUTAGE_ACTIONS),
        counter_offer_step=r.money("counter_offer_step"), rate_card=rate_card,
        fees=tuple(_fee(f, f"products.{code}.fees[{i}].") for i, f in enumerate(r.list("fees"))),
        max_debt_to_income=r.optional_rate("max_debt_to_income"),
        min_residual_income=r.optional_money("min_residual_income"),
        max_loan_to_value=r.optional_rate("max_loan_to_value"),
        guarantor_income_cover=r.optional_rate("guarantor_income_cover"),
        late_fee_rate=r.optional_rate("late_fee_rate"),
        penalty=_penalty(body.get("penalty"), f"products.{code}.penalty."),
        tolerance_days=int(body.get("tolerance_days", 0)), raw=body,
    )
    if policy.amount_min > policy.amount_max or policy.term_min > policy.term_max:
        raise PolicyError(f"products.{code}", "minimum above maximum")
    if policy.min_age > policy.max_age:
        raise PolicyError(f"products.{code}.min_age", "above max_age")
    if policy.amortization == "bullet" and policy.frequencies != ("at_maturity",):
        raise PolicyError(f"products.{code}.frequencies", "a bullet loan is at_maturity only")
    if any(not f.deducted_from_disbursement for f in policy.fees) and (
            policy.amortization != "bullet"):
        raise PolicyError(f"products.{code}.fees", "a fee not withheld from the payout "
                          "needs a single-installment (bullet) product")
    return policy


def _fee(item: Any, where: str) -> FeeRule:
    r = _Reader(item, where)
    basis = r.choice("basis", ("flat", "principal"))
    return FeeRule(
        kind=r.choice("kind", ("origination", "service")), basis=basis,
        amount=r.money("amount") if basis == "flat" else None,
        rate=r.rate("rate") if basis == "principal" else None,
        deducted_from_disbursement=bool(item.get("deducted_from_disbursement", False)),
    )


def _penalty(item: Any, where: str) -> PenaltyPolicy | None:
    if item is None:
        return None
    r = _Reader(item, where)
    return PenaltyPolicy(r.rate("annual_rate"), r.integer("grace_days", minimum=0),
                         r.choice("basis", ("principal", "overdue_installment")))


class _Reader:
    def __init__(self, data: Any, prefix: str) -> None:
        if not isinstance(data, dict):
            raise PolicyError(prefix.rstrip(".") or "policy", "must be a table")
        self.data, self.prefix = data, prefix

    def _get(self, name: str) -> Any:
        if name not in self.data:
            raise PolicyError(self.prefix + name, "is required")
        return self.data[name]

    def text(self, name: str) -> str:
        value = self._get(name)
        if not isinstance(value, str) or not value:
            raise PolicyError(self.prefix + name, "must be a non-empty string")
        return value

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.text(name)
        if value not in choices:
            raise PolicyError(self.prefix + name, f"must be one of {', '.join(choices)}")
        return value

    def choice_list(self, name: str, choices: tuple[str, ...]) -> list[str]:
        values = self.list(name)
        for v in values:
            if v not in choices:
                raise PolicyError(self.prefix + name, f"{v!r} is not one of {choices}")
        return values

    def list(self, name: str) -> list[Any]:
        value = self._get(name)
        if not isinstance(value, list):
            raise PolicyError(self.prefix + name, "must be a list")
        return value

    def table(self, name: str) -> dict[str, Any]:
        value = self._get(name)
        if not isinstance(value, dict):
            raise PolicyError(self.prefix + name, "must be a table")
        return value

    def integer(self, name: str, minimum: int) -> int:
        value = self._get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise PolicyError(self.prefix + name, f"must be an integer >= {minimum}")
        return value

    def boolean(self, name: str) -> bool:
        value = self._get(name)
        if not isinstance(value, bool):
            raise PolicyError(self.prefix + name, "must be true or false")
        return value

    def decimal(self, name: str) -> Decimal:
        value = self._get(name)
        if not isinstance(value, str):
            raise PolicyError(self.prefix + name, "must be a decimal string like \"0.1200\"")
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise PolicyError(self.prefix + name, f"{value!r} is not a decimal") from None
        if not number.is_finite() or number < 0:
            raise PolicyError(self.prefix + name, "must be a non-negative decimal")
        return number

    money = decimal

    def rate(self, name: str) -> Decimal:
        value = self.decimal(name)
        if value > 10:
            raise PolicyError(self.prefix + name, "must be a fraction (0.12 is 12%)")
        return value

    def optional_rate(self, name: str) -> Decimal | None:
        return self.rate(name) if name in self.data else None

    def optional_money(self, name: str) -> Decimal | None:
        return self.money(name) if name in self.data else None
