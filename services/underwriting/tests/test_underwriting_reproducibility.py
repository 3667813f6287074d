"""Same inputs, same policy, same model version -> the same decision, field for field,
also after the inputs went through JSON (as they are stored) and back."""

from __future__ import annotations

import json
from decimal import Decimal as D

from lending_underwriting.domain.decision import DecisionInputs, decide
from lending_underwriting.domain.model import BorrowerExposure
from lending_underwriting.domain.policy import parse_policy_book
from lending_underwriting.service_layer import queries
from lending_underwriting.testing import NOW, TODAY, application, bureau_report, submitted


def _inputs(**app_changes):
    return DecisionInputs(application(**app_changes), bureau_report(inquiries_6m=2),
                          BorrowerExposure(active_loans=1, outstanding=D("12000.00")),
                          TODAY, NOW)


def test_deciding_twice_gives_the_same_decision(book, models):
    inputs = _inputs(monthly_income=D("4200.00"))
    first, second = decide(inputs, book, models.current), decide(inputs, book, models.current)
    assert first.to_dict() == second.to_dict()
    assert first.reason_codes[0] == "counter_offer_smaller_amount"  # a non-trivial case


def test_stored_inputs_and_policy_snapshot_reproduce_the_decision(book, models):
    inputs = _inputs()
    original = decide(inputs, book, models.current).to_dict()
    stored_inputs = json.loads(json.dumps(inputs.to_dict()))
    stored_policy = json.loads(json.dumps(book.snapshot("personal-credit")))
    stored_policy.pop("version")
    again = decide(DecisionInputs.from_dict(stored_inputs), parse_policy_book(stored_policy),
                   models.get(original["model_version"])).to_dict()
    again["policy_version"] = original["policy_version"]
    assert json.loads(json.dumps(again)) == json.loads(json.dumps(original))


async def test_the_decisions_api_reruns_a_stored_decision_to_the_same_result(wired):
    await wired.deliver(submitted(declared_monthly_income="4300.00"))
    rerun = await queries.rerun(wired.uw, "app-unit-1")
    assert rerun["same_result"], rerun["differences"]
    assert rerun["original"]["outcome"] == "approved"
    assert rerun["original"]["model_version"] == wired.uw.models.current.version
