"""A guarantor-secured business loan is decided on the guarantor's income that arrives on
ApplicationSubmitted, through the consumer as bootstrap wires it (not fed to the rules by
hand): stated, it bounds the installment; absent, an underwriter verifies it."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

from lending_underwriting.service_layer import queries
from lending_underwriting.testing import submitted

DECISIONS = ("LoanApproved", "ApplicationDeclined", "ApplicationReferred")


def guaranteed_business_loan(loan_id: str, **changes: Any):
    return submitted(loan_id, product_code="micro-business", applicant_type="business",
                     security="guarantor", requested_amount="50000.00",
                     declared_monthly_income="60000.00", **changes)


async def _rule(wired, loan_id: str, name: str) -> dict[str, Any]:
    stored = await queries.decision(wired.uw, loan_id)
    [result] = [r for r in stored["result"]["rule_results"] if r["rule"] == name]
    return result


async def test_a_guarantor_income_on_the_event_lets_the_loan_be_approved_as_asked(wired):
    await wired.deliver(guaranteed_business_loan(
        "app-guaranteed", guarantor_monthly_income="20000.00",
        declared_business_monthly_revenue="180000.00"))
    [decision] = wired.published(*DECISIONS)
    assert decision.event_type == "LoanApproved"
    assert decision.terms.principal == D("50000.00")
    cover = await _rule(wired, "app-guaranteed", "guarantor_cover")
    assert cover["outcome"] == "pass" and "guarantor income 20000.00" in cover["detail"]
    stored = await queries.decision(wired.uw, "app-guaranteed")
    application = stored["inputs"]["application"]
    assert application["guarantor_monthly_income"] == "20000.00"
    assert application["business_monthly_revenue"] == "180000.00"


async def test_a_guarantor_too_poor_for_the_installment_gets_a_smaller_counter_offer(wired):
    await wired.deliver(guaranteed_business_loan("app-poor-guarantor",
                                                 guarantor_monthly_income="3000.00"))
    [decision] = wired.published(*DECISIONS)
    assert decision.event_type == "LoanApproved"
    assert "guarantor_income_insufficient" in decision.reason_codes
    assert decision.terms.principal < D("50000.00")
    assert decision.terms.schedule[1].total <= D("2000.00")  # 3000 / cover 1.50


async def test_without_the_guarantors_income_an_underwriter_verifies_it(wired):
    await wired.deliver(guaranteed_business_loan("app-unverified"))
    [decision] = wired.published(*DECISIONS)
    assert decision.event_type == "ApplicationReferred"
    assert "guarantor_income_unverified" in decision.reason_codes
