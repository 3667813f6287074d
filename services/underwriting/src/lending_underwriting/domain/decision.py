"""The credit decision: rules, score, limits, price, and exactly one outcome.

``decide`` is a pure function of its inputs, the policy book and the scorecard: the same
inputs with the same policy and model version give the same decision, to the cent and the
reason code. That is what ``GET /v1/decisions/{id}`` re-runs to prove.

Order: score every application; knockouts (any decline ends it); amount limits (exposure,
loan-to-value); price at the grade's rate under the legal cap; installment limits
(debt-to-income, residual income, guarantor cover), with a counter-offer of a smaller amount
or, failing that, a longer term; the automatic-approval limit. Outcome: any decline ->
declined; else any referral -> referred (with the priced offer as the underwriter's
proposal); else approved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from lending_underwriting.domain import rules
from lending_underwriting.domain.features import features
from lending_underwriting.domain.model import Application, BorrowerExposure, BureauReport
from lending_underwriting.domain.policy import PolicyBook, ProductPolicy
from lending_underwriting.domain.pricing import PricedOffer, UnsupportedTermsError, price
from lending_underwriting.domain.reasons import describe
from lending_underwriting.domain.rules import Case, Outcome, RuleResult
from lending_underwriting.domain.scorecard import Scorecard, ScoreResult

APPROVED, DECLINED, REFERRED = "approved", "declined", "referred"
_IDS = uuid.UUID("6f1c0d3e-5b7a-4c2e-9d41-2a8e7c1b0f55")


def decision_ids(application_id: str) -> dict[str, str]:
    """Stable ids per application: a redelivered or re-run decision has the same ids."""
    h = uuid.uuid5(_IDS, application_id).hex
    return {"decision_id": f"dec-{h[:24]}", "score_id": f"score-{h[:24]}",
            "referral_id": f"ref-{h[:24]}"}


@dataclass(frozen=True)
class DecisionInputs:
    application: Application
    bureau: BureauReport | None
    exposure: BorrowerExposure
    as_of: date  # business date: the offer's start date
    decided_at: datetime
    bureau_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"application": self.application.to_dict(),
                "bureau": self.bureau.to_dict() if self.bureau else None,
                "bureau_error": self.bureau_error, "exposure": self.exposure.to_dict(),
                "as_of": self.as_of.isoformat(), "decided_at": self.decided_at.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionInputs:
        return cls(
            application=Application.from_dict(data["application"]),
            bureau=BureauReport.from_dict(data["bureau"]) if data.get("bureau") else None,
            exposure=BorrowerExposure.from_dict(data["exposure"]),
            as_of=date.fromisoformat(data["as_of"]),
            decided_at=datetime.fromisoformat(data["decided_at"]),
            bureau_error=data.get("bureau_error"),
        )


@dataclass(frozen=True)
class Decision:
    application_id: str
    outcome: str
    reason_codes: tuple[str, ...]
    score: ScoreResult
    grade: str
    rule_results: tuple[RuleResult, ...]
    offer: PricedOffer | None
    policy_version: str
    decided_at: datetime
    expires_at: datetime | None  # approved: the offer's expiry; referred: decide-by
    reapply_after: datetime | None = None

    @property
    def ids(self) -> dict[str, str]:
        return decision_ids(self.application_id)

    @property
    def reasons(self) -> list[dict[str, str]]:
        return [{"code": c, "description": describe(c)} for c in self.reason_codes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id, "outcome": self.outcome, **self.ids,
            "reason_codes": list(self.reason_codes), "reasons": self.reasons,
            "score": self.score.to_dict(), "risk_grade": self.grade,
            "rule_results": [r.to_dict() for r in self.rule_results],
            "offer": self.offer.to_dict() if self.offer else None,
            "model_version": self.score.model_version, "policy_version": self.policy_version,
            "decided_at": self.decided_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "reapply_after": self.reapply_after.isoformat() if self.reapply_after else None,
        }


def decide(inputs: DecisionInputs, book: PolicyBook, scorecard: Scorecard) -> Decision:
    app = inputs.application
    score = scorecard.score(features(app, inputs.bureau, inputs.exposure))
    grade = book.grade_for(score.probability_of_default)
    policy = book.product(app.product_code)
    made = _Maker(inputs, book, score, grade)
    if policy is None:
        result = RuleResult("product_terms", Outcome.DECLINE, "product_not_offered",
                            f"no policy for product {app.product_code}")
        return made.finish([result], None)
    case = Case(app, inputs.bureau, inputs.exposure, policy, book)
    results = [rule(case) for rule in rules.KNOCKOUTS]
    results.append(rules.score_band(case, grade))
    results += [rule(case) for rule in rules.AMOUNT_LIMITS]
    if any(r.outcome is Outcome.DECLINE for r in results):
        return made.finish(results, None)
    offer, priced = _offer(case, grade, results, inputs.as_of)
    results += priced
    if offer is not None and offer.amount > policy.auto_approve_max_amount:
        results.append(RuleResult("auto_approval_limit", Outcome.REFER, "amount_above_auto_limit",
                                  f"{offer.amount} above {policy.auto_approve_max_amount}"))
    return made.finish(results, offer)


def _offer(case: Case, grade: str, results: list[RuleResult],
           as_of: date) -> tuple[PricedOffer | None, list[RuleResult]]:
    """The offer as asked or the best counter-offer, with the rule results that shaped it."""
    p, app = case.policy, case.app
    amount_limits = [r for r in results if r.outcome is Outcome.LIMIT and r.limit is not None]
    amount = app.requested_amount
    if amount_limits:
        tightest = min(amount_limits, key=lambda r: r.limit or Decimal(0))
        amount = _round_down(tightest.limit or Decimal(0), p.counter_offer_step, amount)
        if amount < p.amount_min:
            return None, [replace(tightest, outcome=Outcome.DECLINE)]
    limits = [rule(case) for rule in rules.INSTALLMENT_LIMITS]
    room_rules = [r for r in limits if r.outcome is Outcome.LIMIT and r.limit is not None]
    room = min((r.limit for r in room_rules if r.limit is not None), default=None)

    def quote(amount: Decimal, term: int) -> PricedOffer | None:
        try:
            return price(case.book, p, grade, amount, term, app.frequency, as_of)
        except (UnsupportedTermsError, ValueError):
            return None

    offer = quote(amount, app.term_count)
    if offer is None:
        return None, [*limits, RuleResult("rate_cap", Outcome.DECLINE, "rate_cap_exceeded",
                                          "no rate keeps the APR within the legal cap")]
    final = offer
    if room is not None and offer.monthly_installment > room:
        found = _smaller_amount(quote, offer, room, p, app.term_count) if room > 0 else None
        if found is None and room > 0:
            found = _longer_term(quote, amount, room, p, app.term_count)
        if found is None:
            binding = min(room_rules, key=lambda r: r.limit or Decimal(0))
            return None, [replace(r, outcome=Outcome.DECLINE) if r is binding else r
                          for r in limits]
        final = found
    cap_note = RuleResult("rate_cap", Outcome.PASS, None,
                          f"APR {final.apr} within cap {case.book.legal_apr_cap}"
                          + (f"; rate lowered from {final.card_rate}" if final.capped else ""))
    return final, [*_installment_results(limits, offer, final), cap_note]


def _installment_results(limits: list[RuleResult], asked: PricedOffer,
                         final: PricedOffer) -> list[RuleResult]:
    """A limit the offer as asked respects passes; one it breaks but the counter-offer
    respects stays LIMIT (it shaped the counter-offer and is named as its reason)."""
    out = []
    for r in limits:
        if r.outcome is not Outcome.LIMIT or r.limit is None:
            out.append(r)
            continue
        detail = f"{r.detail}; asked pays {asked.monthly_installment}"
        if asked.monthly_installment <= r.limit:
            out.append(replace(r, outcome=Outcome.PASS, reason_code=None, detail=detail))
        else:
            out.append(replace(r, detail=f"{detail}, offer pays {final.monthly_installment}"))
    return out


def _smaller_amount(quote: Any, offer: PricedOffer, room: Decimal, p: ProductPolicy,
                    term: int) -> PricedOffer | None:
    estimate = offer.amount * room / offer.monthly_installment
    candidate = _round_down(estimate, p.counter_offer_step, offer.amount)
    for _ in range(4):
        if candidate < p.amount_min:
            return None
        found = quote(candidate, term)
        if found is not None and found.monthly_installment <= room:
            return found
        candidate -= p.counter_offer_step
    return None


def _longer_term(quote: Any, amount: Decimal, room: Decimal, p: ProductPolicy,
                 term: int) -> PricedOffer | None:
    lo, hi = term, p.term_max  # lo does not fit; find the shortest term that does
    best = None
    top = quote(amount, hi) if hi > term else None
    if top is None or top.monthly_installment > room:
        return None
    best = top
    while hi - lo > 1:
        mid = (lo + hi) // 2
        found = quote(amount, mid)
        if found is not None and found.monthly_installment <= room:
            hi, best = mid, found
        else:
            lo = mid
    return best


def _round_down(amount: Decimal, step: Decimal, exponent_of: Decimal) -> Decimal:
    steps = (amount / step).to_integral_value(ROUND_DOWN)
    return (steps * step).quantize(exponent_of)


class _Maker:
    def __init__(self, inputs: DecisionInputs, book: PolicyBook, score: ScoreResult,
                 grade: str) -> None:
        self.inputs, self.book, self.score, self.grade = inputs, book, score, grade

    def finish(self, results: list[RuleResult], offer: PricedOffer | None) -> Decision:
        app, at = self.inputs.application, self.inputs.decided_at
        declines = _codes(results, Outcome.DECLINE)
        refers = _codes(results, Outcome.REFER)
        base = dict(application_id=app.application_id, score=self.score, grade=self.grade,
                    rule_results=tuple(results), policy_version=self.book.version,
                    decided_at=at)
        if declines:
            if "score_below_cutoff" in declines:  # adverse action: the score's main factors
                declines += [c for c in self.score.reason_codes if c not in declines]
            return Decision(outcome=DECLINED, reason_codes=tuple(declines), offer=None,
                            expires_at=None,
                            reapply_after=at + timedelta(days=self.book.reapply_after_days),
                            **base)  # type: ignore[arg-type]
        counter = _counter_codes(app, offer, results)
        if refers or offer is None:
            return Decision(outcome=REFERRED, reason_codes=tuple(refers + counter), offer=offer,
                            expires_at=at + timedelta(hours=self.book.referral_sla_hours),
                            **base)  # type: ignore[arg-type]
        return Decision(outcome=APPROVED, reason_codes=tuple(counter), offer=offer,
                        expires_at=at + timedelta(days=self.book.offer_valid_days),
                        **base)  # type: ignore[arg-type]


def _codes(results: list[RuleResult], outcome: Outcome) -> list[str]:
    codes: list[str] = []
    for r in results:
        if r.outcome is outcome and r.reason_code and r.reason_code not in codes:
            codes.append(r.reason_code)
    return codes


def _counter_codes(app: Application, offer: PricedOffer | None,
                   results: list[RuleResult]) -> list[str]:
    if offer is None:
        return []
    codes: list[str] = []
    if offer.amount < app.requested_amount:
        codes.append("counter_offer_smaller_amount")
    elif offer.term_count > app.term_count:
        codes.append("counter_offer_longer_term")
    if codes:
        codes += [r.reason_code for r in results
                  if r.outcome is Outcome.LIMIT and r.reason_code and r.reason_code not in codes]
    return codes
