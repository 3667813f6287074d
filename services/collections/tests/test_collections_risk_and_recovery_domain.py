"""The early-warning score and the recovery-plan approval rules, pure: facts from the stream
-> signals, score, level; proposals -> approver roles, maker-checker, decided once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from lending_collections.adapters.policy_files import load_early_warning, load_recovery
from lending_collections.config import PACKAGE
from lending_collections.domain.early_warning import RiskFacts, assess, worth_raising
from lending_collections.domain.errors import (
    ApprovalRefusedError,
    ProposalDecidedError,
    ProposalInvalidError,
    StrategyFileError,
)
from lending_collections.domain.recovery import (
    APPROVED,
    PlanTerms,
    Proposal,
    check_terms,
    policy_from_dict,
)

WARN = load_early_warning(PACKAGE / "early_warning.toml")
RECOVERY = load_recovery(PACKAGE / "recovery.toml")
DAY = date(2025, 3, 1)


def paid(facts: RiskFacts, installment: int, due: date, late_days: int) -> RiskFacts:
    return facts.due(installment, due).settled([installment], due + timedelta(days=late_days))


def test_a_first_payment_default_is_high_risk_and_stays_part_of_the_loans_record():
    facts = RiskFacts().missed_payment(1, DAY, paid_something=True, dpd=1)
    now = assess(WARN, facts)
    assert now.signals == ("payment_missed", "first_payment_default", "partial_payment")
    assert (now.score, now.level) == (90, "high")
    cured = facts.dpd(0)
    later = assess(WARN, cured)  # no longer past due, still a first-payment defaulter
    assert "payment_missed" not in later.signals and "first_payment_default" in later.signals
    assert "late_payment_pattern" in later.signals  # cured once: the pattern counts it


def test_paying_later_each_cycle_flags_a_loan_that_was_never_delinquent():
    facts = RiskFacts()
    for n, late in enumerate((0, 1, 3), start=1):
        facts = paid(facts, n, DAY + timedelta(days=30 * n), late)
    now = assess(WARN, facts)
    assert set(now.signals) == {"paying_later", "late_payment_pattern"}
    assert now.level == "medium" and facts.current_dpd == 0
    assert worth_raising(WARN, facts, now)
    steady = RiskFacts()
    for n, late in enumerate((2, 2, 2), start=1):
        steady = paid(steady, n, DAY + timedelta(days=30 * n), late)
    assert "paying_later" not in assess(WARN, steady).signals


def test_the_dpd_trend_the_exposure_and_the_origination_score_each_count():
    worse = RiskFacts().dpd(5).dpd(0).dpd(12)
    assert "dpd_trend_rising" in assess(WARN, worse).signals
    better = RiskFacts().dpd(12).dpd(0).dpd(5)
    assert "dpd_trend_rising" not in assess(WARN, better).signals
    grown = RiskFacts(exposure_before=100_000, exposure_after=150_000)
    assert assess(WARN, grown).signals == ("exposure_growing",)
    assert assess(WARN, replace(grown, exposure_after=149_999)).signals == ()
    assert assess(WARN, RiskFacts(origination_score=540)).signals == ("low_origination_score",)
    assert assess(WARN, RiskFacts(origination_score=700, probability_of_default="0.2")
                  ).signals == ("low_origination_score",)
    assert assess(WARN, RiskFacts(origination_score=700)).level == "none"


def test_a_warning_is_raised_only_when_it_says_something_new():
    facts = RiskFacts(exposure_before=1, exposure_after=2, origination_score=500)
    now = assess(WARN, facts)
    assert now.level == "medium" and worth_raising(WARN, facts, now)
    told = replace(facts, raised_level=now.level, raised_signals=list(now.signals))
    assert not worth_raising(WARN, told, now)
    assert not worth_raising(WARN, RiskFacts(), assess(WARN, RiskFacts(origination_score=1)))


def test_facts_round_trip_through_json_and_remember_a_bounded_history():
    facts = RiskFacts()
    for n in range(1, 20):
        facts = paid(facts, n, DAY + timedelta(days=n), n % 3)
    assert len(facts.days_late) == 12 and len(facts.due_dates) == 12
    assert RiskFacts.from_json(facts.as_json()) == facts


def test_bad_early_warning_rules_are_refused():
    from lending_collections.domain.early_warning import rules_from_dict

    good = {"version": "1", "raise_from": "medium", "outreach_from": "high",
            "outreach_template": "{loan_id}", "levels": {"low": 1, "medium": 2, "high": 3},
            "signal": [{"code": "payment_missed", "weight": 1}]}
    assert rules_from_dict(good).level_of(2) == "medium"
    with pytest.raises(StrategyFileError, match="unknown signals"):
        rules_from_dict({**good, "signal": [{"code": "astrology", "weight": 1}]})
    with pytest.raises(StrategyFileError, match="template"):
        rules_from_dict({**good, "outreach_template": "{phone}"})


# --- recovery plans ------------------------------------------------------------------------

def terms(**kw: object) -> PlanTerms:
    return replace(PlanTerms(effective_date=DAY), **kw)  # type: ignore[arg-type]


def test_approval_rules_pick_the_roles_by_kind_and_amount_waived():
    assert RECOVERY.approver_roles("term_extension", Decimal("0")) == {"collector", "admin"}
    assert RECOVERY.approver_roles("term_extension", Decimal("0.01")) == {"admin"}
    assert RECOVERY.approver_roles("settlement", Decimal("100")) == {"admin"}
    assert RECOVERY.approver_roles("write_off", Decimal("0")) == {"admin"}
    narrow = policy_from_dict({"version": "x", "write_off_at_dpd": 90, "legal_apr_cap": "0.24",
                               "approval": [
        {"kinds": ["reschedule"], "max_waive": "10", "roles": ["collector"]}]})
    with pytest.raises(ProposalInvalidError) as refused:
        narrow.approver_roles("reschedule", Decimal("10.01"))
    assert refused.value.field == "waive_amount"
    with pytest.raises(StrategyFileError):
        policy_from_dict({"version": "x", "write_off_at_dpd": 90, "legal_apr_cap": "0.24",
                          "approval": [{"kinds": ["gift"], "roles": ["admin"]}]})


@pytest.mark.parametrize(("kind", "given", "field"), [
    ("term_extension", {}, "new_installment_count"),
    ("payment_holiday", {}, "first_due_date"),
    ("rate_change", {}, "new_annual_rate"),
    ("settlement", {}, "settlement_amount"),
    ("reschedule", {}, "new_installment_count"),
    ("reschedule", {"effective_date": DAY - timedelta(days=1), "new_installment_count": 3},
     "effective_date"),
    ("payment_holiday", {"first_due_date": DAY}, "first_due_date"),
    ("rate_change", {"new_annual_rate": Decimal("0.1"), "waive_minor": 200_000},
     "waive_amount"),
    ("term_extension", {"new_installment_count": 9, "settlement_minor": 5}, "settlement_amount"),
    ("settlement", {"settlement_minor": 200_000}, "settlement_amount"),
    ("term_extension", {"new_installment_count": 9, "new_annual_rate": Decimal("0.1")},
     "new_annual_rate"),
    ("gift", {}, "kind"),
])
def test_a_plan_that_cannot_be_asked_for_names_the_field(kind: str, given: dict[str, object],
                                                         field: str):
    with pytest.raises(ProposalInvalidError) as refused:
        check_terms(kind, terms(**given), DAY, outstanding_minor=100_000)
    assert refused.value.field == field


def proposal(by: str = "agent-1") -> Proposal:
    return Proposal("rp-1", "case-1", "loan-1", "term_extension", "EUR",
                    terms(new_installment_count=12), frozenset({"collector", "admin"}), by,
                    DAY, "lost job, new one from April").proposed()


def test_maker_checker_the_proposer_never_approves_and_the_role_must_be_named():
    p = proposal()
    with pytest.raises(ApprovalRefusedError, match="maker-checker"):
        p.approve("agent-1", "collector", DAY, "ok", "rp-1")
    with pytest.raises(ApprovalRefusedError, match="needs an approver"):
        p.approve("uw-1", "underwriter", DAY, "ok", "rp-1")
    assert p.approve("lead-2", "collector", DAY, "income verified", "rp-1")
    assert (p.status, p.decided_by, p.request_id) == (APPROVED, "lead-2", "rp-1")
    assert [r.kind for r in p.pending] == ["restructure_proposed", "restructure_approved"]
    assert [r.by for r in p.pending] == ["agent-1", "lead-2"]
    assert not p.approve("lead-2", "collector", DAY, "again", "rp-1")  # a retry: no-op
    with pytest.raises(ProposalDecidedError):
        p.approve("lead-3", "admin", DAY, "me too", "rp-1")
    with pytest.raises(ProposalDecidedError):
        p.reject("lead-3", "admin", DAY, "no")


# --- the report's HTML ---------------------------------------------------------------------

def segment(dimension: str, key: str, par1: str) -> dict[str, object]:
    return {"dimension": dimension, "key": key, "currency": "EUR", "loans": 2,
            "outstanding": "2000.00", "par1": "1000.00", "par30": "0.00", "par90": "0.00",
            "par1_ratio": par1, "par30_ratio": "0.0000", "par90_ratio": "0.0000",
            "buckets": {"current": "1000.00", "dpd_1_30": "1000.00"},
            "recoveries": "0.00", "write_offs": "0.00", "cure_rate": "0.5000",
            "roll_rates": {"dpd_1_30": {"current": "0.5000", "written_off": "0.5000"}}}


def test_the_html_report_is_self_contained_with_charts_and_escapes_names():
    from lending_collections.entrypoints.report_html import render

    page = render({"as_of": "2025-03-31", "snapshot_date": "2025-03-31",
                   "period_start": "2025-03-01", "period_days": 30,
                   "segments": [segment("total", "all", "0.5000"),
                                segment("partner", "<acme>", "0.2500")]})
    assert page.count("<svg") == 2 and "<script" not in page and "http" not in page.split(
        "</style>")[1].replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "&lt;acme&gt;" in page and "<acme>" not in page
    assert "50.00%" in page and "25.00%" in page and "Roll rates (EUR" in page
    empty = render({"as_of": "2025-03-31", "snapshot_date": None, "period_start": None,
                    "period_days": 30, "segments": []})
    assert "No loans." in empty


# --- rate changes --------------------------------------------------------------------------

def _terms_at(rate: str) -> dict[str, object]:
    from lending_events.samples import sample_event

    terms = sample_event("LoanBooked").terms.model_dump(mode="json")  # type: ignore[attr-defined]
    return {**terms, "annual_rate": rate}


def test_a_cut_to_zero_forgoes_all_the_remaining_interest_and_no_cut_forgoes_none():
    from lending_collections.domain.rate_change import RateChange, forgone_interest

    terms = _terms_at("0.12")  # 1000.00, monthly, due 15 Feb, 15 Mar, 15 Apr 2025
    plan = RateChange(Decimal("0"), date(2025, 2, 20))
    everything = forgone_interest(terms, 100_000, plan)
    half = forgone_interest(terms, 100_000, replace(plan, new_annual_rate=Decimal("0.06")))
    assert everything > half > 0
    assert forgone_interest(terms, 100_000, replace(plan, new_annual_rate=Decimal("0.12"))) == 0
    longer = forgone_interest(terms, 100_000, replace(plan, new_installment_count=12))
    assert longer > everything  # more installments at the old rate: more interest given up


def test_no_rate_above_the_loans_or_the_legal_cap():
    from lending_collections.domain.rate_change import check_rate

    check_rate(_terms_at("0.30"), Decimal("0.24"), Decimal("0.24"))
    with pytest.raises(ProposalInvalidError, match="legal APR cap"):
        check_rate(_terms_at("0.30"), Decimal("0.25"), Decimal("0.24"))
    with pytest.raises(ProposalInvalidError, match="never raises the rate"):
        check_rate(_terms_at("0.12"), Decimal("0.1201"), Decimal("0.24"))
    with pytest.raises(ProposalInvalidError, match="contract terms"):
        check_rate(None, Decimal("0.05"), Decimal("0.24"))
