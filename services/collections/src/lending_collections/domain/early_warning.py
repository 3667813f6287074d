"""Early warning: a per-loan risk signal kept from the stream, scored by rules as data
(early_warning.toml), raised (EarlyWarningRaised) with its reasons before a loan is
delinquent, and the trigger of pre-due outreach for flagged loans.

``RiskFacts`` is what the stream told us about one loan (origination score, due dates,
how late each installment was paid, missed and partial payments, each delinquency's peak
DPD, the borrower's exposure); ``assess`` turns facts into signals, a score and a level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from lending_collections.domain.errors import StrategyFileError

PAYMENT_MISSED = "payment_missed"
FIRST_PAYMENT_DEFAULT = "first_payment_default"
PARTIAL_PAYMENT = "partial_payment"
LATE_PAYMENT_PATTERN = "late_payment_pattern"
PAYING_LATER = "paying_later"
DPD_TREND_RISING = "dpd_trend_rising"
EXPOSURE_GROWING = "exposure_growing"
LOW_ORIGINATION_SCORE = "low_origination_score"
SIGNALS = (PAYMENT_MISSED, FIRST_PAYMENT_DEFAULT, PARTIAL_PAYMENT, LATE_PAYMENT_PATTERN,
           PAYING_LATER, DPD_TREND_RISING, EXPOSURE_GROWING, LOW_ORIGINATION_SCORE)
LEVELS = ("none", "low", "medium", "high")
_KEEP = 12  # installments remembered for due dates and lateness


@dataclass(frozen=True)
class RiskFacts:
    origination_score: int | None = None
    probability_of_default: str | None = None
    due_dates: dict[str, str] = field(default_factory=dict)  # installment no. -> ISO date
    days_late: list[int] = field(default_factory=list)  # per settled installment, in order
    missed: list[int] = field(default_factory=list)  # installment numbers ever missed
    partial_payments: int = 0
    peaks: list[int] = field(default_factory=list)  # peak DPD of each cured delinquency
    current_dpd: int = 0
    current_peak: int = 0
    exposure_before: int = 0  # the borrower's other loans' principal when this one was booked
    exposure_after: int = 0
    raised_level: str = "none"  # the level of the last EarlyWarningRaised
    raised_signals: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        # Fields are flat (numbers, strings, lists of them, one str->str dict): a shallow
        # copy of each container does what ``asdict``'s recursive deep copy did, at a
        # fraction of the cost (it ran for every event that re-scores a loan).
        return {name: (list(value) if isinstance(value, list) else
                       dict(value) if isinstance(value, dict) else value)
                for name, value in self.__dict__.items()}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> RiskFacts:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in (raw or {}).items() if k in known})

    # --- what each event adds ------------------------------------------------------------

    def due(self, installment: int, on: date) -> RiskFacts:
        dates = {**self.due_dates, str(installment): on.isoformat()}
        keep = sorted(dates, key=int)[-_KEEP:]
        return replace(self, due_dates={k: dates[k] for k in keep})

    def missed_payment(self, installment: int, due_date: date, paid_something: bool,
                       dpd: int) -> RiskFacts:
        facts = self.due(installment, due_date)
        return replace(facts, missed=sorted({*self.missed, installment})[-_KEEP:],
                       partial_payments=self.partial_payments + paid_something,
                       current_dpd=dpd, current_peak=max(self.current_peak, dpd))

    def settled(self, installments: list[int], value_date: date) -> RiskFacts:
        late = [(value_date - date.fromisoformat(self.due_dates[str(n)])).days
                for n in sorted(installments) if str(n) in self.due_dates]
        return replace(self, days_late=[*self.days_late, *late][-_KEEP:])

    def dpd(self, days_past_due: int) -> RiskFacts:
        if days_past_due == 0 and self.current_peak > 0:  # a cure closes the episode
            return replace(self, peaks=[*self.peaks, self.current_peak][-_KEEP:],
                           current_dpd=0, current_peak=0)
        return replace(self, current_dpd=days_past_due,
                       current_peak=max(self.current_peak, days_past_due))


@dataclass(frozen=True)
class SignalRule:
    code: str
    weight: int
    params: Mapping[str, Any] = field(default_factory=dict)

    def param(self, name: str, default: Any) -> Any:
        return self.params.get(name, default)


@dataclass(frozen=True)
class EarlyWarningRules:
    version: str
    thresholds: tuple[tuple[int, str], ...]  # (minimum score, level), highest first
    raise_from: str  # EarlyWarningRaised from this level
    outreach_from: str  # pre-due SMS on InstallmentDueSoon from this level
    outreach_template: str
    signals: tuple[SignalRule, ...]

    def level_of(self, score: int) -> str:
        return next((lvl for minimum, lvl in self.thresholds if score >= minimum), "none")

    def at_least(self, level: str, floor: str) -> bool:
        return LEVELS.index(level) >= LEVELS.index(floor)


@dataclass(frozen=True)
class Assessment:
    signals: tuple[str, ...]
    score: int
    level: str

    @property
    def severity(self) -> str:  # EarlyWarningRaised's severity (no 'none')
        return "low" if self.level == "none" else self.level


def _detect(rule: SignalRule, f: RiskFacts) -> bool:
    code = rule.code
    if code == PAYMENT_MISSED:
        return f.current_dpd > 0
    if code == FIRST_PAYMENT_DEFAULT:
        return 1 in f.missed
    if code == PARTIAL_PAYMENT:
        return f.partial_payments >= int(rule.param("min_count", 1))
    if code == LATE_PAYMENT_PATTERN:
        window = f.days_late[-int(rule.param("window", 3)):]
        late = sum(1 for d in window if d > 0) + len(f.peaks)
        return late >= int(rule.param("min_late", 2)) or len(f.peaks) >= int(
            rule.param("min_cures", 1))
    if code == PAYING_LATER:
        cycles = int(rule.param("cycles", 3))
        last = f.days_late[-cycles:]
        return (len(last) == cycles and last[-1] > 0
                and all(a < b for a, b in pairwise(last)))
    if code == DPD_TREND_RISING:
        peaks = [*f.peaks, *([f.current_peak] if f.current_peak else [])]
        return len(peaks) >= 2 and peaks[-1] > peaks[-2]
    if code == EXPOSURE_GROWING:
        growth = Decimal(str(rule.param("min_growth", "0.5")))
        return f.exposure_before > 0 and Decimal(f.exposure_after) >= (
            Decimal(f.exposure_before) * (1 + growth))
    if code == LOW_ORIGINATION_SCORE:
        low = (f.origination_score is not None
               and f.origination_score < int(rule.param("max_score", 600)))
        risky = (f.probability_of_default is not None and Decimal(f.probability_of_default)
                 >= Decimal(str(rule.param("min_probability_of_default", "0.15"))))
        return low or risky
    raise StrategyFileError(f"early warning: no detector for {code!r}")


def assess(rules: EarlyWarningRules, facts: RiskFacts) -> Assessment:
    found = [r for r in rules.signals if _detect(r, facts)]
    score = sum(r.weight for r in found)
    return Assessment(tuple(r.code for r in found), score, rules.level_of(score))


def worth_raising(rules: EarlyWarningRules, facts: RiskFacts, now: Assessment) -> bool:
    """A warning when the level reaches ``raise_from`` and says something new: a higher
    level than the last one raised, or a signal not in it."""
    if not rules.at_least(now.level, rules.raise_from):
        return False
    higher = LEVELS.index(now.level) > LEVELS.index(facts.raised_level)
    return higher or not set(now.signals) <= set(facts.raised_signals)


def rules_from_dict(raw: Mapping[str, Any]) -> EarlyWarningRules:
    """Parses early_warning.toml (see docs/collections.md)."""
    try:
        levels = raw["levels"]
        thresholds = tuple(sorted(((int(levels[lvl]), lvl) for lvl in LEVELS[1:]),
                                  reverse=True))
        signals = tuple(
            SignalRule(str(s["code"]), int(s["weight"]),
                       {k: v for k, v in s.items() if k not in ("code", "weight")})
            for s in raw["signal"])
        rules = EarlyWarningRules(
            str(raw["version"]), thresholds, str(raw["raise_from"]),
            str(raw["outreach_from"]), str(raw["outreach_template"]), signals)
    except (KeyError, TypeError, ValueError) as exc:
        raise StrategyFileError(f"early warning: missing or malformed {exc}") from exc
    unknown = {s.code for s in signals} - set(SIGNALS)
    if unknown:
        raise StrategyFileError(f"early warning: unknown signals {sorted(unknown)}")
    if rules.raise_from not in LEVELS or rules.outreach_from not in LEVELS:
        raise StrategyFileError(f"early warning: levels are {LEVELS}")
    try:
        rules.outreach_template.format(loan_id="", due_date="", amount="")
    except (KeyError, IndexError, ValueError) as exc:
        raise StrategyFileError(
            "early warning: the template may use {loan_id}, {due_date}, {amount}") from exc
    return rules
