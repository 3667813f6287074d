"""Collection strategies as data: which actions a case gets, by product, bucket and balance,
at what days past due, how often, within which contact limits.

``plan`` is pure: given one open case, what was already done and the business date, it
returns the actions due now. Re-running it for the same day returns the same codes, which is
what lets the store make each (case, action, business date) happen once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from lending_collections.domain.errors import StrategyFileError

KINDS = ("sms_reminder", "email_reminder", "call_task", "field_visit_task", "demand_letter",
         "legal_referral", "hardship_offer")
STAGES = ("reminder", "call", "field_visit", "formal_demand", "legal")
CONTACT_KINDS = frozenset({"sms_reminder", "email_reminder", "call_task", "field_visit_task"})
MESSAGE_KINDS = frozenset({"sms_reminder", "email_reminder"})
WINDOW_DAYS = 7


@dataclass(frozen=True)
class ActionRule:
    code: str
    kind: str
    stage: str
    from_dpd: int
    to_dpd: int | None = None
    repeat_every_days: int | None = None  # None: once per case
    template: str = ""

    @property
    def is_contact(self) -> bool:
        return self.kind in CONTACT_KINDS

    def applies_at(self, dpd: int) -> bool:
        return self.from_dpd <= dpd and (self.to_dpd is None or dpd <= self.to_dpd)


@dataclass(frozen=True)
class Strategy:
    strategy_id: str
    actions: tuple[ActionRule, ...]
    products: frozenset[str] = frozenset()  # empty: every product
    buckets: frozenset[str] = frozenset()  # empty: every bucket
    min_outstanding: Decimal = Decimal(0)

    def matches(self, product: str, bucket: str, outstanding: Decimal) -> bool:
        return ((not self.products or product in self.products)
                and (not self.buckets or bucket in self.buckets)
                and outstanding >= self.min_outstanding)


@dataclass(frozen=True)
class ContactLimits:
    max_contacts_per_week: int
    quiet_start: time
    quiet_end: time
    timezone: tzinfo

    def in_quiet_hours(self, now: datetime) -> bool:
        local = now.astimezone(self.timezone).time()
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= local < self.quiet_end
        return local >= self.quiet_start or local < self.quiet_end

    def next_allowed(self, now: datetime) -> datetime:
        """``now`` outside quiet hours, else the end of the quiet period (a message queued at
        23:00 goes out at 08:00)."""
        if not self.in_quiet_hours(now):
            return now
        local = now.astimezone(self.timezone)
        end = local.replace(hour=self.quiet_end.hour, minute=self.quiet_end.minute,
                            second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)


@dataclass(frozen=True)
class StrategyBook:
    version: str
    limits: ContactLimits
    strategies: tuple[Strategy, ...]

    def strategy_for(self, product: str, bucket: str, outstanding: Decimal) -> Strategy:
        for strategy in self.strategies:
            if strategy.matches(product, bucket, outstanding):
                return strategy
        return self.strategies[-1]


@dataclass(frozen=True)
class CaseView:
    """What planning reads about one open case."""

    case_id: str
    loan_id: str
    product_code: str
    bucket: str
    days_past_due: int
    outstanding: Decimal
    promise_pending: bool = False


@dataclass(frozen=True)
class PastAction:
    code: str
    on: date
    is_contact: bool


@dataclass(frozen=True)
class PlannedAction:
    case_id: str
    loan_id: str
    strategy_id: str
    version: str
    rule: ActionRule
    business_date: date
    send_after: datetime | None  # messages only: after quiet hours
    days_past_due: int = 0

    @property
    def dedupe_key(self) -> str:
        return f"{self.case_id}:{self.rule.code}:{self.business_date.isoformat()}"


@dataclass(frozen=True)
class Plan:
    actions: list[PlannedAction]
    skipped: list[tuple[str, str]]  # (action code, why)
    next_action_on: date | None


def _due_by_history(rule: ActionRule, history: Sequence[PastAction], today: date) -> bool:
    done = [a.on for a in history if a.code == rule.code]
    if not done:
        return True
    if rule.repeat_every_days is None:
        return False
    return max(done) + timedelta(days=rule.repeat_every_days) <= today


def plan(book: StrategyBook, case: CaseView, history: Sequence[PastAction], today: date,
         now: datetime) -> Plan:
    strategy = book.strategy_for(case.product_code, case.bucket, case.outstanding)
    window_start = today - timedelta(days=WINDOW_DAYS - 1)
    contacts = sum(1 for a in history if a.is_contact and window_start <= a.on <= today)
    actions: list[PlannedAction] = []
    skipped: list[tuple[str, str]] = []
    # The weekly contact budget goes to the most escalated stage first: a call at 8 DPD
    # is not crowded out by another SMS reminder.
    order = {rule.code: n for n, rule in enumerate(strategy.actions)}
    for rule in sorted(strategy.actions, key=lambda r: STAGES.index(r.stage), reverse=True):
        if not rule.applies_at(case.days_past_due) or not _due_by_history(rule, history, today):
            continue
        if case.promise_pending:
            skipped.append((rule.code, "promise_pending"))
            continue
        if rule.is_contact and contacts >= book.limits.max_contacts_per_week:
            skipped.append((rule.code, "contact_limit"))
            continue
        contacts += rule.is_contact
        send_after = book.limits.next_allowed(now) if rule.kind in MESSAGE_KINDS else None
        actions.append(PlannedAction(case.case_id, case.loan_id, strategy.strategy_id,
                                     book.version, rule, today, send_after,
                                     case.days_past_due))
    actions.sort(key=lambda a: order[a.rule.code])
    skipped.sort(key=lambda s: order[s[0]])
    done = [*history, *(PastAction(a.rule.code, today, a.rule.is_contact) for a in actions)]
    return Plan(actions, skipped, _next_action_on(strategy, case, done, today))


def _next_action_on(strategy: Strategy, case: CaseView, history: Sequence[PastAction],
                    today: date) -> date | None:
    """The first later business date on which some rule of the strategy comes due, if the
    loan keeps ageing one DPD a day."""
    candidates: list[date] = []
    for rule in strategy.actions:
        last = max((a.on for a in history if a.code == rule.code), default=None)
        if last is None:
            start = today + timedelta(days=max(1, rule.from_dpd - case.days_past_due))
        elif rule.repeat_every_days is not None:
            start = last + timedelta(days=rule.repeat_every_days)
        else:
            continue
        ages_at_start = case.days_past_due + (start - today).days
        if rule.to_dpd is None or ages_at_start <= rule.to_dpd:
            candidates.append(max(start, today + timedelta(days=1)))
    return min(candidates, default=None)


def _time(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise StrategyFileError(f"{text!r} is not a time like '21:00'") from exc


def _rule(raw: Mapping[str, Any]) -> ActionRule:
    rule = ActionRule(
        code=str(raw["code"]), kind=str(raw["kind"]), stage=str(raw["stage"]),
        from_dpd=int(raw["from_dpd"]),
        to_dpd=None if raw.get("to_dpd") is None else int(raw["to_dpd"]),
        repeat_every_days=(None if raw.get("repeat_every_days") is None
                           else int(raw["repeat_every_days"])),
        template=str(raw.get("template", "")))
    if rule.kind not in KINDS:
        raise StrategyFileError(f"action {rule.code}: kind {rule.kind!r} not one of {KINDS}")
    if rule.stage not in STAGES:
        raise StrategyFileError(f"action {rule.code}: stage {rule.stage!r} not one of {STAGES}")
    try:
        rule.template.format(loan_id="", dpd=0)
    except (KeyError, IndexError, ValueError) as exc:
        raise StrategyFileError(
            f"action {rule.code}: template may use only {{loan_id}} and {{dpd}}: {exc}") from exc
    return rule


def book_from_dict(raw: Mapping[str, Any]) -> StrategyBook:
    """Parses the content of strategies.toml (see docs/collections.md)."""
    try:
        limits = raw["contact_limits"]
        book = StrategyBook(
            version=str(raw["version"]),
            limits=ContactLimits(
                max_contacts_per_week=int(limits["max_contacts_per_week"]),
                quiet_start=_time(limits["quiet_hours_start"]),
                quiet_end=_time(limits["quiet_hours_end"]),
                timezone=ZoneInfo(limits.get("timezone", "UTC"))),
            strategies=tuple(
                Strategy(strategy_id=str(s["id"]),
                         actions=tuple(_rule(a) for a in s.get("action", ())),
                         products=frozenset(s.get("products", ())),
                         buckets=frozenset(s.get("buckets", ())),
                         min_outstanding=Decimal(str(s.get("min_outstanding", "0"))))
                for s in raw["strategy"]))
    except (KeyError, TypeError) as exc:
        raise StrategyFileError(f"strategies: missing or malformed {exc}") from exc
    if not book.strategies:
        raise StrategyFileError("strategies: at least one [[strategy]] is needed")
    for s in book.strategies:
        local = [a.code for a in s.actions]
        if len(local) != len(set(local)):
            raise StrategyFileError(f"strategy {s.strategy_id}: action codes repeat")
    return book
