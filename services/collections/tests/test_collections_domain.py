"""The collections domain on its own: cases, strategies as data, promises, classification."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from lending_collections.adapters.policy_files import load_classification, load_strategies
from lending_collections.config import PACKAGE
from lending_collections.domain.buckets import bucket_of
from lending_collections.domain.cases import CollectionCase
from lending_collections.domain.classification import rules_from_dict
from lending_collections.domain.errors import (
    CaseClosedError,
    ContactLimitReachedError,
    PromiseInvalidError,
    StrategyFileError,
)
from lending_collections.domain.promises import BROKEN, KEPT, PENDING, Promise
from lending_collections.domain.strategy import CaseView, PastAction, book_from_dict, plan

BOOK = load_strategies(PACKAGE / "strategies.toml")
RULES = load_classification(PACKAGE / "classification.toml")
DAY = date(2025, 3, 1)
NOON = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def view(dpd: int, *, outstanding: str = "1000.00", promise: bool = False) -> CaseView:
    return CaseView("case-1", "loan-1", "personal-credit", bucket_of(dpd), dpd,
                    Decimal(outstanding), promise)


def codes(dpd: int, history: list[PastAction] | None = None, **kw: Any) -> list[str]:
    return [a.rule.code for a in plan(BOOK, view(dpd, **kw), history or [], DAY, NOON).actions]


def test_a_case_records_who_did_what_and_why_and_refuses_changes_once_closed():
    case = CollectionCase.open("case-1", "loan-1", DAY, 3, "dpd_1_30")
    case.assign("agent-7", "lead-1", DAY, "west region queue")
    case.record_contact("call", "no_answer", "agent-7", DAY, "first call",
                        contacts_this_week=0, weekly_limit=3)
    assert [(r.kind, r.by) for r in case.pending] == [
        ("case_opened", "system"), ("assigned", "lead-1"), ("contact", "agent-7")]
    assert case.close("cured", DAY, "paid") is True
    assert case.close("repaid", DAY, "closed later") is False  # closes once
    with pytest.raises(CaseClosedError):
        case.record_contact("call", "contacted", "agent-7", DAY, "too late",
                            contacts_this_week=0, weekly_limit=3)


def test_an_agent_cannot_contact_a_borrower_past_the_weeks_limit():
    case = CollectionCase.open("case-1", "loan-1", DAY, 3, "dpd_1_30")
    case.record_contact("call", "no_answer", "agent-7", DAY, "third try",
                        contacts_this_week=2, weekly_limit=3)
    with pytest.raises(ContactLimitReachedError):
        case.record_contact("call", "no_answer", "agent-7", DAY, "fourth try",
                            contacts_this_week=3, weekly_limit=3)
    assert [r.kind for r in case.pending] == ["case_opened", "contact"]


def test_a_promise_needs_a_positive_amount_and_a_date_not_in_the_past():
    case = CollectionCase.open("case-1", "loan-1", DAY, 3, "dpd_1_30")
    with pytest.raises(PromiseInvalidError):
        case.record_promise(0, DAY, "agent-7", DAY, "nothing")
    with pytest.raises(PromiseInvalidError):
        case.record_promise(100, DAY - timedelta(days=1), "agent-7", DAY, "yesterday")


def test_a_promise_is_kept_by_payments_up_to_its_date_and_broken_when_the_date_closes():
    kept = Promise("p1", "c1", "l1", "EUR", 30_000, DAY)
    assert kept.apply_payment(10_000, DAY - timedelta(days=2)) is False
    assert kept.apply_payment(20_000, DAY) is True and kept.status == KEPT
    late = Promise("p2", "c1", "l1", "EUR", 30_000, DAY)
    assert late.apply_payment(30_000, DAY + timedelta(days=1)) is False  # after the date
    assert late.close_day(DAY - timedelta(days=1)) is False and late.status == PENDING
    assert late.close_day(DAY) is True and late.status == BROKEN


def test_the_ladder_starts_with_an_sms_then_adds_a_call_then_escalates_by_dpd():
    assert codes(1) == ["sms-reminder"]
    assert codes(8) == ["sms-reminder", "call"]
    assert codes(20) == ["sms-reminder", "call", "hardship-offer"]
    assert codes(65) == ["hardship-offer", "field-visit", "formal-demand"]
    assert codes(95) == ["hardship-offer", "formal-demand", "legal-referral"]


def test_a_large_balance_gets_its_own_strategy():
    assert codes(3, outstanding="25000.00") == ["call-early"]


def test_actions_repeat_only_after_their_interval_and_one_off_actions_never_repeat():
    two_days_ago = [PastAction("sms-reminder", DAY - timedelta(days=2), True)]
    three_days_ago = [PastAction("sms-reminder", DAY - timedelta(days=3), True)]
    assert codes(5, two_days_ago) == []
    assert codes(5, three_days_ago) == ["sms-reminder"]
    offered = [PastAction("hardship-offer", DAY - timedelta(days=30), False)]
    assert "hardship-offer" not in codes(40, offered)


def test_planning_the_same_day_again_gives_the_same_dedupe_keys():
    first = plan(BOOK, view(9), [], DAY, NOON)
    again = plan(BOOK, view(9), [], DAY, NOON)
    assert [a.dedupe_key for a in first.actions] == [a.dedupe_key for a in again.actions]
    assert first.actions[0].dedupe_key == "case-1:sms-reminder:2025-03-01"
    assert all(a.version == "2025.1" for a in first.actions)


def test_the_weekly_contact_limit_holds_automated_contacts_back():
    week = [PastAction("", DAY - timedelta(days=d), True) for d in (1, 3)]
    result = plan(BOOK, view(9), week, DAY, NOON)  # limit 3: room for one more
    assert [a.rule.code for a in result.actions] == ["call"]  # the higher stage first
    assert result.skipped == [("sms-reminder", "contact_limit")]
    old = [PastAction("", DAY - timedelta(days=d), True) for d in (7, 8, 9)]
    assert codes(9, old) == ["sms-reminder", "call"]  # outside the 7-day window


def test_messages_planned_in_quiet_hours_wait_until_the_quiet_hours_end():
    late = datetime(2025, 3, 1, 22, 30, tzinfo=UTC)
    [sms] = plan(BOOK, view(2), [], DAY, late).actions
    assert sms.send_after == datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
    early = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
    [sms] = plan(BOOK, view(2), [], DAY, early).actions
    assert sms.send_after == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    [sms] = plan(BOOK, view(2), [], DAY, NOON).actions
    assert sms.send_after == NOON


def test_a_pending_promise_pauses_the_ladder():
    result = plan(BOOK, view(9, promise=True), [], DAY, NOON)
    assert result.actions == [] and {c for c, _ in result.skipped} == {"sms-reminder", "call"}


def test_the_next_action_date_is_when_the_next_rule_comes_due():
    result = plan(BOOK, view(1), [], DAY, NOON)
    assert result.next_action_on == DAY + timedelta(days=3)  # the sms repeats every 3 days
    result = plan(BOOK, view(6), [PastAction("sms-reminder", DAY, True)], DAY, NOON)
    assert result.next_action_on == DAY + timedelta(days=2)  # the call starts at 8 DPD


def test_classification_walks_the_five_categories_and_the_ifrs9_stages():
    walk = [(d, RULES.classify(d)) for d in (0, 1, 31, 91, 181, 361)]
    assert [(d, c.asset_class, c.ifrs9_stage) for d, c in walk] == [
        (0, "normal", 1), (1, "special_mention", 1), (31, "special_mention", 2),
        (91, "substandard", 3), (181, "doubtful", 3), (361, "loss", 3)]


def test_a_restructured_loan_is_at_least_substandard_and_stage_2_and_a_write_off_is_loss():
    assert RULES.classify(0, restructured=True) == RULES.classify(0).__class__("substandard", 2)
    assert RULES.classify(200, restructured=True).asset_class == "doubtful"
    assert RULES.classify(10, written_off=True).asset_class == "loss"


def test_policy_files_that_do_not_make_sense_are_refused():
    with pytest.raises(StrategyFileError):
        book_from_dict({"version": "x", "contact_limits": {}, "strategy": []})
    with pytest.raises(StrategyFileError):
        rules_from_dict({"version": "x", "class": [{"from_dpd": 0, "class": "fine"}],
                         "stage": [{"from_dpd": 0, "stage": 1}],
                         "restructured": {"class": "normal", "stage": 1}})
