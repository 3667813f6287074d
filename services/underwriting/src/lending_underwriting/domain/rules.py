"""Policy rules: each a small function of the case, each yielding a reason code.

A rule passes, declines, refers to a human, or limits the amount (the decision then looks
for a counter-offer within the limit). Rules never raise and never call out: everything
they need is in the ``Case``, so the same case always gives the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from lending_underwriting.domain.features import monthly_obligations
from lending_underwriting.domain.model import Application, BorrowerExposure, BureauReport
from lending_underwriting.domain.policy import PolicyBook, ProductPolicy


class Outcome(StrEnum):
    PASS = "pass"
    DECLINE = "decline"
    REFER = "refer"
    LIMIT = "limit"  # passes only for a smaller amount or a smaller installment
    SKIP = "skip"  # does not apply to this application


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: str
    outcome: Outcome
    reason_code: str | None = None
    detail: str = ""
    limit: Decimal | None = None  # LIMIT: the maximum amount, or maximum monthly installment

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "outcome": self.outcome.value, "reason_code": self.reason_code,
                "detail": self.detail, "limit": None if self.limit is None else str(self.limit)}


@dataclass(frozen=True)
class Case:
    app: Application
    bureau: BureauReport | None
    exposure: BorrowerExposure
    policy: ProductPolicy
    book: PolicyBook


def _ok(rule: str, detail: str = "") -> RuleResult:
    return RuleResult(rule, Outcome.PASS, None, detail)


def _skip(rule: str, detail: str) -> RuleResult:
    return RuleResult(rule, Outcome.SKIP, None, detail)


# --- knockouts: decline (or refer) whatever the score ---------------------------------------

def product_terms(c: Case) -> RuleResult:
    p, a = c.policy, c.app
    problems = []
    if a.currency != p.currency:
        problems.append(f"currency {a.currency} is not {p.currency}")
    if a.applicant_type not in p.applicant_types:
        problems.append(f"applicant type {a.applicant_type} not served")
    if a.term_unit != p.term_unit or not p.term_min <= a.term_count <= p.term_max:
        problems.append(f"term {a.term_count} {a.term_unit} outside {p.term_min}-{p.term_max} "
                        f"{p.term_unit}")
    if a.frequency not in p.frequencies:
        problems.append(f"frequency {a.frequency} not offered")
    if not p.amount_min <= a.requested_amount <= p.amount_max:
        problems.append(f"amount {a.requested_amount} outside {p.amount_min}-{p.amount_max}")
    if problems:
        return RuleResult("product_terms", Outcome.DECLINE, "product_terms_not_offered",
                          "; ".join(problems))
    return _ok("product_terms")


def applicant_age(c: Case) -> RuleResult:
    if c.bureau is None:
        return _skip("applicant_age", "no bureau report")
    age, p = c.bureau.age_years, c.policy
    if not p.min_age <= age <= p.max_age:
        return RuleResult("applicant_age", Outcome.DECLINE, "applicant_age",
                          f"age {age} outside {p.min_age}-{p.max_age}")
    return _ok("applicant_age", f"age {age}")


def purpose(c: Case) -> RuleResult:
    if c.app.purpose in c.book.prohibited_purposes:
        return RuleResult("purpose", Outcome.DECLINE, "purpose_not_allowed",
                          f"{c.app.purpose} is a prohibited purpose")
    return _ok("purpose")


def identity(c: Case) -> RuleResult:
    if c.bureau is None:
        return _skip("identity", "no bureau report")
    if not c.bureau.identity_match:
        return RuleResult("identity", Outcome.DECLINE, "identity_not_verified",
                          "the bureau's identity record does not match the application")
    return _ok("identity")


def delinquent_on_book(c: Case) -> RuleResult:
    dpd, allowed = c.exposure.worst_days_past_due, c.policy.max_days_past_due_on_book
    if dpd > allowed:
        return RuleResult("delinquent_on_book", Outcome.DECLINE, "delinquent_loan_with_us",
                          f"a loan with us is {dpd} days past due (allowed {allowed})")
    return _ok("delinquent_on_book")


def recent_default(c: Case) -> RuleResult:
    if c.exposure.written_off_loans:
        return RuleResult("recent_default", Outcome.DECLINE, "recent_default",
                          f"{c.exposure.written_off_loans} loan(s) written off with us")
    b = c.bureau
    window = c.policy.recent_default_months
    if b is not None and b.months_since_default is not None and b.months_since_default < window:
        return RuleResult("recent_default", Outcome.DECLINE, "recent_default",
                          f"default {b.months_since_default} months ago (window {window})")
    return _ok("recent_default")


def required_documents(c: Case) -> RuleResult:
    missing = sorted(set(c.policy.required_documents) & set(c.app.missing_documents))
    if missing:
        return RuleResult("required_documents", Outcome.REFER, "documents_missing",
                          "missing " + ", ".join(missing))
    return _ok("required_documents")


def declared_income(c: Case) -> RuleResult:
    if c.policy.income_required and not c.app.monthly_income:
        return RuleResult("declared_income", Outcome.REFER, "income_not_declared",
                          "the product needs a declared monthly income")
    return _ok("declared_income")


def concurrent_loans(c: Case) -> RuleResult:
    e, limit = c.exposure, c.policy.max_concurrent_loans
    held = e.active_loans + e.open_offers
    if held >= limit:
        return RuleResult("concurrent_loans", Outcome.DECLINE, "stacking_detected",
                          f"{e.active_loans} active loan(s) and {e.open_offers} open offer(s) "
                          f"with us; at most {limit} at a time")
    return _ok("concurrent_loans", f"{held} held")


def bureau_available(c: Case) -> RuleResult:
    if c.bureau is None:
        outcome = Outcome.REFER if c.policy.bureau_outage == "refer" else Outcome.DECLINE
        return RuleResult("bureau_available", outcome, "bureau_unavailable",
                          f"no credit bureau report; policy says {c.policy.bureau_outage}")
    return _ok("bureau_available", c.bureau.report_id)


def thin_file(c: Case) -> RuleResult:
    if c.bureau is None:
        return _skip("thin_file", "no bureau report")
    months, minimum = c.bureau.history_months, c.policy.min_history_months
    if months < minimum:
        return RuleResult("thin_file", Outcome.REFER, "thin_bureau_file",
                          f"{months} months of credit history (minimum {minimum})")
    return _ok("thin_file")


KNOCKOUTS = (product_terms, applicant_age, purpose, identity, delinquent_on_book,
             recent_default, required_documents, declared_income, concurrent_loans,
             bureau_available, thin_file)


def score_band(c: Case, grade: str) -> RuleResult:
    p, book = c.policy, c.book
    if grade in p.decline_grades:
        return RuleResult("score_band", Outcome.DECLINE, "score_below_cutoff",
                          f"grade {grade} is below the product's cut-off")
    if book.grade_rank(grade) > book.grade_rank(p.max_auto_grade):
        return RuleResult("score_band", Outcome.REFER, "score_in_review_band",
                          f"grade {grade} is reviewed by an underwriter (auto up to "
                          f"{p.max_auto_grade})")
    return _ok("score_band", f"grade {grade}")


# --- amount limits --------------------------------------------------------------------------

def total_exposure(c: Case) -> RuleResult:
    p, e, asked = c.policy, c.exposure, c.app.requested_amount
    headroom = p.max_total_exposure - e.outstanding
    detail = f"{e.outstanding} outstanding with us, limit {p.max_total_exposure}"
    if headroom < p.amount_min:
        return RuleResult("total_exposure", Outcome.DECLINE, "exposure_limit", detail)
    if headroom < asked:
        return RuleResult("total_exposure", Outcome.LIMIT, "exposure_limit", detail, headroom)
    return _ok("total_exposure", detail)


def loan_to_value(c: Case) -> RuleResult:
    p, a = c.policy, c.app
    if a.security not in ("collateral", "receivable") or p.max_loan_to_value is None:
        return _skip("loan_to_value", f"security {a.security}")
    if not a.collateral_value:
        return RuleResult("loan_to_value", Outcome.DECLINE, "collateral_insufficient",
                          "no collateral value was given")
    cap = a.collateral_value * p.max_loan_to_value
    detail = f"value {a.collateral_value} x LTV {p.max_loan_to_value} = {cap}"
    if cap < p.amount_min:
        return RuleResult("loan_to_value", Outcome.DECLINE, "collateral_insufficient", detail)
    if cap < a.requested_amount:
        return RuleResult("loan_to_value", Outcome.LIMIT, "collateral_insufficient", detail, cap)
    return _ok("loan_to_value", detail)


AMOUNT_LIMITS = (total_exposure, loan_to_value)


# --- installment limits: the most the borrower can pay a month -----------------------------

def debt_to_income(c: Case) -> RuleResult:
    p, a = c.policy, c.app
    if p.max_debt_to_income is None or not a.monthly_income:
        return _skip("debt_to_income", "no cap or no declared income")
    obligations = monthly_obligations(a, c.bureau)
    room = a.monthly_income * p.max_debt_to_income - obligations
    detail = (f"income {a.monthly_income}, obligations {obligations}, cap "
              f"{p.max_debt_to_income}: up to {room} a month")
    return RuleResult("debt_to_income", Outcome.LIMIT, "debt_to_income_too_high", detail, room)


def residual_income(c: Case) -> RuleResult:
    p, a = c.policy, c.app
    if p.min_residual_income is None or not a.monthly_income:
        return _skip("residual_income", "no minimum or no declared income")
    obligations = monthly_obligations(a, c.bureau)
    room = a.monthly_income - obligations - p.min_residual_income
    detail = (f"income {a.monthly_income} - obligations {obligations} - minimum residual "
              f"{p.min_residual_income}: up to {room} a month")
    return RuleResult("residual_income", Outcome.LIMIT, "residual_income_too_low", detail, room)


def guarantor_cover(c: Case) -> RuleResult:
    p, a = c.policy, c.app
    if a.security != "guarantor" or p.guarantor_income_cover is None:
        return _skip("guarantor_cover", f"security {a.security}")
    if a.guarantor_monthly_income is None:
        return RuleResult("guarantor_cover", Outcome.REFER, "guarantor_income_unverified",
                          "the guarantor's income is not on the application")
    room = a.guarantor_monthly_income / p.guarantor_income_cover
    detail = (f"guarantor income {a.guarantor_monthly_income} / cover "
              f"{p.guarantor_income_cover}: up to {room} a month")
    return RuleResult("guarantor_cover", Outcome.LIMIT, "guarantor_income_insufficient",
                      detail, room)


INSTALLMENT_LIMITS = (debt_to_income, residual_income, guarantor_cover)
