"""Known reason codes: open vocabularies (see ``vocabulary``). Producers use these members;
consumers must accept codes that are not listed here yet."""

from __future__ import annotations

from enum import StrEnum


class WithdrawalReason(StrEnum):
    BORROWER_REQUEST = "borrower_request"
    OFFER_EXPIRED = "offer_expired"
    DOCUMENTS_MISSING = "documents_missing"
    PARTNER_CANCELLED = "partner_cancelled"


class DecisionReason(StrEnum):
    SCORE_BELOW_CUTOFF = "score_below_cutoff"
    DEBT_TO_INCOME_TOO_HIGH = "debt_to_income_too_high"
    EXPOSURE_LIMIT = "exposure_limit"
    STACKING_DETECTED = "stacking_detected"
    PURPOSE_NOT_ALLOWED = "purpose_not_allowed"
    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    DUPLICATE_APPLICATION = "duplicate_application"
    THIN_BUREAU_FILE = "thin_bureau_file"
    COLLATERAL_INSUFFICIENT = "collateral_insufficient"
    RATE_CAP_EXCEEDED = "rate_cap_exceeded"
    AMOUNT_ABOVE_AUTO_LIMIT = "amount_above_auto_limit"


class DisbursementFailure(StrEnum):
    ACCOUNT_INVALID = "account_invalid"
    ACCOUNT_CLOSED = "account_closed"
    PROVIDER_REJECTED = "provider_rejected"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    # refused by the ledger before any payout (never retried; a new offer is needed)
    APR_OUTSIDE_TOLERANCE = "apr_outside_tolerance"
    TERMS_NOT_ANCHORABLE = "terms_not_anchorable"


class ReversalReason(StrEnum):
    BOUNCED = "bounced"
    CHARGEBACK = "chargeback"
    DUPLICATE = "duplicate"
    OPERATOR_CORRECTION = "operator_correction"


class PayoffOutcome(StrEnum):
    """What a payment made against a payoff quote did (PaymentApplied.payoff_outcome)."""

    SETTLED = "settled"  # it settled the loan (LoanClosed follows)
    BELOW_QUOTE = "below_quote"  # less than the quoted total: an ordinary payment
    QUOTE_EXPIRED = "quote_expired"  # value date after the quote's valid_until
    PRINCIPAL_ABOVE_QUOTE = "principal_above_quote"  # a payment the quote counted on is gone
    LOAN_NOT_ACTIVE = "loan_not_active"  # closed or not disbursed: held as credit


class WarningSignal(StrEnum):
    PARTIAL_PAYMENT = "partial_payment"
    LATE_PAYMENT_PATTERN = "late_payment_pattern"
    PAYMENT_MISSED = "payment_missed"
    NEW_EXTERNAL_DEBT = "new_external_debt"
    CONTACT_LOST = "contact_lost"


class ActionOutcome(StrEnum):
    DELIVERED = "delivered"
    CONTACTED = "contacted"
    NO_ANSWER = "no_answer"
    PROMISE_MADE = "promise_made"
    REFUSED = "refused"
    WRONG_CONTACT = "wrong_contact"


class WriteOffReason(StrEnum):
    POLICY_DPD_REACHED = "policy_dpd_reached"
    BORROWER_DECEASED = "borrower_deceased"
    BANKRUPTCY = "bankruptcy"
    FRAUD = "fraud"
    SETTLEMENT_SHORTFALL = "settlement_shortfall"
