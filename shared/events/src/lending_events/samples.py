"""One valid example of every event: used by the tests, the AsyncAPI examples and the docs.

The loan: EUR 1000.00 at 12% nominal, three monthly equal installments, a 20.00 origination
fee withheld from the payout; APR 27.28% effective (IRR of 980.00 out, the schedule back).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from typing import Any

from lending_events.base import Breakdown, IntegrationEvent
from lending_events.registry import EVENT_TYPES
from lending_events.terms import ContractTerms, FeeTerm, Installment, PenaltyRule, Term
from lending_events.vocabulary import FeeBasis, FeeKind

LOAN_ID = "app-7f3a9c2e"
AT = datetime(2025, 1, 14, 9, 30, tzinfo=UTC)


def _installment(n: int, due: date, principal: str, interest: str, after: str) -> Installment:
    total = D(principal) + D(interest)
    return Installment(number=n, due_date=due, principal=principal, interest=interest,
                       fees="0.00", total=total, principal_balance_after=after)


TERMS = ContractTerms(
    product_code="personal-credit", currency="EUR", principal="1000.00", annual_rate="0.12",
    interest_method="declining_balance", amortization="equal_installments",
    day_count="30/360", frequency="monthly", term=Term(count=3, unit="month"),
    start_date=date(2025, 1, 15), first_due_date=date(2025, 2, 15),
    maturity_date=date(2025, 4, 15), rounding="half_even",
    fees=[FeeTerm(kind=FeeKind.ORIGINATION, basis=FeeBasis.FLAT, amount="20.00",
                  deducted_from_disbursement=True),
          FeeTerm(kind=FeeKind.LATE_PAYMENT, basis=FeeBasis.OVERDUE_INSTALLMENT, rate="0.05")],
    penalty=PenaltyRule(annual_rate="0.24", grace_days=3, basis="overdue_installment"),
    allocation_order=["penalty", "fee", "interest", "principal"],
    schedule=[
        _installment(1, date(2025, 2, 15), "330.02", "10.00", "669.98"),
        _installment(2, date(2025, 3, 15), "333.32", "6.70", "336.66"),
        _installment(3, date(2025, 4, 15), "336.66", "3.37", "0.00"),
    ],
    apr="0.2728", apr_method="effective", total_interest="20.07", total_fees="20.00",
    total_cost="40.07", total_repayable="1020.07",
)


def _breakdown(principal: str, interest: str = "0.00", fees: str = "0.00",
               penalties: str = "0.00") -> Breakdown:
    total = D(principal) + D(interest) + D(fees) + D(penalties)
    return Breakdown(principal=principal, interest=interest, fees=fees, penalties=penalties,
                     total=total)


def _money(**fields: Any) -> dict[str, Any]:
    return {"currency": "EUR", **fields}


SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "ApplicationSubmitted": _money(
        partner_id="partner-acme", channel="app", applicant_id="cust-1001",
        applicant_type="individual", identity_hash="9f86d081884c7d659a2feaa0c55ad015",
        country="DE", product_code="personal-credit", requested_amount="1000.00",
        requested_term={"count": 3, "unit": "month"}, requested_frequency="monthly",
        purpose="working_capital", security="none", declared_monthly_income="2400.00",
        documents_complete=True, consent_given_at=AT),
    "DocumentsReceived": dict(
        document_types=["income_proof"], documents_complete=True, received_at=AT),
    "CredentialIssued": dict(
        principal_id="partner-acme", principal_kind="partner", principal_name="Acme Pay",
        role="partner", key_id="k-3f9a1c", key_sha256="0" * 64, rate_limit_per_second=50,
        issued_at=AT),
    "CredentialRevoked": dict(
        principal_id="partner-acme", key_id="k-3f9a1c", revoked_at=AT, reason="rotated"),
    "OfferAccepted": dict(
        offer_id="offer-1", decision_id="dec-1", accepted_at=AT, signature_ref="sig-88",
        disbursement_account={"method": "bank_transfer", "account_ref": "tok_acct_42"}),
    "ApplicationWithdrawn": dict(
        reason="borrower_request", withdrawn_by="applicant", withdrawn_at=AT),
    "ScoreComputed": dict(
        score_id="score-1", model_version="scorecard-2025.01", score=712,
        probability_of_default="0.0312", risk_grade="B", reason_codes=["thin_bureau_file"]),
    "LoanApproved": dict(
        decision_id="dec-1", applicant_id="cust-1001", partner_id="partner-acme",
        score_id="score-1", risk_grade="B", decision_mode="automatic", terms=TERMS,
        offer_expires_at=datetime(2025, 1, 21, tzinfo=UTC)),
    "ApplicationDeclined": dict(
        decision_id="dec-2", applicant_id="cust-1001", partner_id="partner-acme",
        decision_mode="automatic", reason_codes=["debt_to_income_too_high"]),
    "ApplicationReferred": dict(
        referral_id="ref-1", applicant_id="cust-1001", partner_id="partner-acme",
        queue="underwriters", reason_codes=["amount_above_auto_limit"], decide_by=AT),
    "LoanBooked": _money(
        decision_id="dec-1", offer_id="offer-1", applicant_id="cust-1001",
        partner_id="partner-acme", booked_on=date(2025, 1, 15), terms=TERMS,
        net_disbursement="980.00"),
    "Disbursed": _money(
        disbursement_id="disb-1", amount="980.00", fees_withheld="20.00",
        value_date=date(2025, 1, 15), method="bank_transfer", provider_reference="po_123",
        outstanding=_breakdown("1000.00")),
    "DisbursementFailed": _money(
        disbursement_id="disb-1", amount="980.00", failure_code="account_closed",
        attempt=1, retryable=False),
    "PaymentApplied": _money(
        payment_id="pay-1", amount="340.02", value_date=date(2025, 2, 15),
        allocation=_breakdown("330.02", "10.00"), overpayment="0.00",
        outstanding=_breakdown("669.98"), installments_settled=[1],
        paid_to_schedule="340.02"),
    "PaymentReversed": _money(
        payment_id="pay-1", reversal_id="rev-1", amount="340.02",
        value_date=date(2025, 2, 17), reason="bounced",
        reversed_allocation=_breakdown("330.02", "10.00"),
        outstanding=_breakdown("1000.00", "10.00"), paid_to_schedule="0.00"),
    "FeeCharged": _money(
        fee_id="fee-1", kind="late_payment", amount="17.00", charged_on=date(2025, 2, 19),
        installment_number=1, outstanding=_breakdown("1000.00", "10.00", "17.00"),
        paid_to_schedule="0.00"),
    "InterestAccrued": _money(
        business_date=date(2025, 1, 16), accrued_from=date(2025, 1, 16),
        accrued_to=date(2025, 1, 16), interest="0.33", penalty_interest="0.00",
        annual_rate="0.12", day_count="30/360", accrued_unpaid_interest="0.66",
        outstanding=_breakdown("1000.00", "0.66")),
    "LoanRestructured": _money(
        restructure_id="rst-1", request_id="rr-1", effective_date=date(2025, 1, 15),
        previous_outstanding=_breakdown("1000.00"), capitalized="0.00", waived="0.00",
        new_terms=TERMS, outstanding=_breakdown("1000.00")),
    "LoanWrittenOff": _money(
        write_off_id="wo-1", request_id="wor-1", effective_date=date(2025, 10, 15),
        written_off=_breakdown("669.98", "20.10", "17.00", "12.40"), days_past_due=180,
        reason="policy_dpd_reached", outstanding=_breakdown("0.00")),
    "RecoveryApplied": _money(
        payment_id="pay-9", received_on=date(2025, 11, 3), amount="150.00",
        recovered_total="250.00"),
    "LoanClosed": _money(closed_on=date(2025, 4, 15), reason="repaid", total_paid="1020.07"),
    "BusinessDayClosed": dict(
        calendar_id="DE", business_date=date(2025, 1, 15),
        next_business_date=date(2025, 1, 16)),
    "PaymentReceived": _money(
        payment_id="pay-1", amount="340.02", received_at=AT, value_date=date(2025, 2, 15),
        method="direct_debit", processor_reference="dd_991"),
    "InstallmentDueSoon": _money(
        installment_number=1, due_date=date(2025, 2, 15), amount_due="340.02",
        days_until_due=3),
    "PaymentMissed": _money(
        installment_number=1, due_date=date(2025, 2, 15), as_of=date(2025, 2, 16),
        amount_due="340.02", amount_paid="0.00", amount_overdue="340.02", days_past_due=1),
    "DelinquencyChanged": _money(
        as_of=date(2025, 2, 16), previous_bucket="current", bucket="dpd_1_30",
        days_past_due=1, overdue_amount="340.02", outstanding_principal="1000.00",
        delinquent_since=date(2025, 2, 15)),
    "LoanMatured": _money(
        maturity_date=date(2025, 4, 15), as_of=date(2025, 4, 16),
        outstanding=_breakdown("0.00"), fully_repaid=True),
    "EarlyWarningRaised": dict(
        warning_id="ew-1", as_of=date(2025, 2, 16), severity="medium",
        signals=["payment_missed"], days_past_due=1),
    "CollectionCaseOpened": _money(
        case_id="case-1", opened_on=date(2025, 2, 20), days_past_due=5,
        overdue_amount="340.02", outstanding_principal="1000.00", strategy="soft-ladder",
        stage="reminder", classification="special_mention"),
    "CollectionActionTaken": dict(
        case_id="case-1", action_id="act-1", stage="call", performed_on=date(2025, 2, 21),
        performed_by="agent-7", outcome="promise_made", next_action_on=date(2025, 2, 28)),
    "PromiseToPayRecorded": _money(
        case_id="case-1", promise_id="ptp-1", promised_amount="340.02",
        promised_date=date(2025, 2, 28), recorded_on=date(2025, 2, 21), recorded_by="agent-7"),
    "PromiseToPayKept": _money(
        case_id="case-1", promise_id="ptp-1", promised_amount="340.02", amount_paid="340.02",
        kept_on=date(2025, 2, 27)),
    "PromiseToPayBroken": _money(
        case_id="case-1", promise_id="ptp-1", promised_amount="340.02", amount_paid="100.00",
        promised_date=date(2025, 2, 28), broken_on=date(2025, 3, 1)),
    "RestructureRequested": _money(
        case_id="case-1", request_id="rr-1", kind="reschedule", requested_on=date(2025, 3, 2),
        effective_date=date(2025, 3, 3), new_installment_count=6, capitalize_arrears=True,
        waive_amount="0.00", approved_by="supervisor-2"),
    "WriteOffRequested": dict(
        case_id="case-1", request_id="wor-1", requested_on=date(2025, 10, 15),
        days_past_due=180, reason="policy_dpd_reached", approved_by="credit-committee"),
    "CollectionCaseClosed": _money(
        case_id="case-1", closed_on=date(2025, 3, 1), resolution="cured",
        recovered_amount="340.02"),
}


def sample_event(event_type: str) -> IntegrationEvent:
    """A valid example of ``event_type``; its subject is LOAN_ID (or the business date)."""
    cls = EVENT_TYPES[event_type]
    data = SAMPLE_DATA[event_type]
    return cls.model_validate(data if "loan_id" not in cls.model_fields else
                              {"loan_id": LOAN_ID, **data})


def all_samples() -> list[IntegrationEvent]:
    return [sample_event(event_type) for event_type in EVENT_TYPES]
