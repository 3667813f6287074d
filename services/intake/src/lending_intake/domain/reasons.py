"""Human-readable explanations of decision reason codes, as a partner shows them."""

from __future__ import annotations

DESCRIPTIONS = {
    "score_below_cutoff": "The credit assessment did not meet the product's minimum.",
    "debt_to_income_too_high": "Existing debt payments are too high relative to income.",
    "exposure_limit": "The total amount borrowed from us would exceed the allowed limit.",
    "stacking_detected": "Several recent loan applications elsewhere were found.",
    "purpose_not_allowed": "The stated purpose is not one we can finance.",
    "identity_not_verified": "The applicant's identity could not be verified.",
    "duplicate_application": "An application for this applicant is already being processed.",
    "thin_bureau_file": "There is too little credit history to assess.",
    "collateral_insufficient": "The security offered does not cover the amount requested.",
    "rate_cap_exceeded": "The price for this risk would exceed the legal rate cap.",
    "amount_above_auto_limit": "The amount needs a review by an underwriter.",
    # why a payout was refused or failed for good (status disbursement_failed)
    "apr_outside_tolerance": "On the day the money would go out, the loan's APR no longer "
                             "matches the one disclosed; apply again for a new offer.",
    "account_closed": "The disbursement account is closed.",
    "account_invalid": "The disbursement account is not valid.",
}


def describe(code: str) -> dict[str, str]:
    """Unknown codes (the vocabulary is open) get a generic, still honest, sentence."""
    return {"code": code,
            "description": DESCRIPTIONS.get(code, "Other reason: " + code.replace("_", " "))}
