"""Plain-language reasons for every code a decision can carry, as an applicant reads them.

Codes are an open vocabulary on the bus (``lending_events.reasons``); the known ones there
keep their meaning, the rest are underwriting's own and are listed here.
"""

from __future__ import annotations

DESCRIPTIONS: dict[str, str] = {
    # policy rules
    "product_not_offered": "We do not offer the product that was applied for.",
    "product_terms_not_offered": "The amount, term or repayment plan is outside what the "
                                 "product allows.",
    "applicant_age": "The applicant's age is outside the range this product serves.",
    "purpose_not_allowed": "The stated purpose is not one we can finance.",
    "identity_not_verified": "The applicant's identity could not be verified.",
    "delinquent_loan_with_us": "A loan with us is currently overdue.",
    "recent_default": "A loan was recently not repaid (with us or another lender).",
    "documents_missing": "Required documents are missing.",
    "income_not_declared": "The application does not state a monthly income.",
    "stacking_detected": "Too many loans or offers are open with us at the same time.",
    "bureau_unavailable": "The credit bureau could not be reached; an underwriter will "
                          "review the application.",
    "thin_bureau_file": "There is too little credit history to assess.",
    "score_below_cutoff": "The credit assessment did not meet the product's minimum.",
    "score_in_review_band": "The credit assessment needs a review by an underwriter.",
    "exposure_limit": "The total amount borrowed from us would exceed the allowed limit.",
    "collateral_insufficient": "The security offered does not cover the amount requested.",
    "debt_to_income_too_high": "Existing debt payments are too high relative to income.",
    "residual_income_too_low": "Too little income would be left after all repayments.",
    "guarantor_income_unverified": "The guarantor's income must be checked by an "
                                   "underwriter.",
    "guarantor_income_insufficient": "The guarantor's income does not cover the repayments.",
    "rate_cap_exceeded": "The price for this risk would exceed the legal rate cap.",
    "amount_above_auto_limit": "The amount needs a review by an underwriter.",
    "counter_offer_smaller_amount": "We can offer a smaller amount than requested.",
    "counter_offer_longer_term": "We can offer the amount over a longer term.",
    "underwriter_declined": "An underwriter reviewed the application and declined it.",
    # scorecard factors (adverse-action style: what lowered the score most)
    "short_credit_history": "Length of credit history is short.",
    "recent_delinquencies": "Recent late payments on credit accounts.",
    "many_recent_inquiries": "Many recent applications for credit.",
    "previous_defaults": "Accounts with a previous default.",
    "many_open_accounts": "Number of open credit accounts.",
    "high_debt_burden": "Existing debt payments are high relative to income.",
    "high_loan_to_income": "The amount requested is high relative to income.",
    "applicant_age_profile": "Age of the applicant's credit profile.",
    "application_channel": "The channel the application came through.",
    "loan_purpose": "The purpose of the loan.",
    "applicant_type_profile": "The type of applicant.",
    "payment_history_with_us": "Payment history on loans with us.",
}


def describe(code: str) -> str:
    """An unknown code still gets an honest sentence."""
    return DESCRIPTIONS.get(code, "Other reason: " + code.replace("_", " ") + ".")
