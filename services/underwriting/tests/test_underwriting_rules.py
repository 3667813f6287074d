"""Each policy rule's effect on a decision, one rule at a time from a good application."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from lending_underwriting.domain.model import BorrowerExposure
from lending_underwriting.testing import application, bureau_report


def test_a_good_application_is_approved_as_asked(decide_for):
    d = decide_for()
    assert d.outcome == "approved"
    assert d.reason_codes == ()
    assert d.offer.amount == D("20000.00") and d.offer.term_count == 12
    assert d.grade in ("A", "B")


@pytest.mark.parametrize("age", [17, 71])
def test_an_applicant_outside_the_age_range_is_declined(decide_for, age):
    d = decide_for(bureau=bureau_report(age_years=age))
    assert d.outcome == "declined" and "applicant_age" in d.reason_codes


def test_a_prohibited_purpose_is_declined(decide_for):
    d = decide_for(application(purpose="gambling"))
    assert d.outcome == "declined" and d.reason_codes[0] == "purpose_not_allowed"


def test_an_identity_the_bureau_cannot_match_is_declined(decide_for):
    d = decide_for(bureau=bureau_report(identity_match=False))
    assert d.outcome == "declined" and "identity_not_verified" in d.reason_codes


def test_a_loan_overdue_with_us_declines_a_new_one(decide_for):
    d = decide_for(exposure=BorrowerExposure(active_loans=1, outstanding=D("3000.00"),
                                             worst_days_past_due=12))
    assert d.outcome == "declined" and "delinquent_loan_with_us" in d.reason_codes


def test_a_recent_default_at_the_bureau_or_a_write_off_with_us_is_declined(decide_for):
    assert "recent_default" in decide_for(
        bureau=bureau_report(defaults=1, months_since_default=6)).reason_codes
    assert "recent_default" in decide_for(
        exposure=BorrowerExposure(written_off_loans=1)).reason_codes
    old = decide_for(bureau=bureau_report(defaults=1, months_since_default=60))
    assert "recent_default" not in old.reason_codes


def test_too_many_loans_at_once_is_stacking(decide_for):
    d = decide_for(exposure=BorrowerExposure(active_loans=1, open_offers=1,
                                             outstanding=D("5000.00")))
    assert d.outcome == "declined" and d.reason_codes == ("stacking_detected",)


def test_exposure_headroom_turns_into_a_smaller_counter_offer_or_a_decline(decide_for):
    near = decide_for(exposure=BorrowerExposure(active_loans=1, outstanding=D("65000.00")))
    assert near.outcome == "approved"
    assert near.offer.amount == D("15000.00")
    assert near.reason_codes == ("counter_offer_smaller_amount", "exposure_limit")
    full = decide_for(exposure=BorrowerExposure(active_loans=1, outstanding=D("79500.00")))
    assert full.outcome == "declined" and "exposure_limit" in full.reason_codes


def test_debt_to_income_cap_gives_a_smaller_amount_that_fits(decide_for):
    d = decide_for(application(monthly_income=D("4000.00")))
    assert d.outcome == "approved"
    assert d.reason_codes[:2] == ("counter_offer_smaller_amount", "debt_to_income_too_high")
    assert d.offer.amount < D("20000.00")
    assert d.offer.monthly_installment <= D("4000.00") * D("0.50") - D("500.00")


def test_when_a_smaller_amount_is_below_the_minimum_a_longer_term_is_offered(decide_for, book):
    policy = book.products["personal-credit"]
    tight = replace(book, products={**book.products, "personal-credit": replace(
        policy, amount_min=D("19000.00"))})
    d = decide_for(application(monthly_income=D("4000.00")), policy=tight)
    assert d.outcome == "approved"
    assert d.offer.amount == D("20000.00") and d.offer.term_count > 12
    assert d.reason_codes[0] == "counter_offer_longer_term"


def test_no_room_for_any_installment_is_a_decline(decide_for):
    d = decide_for(application(monthly_income=D("2500.00"), monthly_obligations=D("1200.00")))
    assert d.outcome == "declined"
    assert set(d.reason_codes) & {"debt_to_income_too_high", "residual_income_too_low"}


def test_loan_to_value_caps_a_collateralised_business_loan(decide_for):
    app = application(product_code="micro-business", applicant_type="business",
                      security="collateral", collateral_value=D("100000.00"),
                      requested_amount=D("90000.00"), monthly_income=D("60000.00"))
    d = decide_for(app)
    assert d.outcome == "approved"
    assert d.offer.amount == D("70000.00")
    assert "collateral_insufficient" in d.reason_codes
    none = decide_for(replace(app, collateral_value=None))
    assert none.outcome == "declined" and "collateral_insufficient" in none.reason_codes


def test_a_guarantor_without_a_stated_income_is_referred_and_one_too_poor_limits(decide_for):
    # The rule alone; that the income arrives from ApplicationSubmitted (and from intake's
    # API) is test_underwriting_guarantor_income.py and the integration test
    # test_guarantor_income_reaches_underwriting.py.
    app = application(product_code="micro-business", applicant_type="business",
                      security="guarantor", requested_amount=D("50000.00"),
                      monthly_income=D("60000.00"))
    assert "guarantor_income_unverified" in decide_for(app).reason_codes
    assert decide_for(app).outcome == "referred"
    poor = decide_for(replace(app, guarantor_monthly_income=D("3000.00")))
    assert poor.outcome == "approved"
    assert "guarantor_income_insufficient" in poor.reason_codes
    assert poor.offer.monthly_installment <= D("2000.00")


def test_a_thin_bureau_file_is_referred(decide_for):
    d = decide_for(bureau=bureau_report(history_months=2))
    assert d.outcome == "referred" and "thin_bureau_file" in d.reason_codes
    assert d.offer is not None  # the underwriter sees a priced proposal


def test_a_poor_score_declines_with_the_scorecards_main_reasons(decide_for):
    d = decide_for(bureau=bureau_report(delinquencies_24m=4, inquiries_6m=6, defaults=2,
                                        months_since_default=40, history_months=20))
    assert d.outcome == "declined"
    assert d.reason_codes[0] == "score_below_cutoff"
    assert set(d.reason_codes[1:]) <= set(d.score.reason_codes) and len(d.reason_codes) > 1
    assert all(r["description"] for r in d.reasons)


def test_a_middling_score_goes_to_review(decide_for):
    d = decide_for(bureau=bureau_report(delinquencies_24m=2, inquiries_6m=3,
                                        history_months=30))
    assert d.grade == "E"
    assert d.outcome == "referred" and "score_in_review_band" in d.reason_codes


def test_a_bureau_outage_refers_or_declines_as_the_product_says(decide_for):
    referred = decide_for(bureau=None)
    assert referred.outcome == "referred" and "bureau_unavailable" in referred.reason_codes
    pos = application(product_code="pos-instalment", requested_amount=D("2000.00"),
                      term_count=6)
    declined = decide_for(pos, bureau=None)
    assert declined.outcome == "declined" and "bureau_unavailable" in declined.reason_codes


def test_an_amount_above_the_automatic_limit_is_referred(decide_for):
    d = decide_for(application(requested_amount=D("40000.00"), monthly_income=D("30000.00")))
    assert d.outcome == "referred" and d.reason_codes == ("amount_above_auto_limit",)


def test_terms_the_product_does_not_offer_and_unknown_products_are_declined(decide_for):
    assert decide_for(application(term_count=48)).reason_codes == ("product_terms_not_offered",)
    assert decide_for(application(product_code="payday")).reason_codes == (
        "product_not_offered",)
