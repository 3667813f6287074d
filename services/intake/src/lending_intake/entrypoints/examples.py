"""The examples the partner API's OpenAPI shows: one personal-credit loan followed from its
application to its offer, in the formats the API sends (money as decimal strings with the
currency's two minor digits, ISO dates, ids as intake makes them).
tests/openapi/test_openapi_examples.py validates each against its schema."""

from __future__ import annotations

from typing import Any

from lending_platform.openapi_examples import problem_example

APP_ID = "app-3f9c2a7e51d84b0c9e6a1d2f7b8c4e05"
APP_PATH = f"/v1/applications/{APP_ID}"
OFFER_ID = "offer-9b1e4c7a2d6f8035"
DISCLOSURE = "5d0c2f9e8b7a61f4c3d2e1b0a9f8e7d6c5b4a392817f6e5d4c3b2a1908f7e6d5"
ID_CARD = {"type": "id_card",
           "sha256": "8a3f1c9e5b7d2046e1f8a9c3b5d7e0f2a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2f4",
           "uri": "https://files.acme-pay.example/kyc/7731/id-card.pdf"}
INCOME = {"type": "income_proof",
          "sha256": "1b9d3f5a7c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d2f4a6c8e0b1d",
          "uri": "https://files.acme-pay.example/kyc/7731/payslip-2025-12.pdf"}
REQUESTED = {"amount": "6000.00", "currency": "CNY", "term": 6, "frequency": "monthly"}

APPLICATION = {
    "product_code": "personal-credit", "requested": REQUESTED, "purpose": "home_repair",
    "purpose_description": "New kitchen windows",
    "applicant": {"national_id": "110101199003074518", "full_name": "Zhang Min",
                  "date_of_birth": "1990-03-07", "phone": "+86 138 1234 5678",
                  "email": "zhang.min@example.com",
                  "address": {"line1": "88 Jianguo Road", "city": "Beijing",
                              "postal_code": "100022", "country": "CN"}},
    "finances": {"monthly_income": "15000.00", "monthly_debt_payments": "1200.00",
                 "employment": "salaried"},
    "security": {"type": "none"}, "documents": [ID_CARD, INCOME],
    "consents": {"credit_check": True, "terms_version": "2026-01",
                 "given_at": "2025-12-15T08:55:12Z"},
    "disbursement_account": {"method": "bank_transfer", "account_ref": "tok_acct_8f3a21",
                             "holder_name": "Zhang Min"}}
GUARANTEED = {
    "product_code": "micro-business",
    "requested": {"amount": "50000.00", "currency": "CNY", "term": 12, "frequency": "monthly"},
    "purpose": "working_capital",
    "applicant": {"national_id": "91310000MA1FL8XQ30", "full_name": "Li Wei",
                  "date_of_birth": "1985-04-02", "phone": "+86 139 0000 1234",
                  "email": "li.wei@example.com",
                  "address": {"line1": "1 Chang'an Avenue", "city": "Beijing", "country": "CN"}},
    "finances": {"monthly_income": "60000.00", "monthly_debt_payments": "1500.00",
                 "employment": "business_owner", "business_monthly_revenue": "180000.00"},
    "security": {"type": "guarantor", "full_name": "Wang Fang",
                 "national_id": "110101198001015678", "phone": "+86 139 0000 5678",
                 "relationship": "business partner", "monthly_income": "20000.00"},
    "documents": [ID_CARD, {
        "type": "business_license",
        "sha256": "c4e6a8b0d2f4a6c8e0b2d4f6a8c0e2f48a3f1c9e5b7d2046e1f8a9c3b5d7e0f2",
        "uri": "https://files.acme-pay.example/kyc/7740/licence.pdf"}],
    "consents": {"credit_check": True, "terms_version": "2026-01"},
    "disbursement_account": {"method": "bank_transfer", "account_ref": "tok_acct_51c0d9",
                             "holder_name": "Li Wei Trading Co."}}
ACCEPTED = {"id": APP_ID, "status": "submitted", "location": APP_PATH}

_ROWS = [("2026-01-15", "975.29", "60.00", "1035.29", "5024.71"),
         ("2026-02-15", "985.04", "50.25", "1035.29", "4039.67"),
         ("2026-03-15", "994.89", "40.40", "1035.29", "3044.78"),
         ("2026-04-15", "1004.84", "30.45", "1035.29", "2039.94"),
         ("2026-05-15", "1014.89", "20.40", "1035.29", "1025.05"),
         ("2026-06-15", "1025.05", "10.25", "1035.30", "0.00")]
OFFER = {
    "offer_id": OFFER_ID, "expires_at": "2025-12-22T09:00:41Z", "currency": "CNY",
    "amount": "6000.00", "annual_rate": "0.1200", "apr": "0.1552", "apr_method": "nominal",
    "total_interest": "211.75", "total_fees": "60.00", "total_cost": "271.75",
    "total_repayable": "6211.75", "term": {"count": 6, "unit": "month"},
    "frequency": "monthly",
    "fees": [{"kind": "origination", "basis": "principal", "rate": "0.0100",
              "deducted_from_disbursement": True}],
    "schedule": [{"number": n, "due_date": due, "principal": principal, "interest": interest,
                  "fees": "0.00", "total": total, "principal_balance_after": after}
                 for n, (due, principal, interest, total, after) in enumerate(_ROWS, 1)],
    "disclosure_sha256": DISCLOSURE}
APPROVED = {
    "id": APP_ID, "status": "approved", "product_code": "personal-credit",
    "requested": REQUESTED, "purpose": "home_repair", "missing_documents": [],
    "documents": [{"type": d["type"], "sha256": d["sha256"]} for d in (ID_CARD, INCOME)],
    "decision": {"outcome": "approved", "decision_id": "dec-7c41e09a5b2d3f68a1c4e7b0",
                 "decided_at": "2025-12-15T09:00:41Z", "reasons": [], "reapply_after": None},
    "offer": OFFER, "submitted_at": "2025-12-15T09:00:12Z",
    "updated_at": "2025-12-15T09:00:41Z"}
DOCUMENTS_PENDING = {**APPROVED, "status": "documents_pending", "missing_documents": [
    "income_proof"], "documents": [{"type": "id_card", "sha256": ID_CARD["sha256"]}],
    "decision": None, "offer": None, "updated_at": "2025-12-15T09:00:12Z"}
SIGNED = {**APPROVED, "status": "offer_accepted", "updated_at": "2025-12-15T09:12:03Z"}
WITHDRAWN = {**APPROVED, "status": "withdrawn", "updated_at": "2025-12-16T10:30:00Z"}
DECLINED = {**APPROVED, "id": "app-8d2b6e1f4a9c4d7e8b3a5c0f1e2d3b4a", "status": "declined",
            "decision": {"outcome": "declined", "decision_id": "dec-2f8a6c4e0b1d3f5a7c9e2b4d",
                         "decided_at": "2025-12-15T08:41:07Z",
                         "reasons": [{"code": "debt_to_income_too_high",
                                      "description": "Existing debt payments are too "
                                      "high relative to income."}],
                         "reapply_after": "2026-01-14T08:41:07Z"},
            "offer": None, "updated_at": "2025-12-15T08:41:07Z"}

DOCUMENTS = {"documents": [INCOME]}
ACCEPTANCE = {"offer_id": OFFER_ID, "terms_version": "2026-01",
              "accepted_at": "2025-12-15T09:11:58Z", "disclosure_sha256": DISCLOSURE,
              "ip_address": "203.0.113.7", "device_id": "ios-5F2C9A1E-7B3D",
              "user_agent": "AcmePay/4.12 (iPhone; iOS 18.2)"}
WITHDRAWAL = {"reason": "borrower_request"}

PRODUCTS = {"items": [{
    "code": "personal-credit", "name": "Personal credit loan", "family": "personal_credit",
    "description": "Unsecured credit for individuals, repaid monthly.",
    "applicant_type": "individual", "currency": "CNY",
    "amount": {"min": "1000.00", "max": "50000.00"},
    "term": {"unit": "month", "min": 3, "max": 36}, "frequencies": ["monthly"],
    "amortization": ["equal_installments", "equal_principal"],
    "interest_method": "declining_balance", "annual_rate": {"min": "0.0800", "max": "0.2400"},
    "security": ["none"], "required_documents": ["id_card", "income_proof"],
    "fees": [{"kind": "origination", "basis": "principal", "rate": "0.0100",
              "deducted_from_disbursement": True}]}],
    "age_of_majority": 18,
    "prohibited_purposes": ["crypto_trading", "gambling", "illegal_activity",
                            "loan_repayment_elsewhere", "securities_trading", "speculation",
                            "weapons"]}
PAGE = {"items": [APPROVED, DECLINED], "next_cursor": "MjAyNS0xMi0xNVQwODo0MTowN1p8YXBwLTh"}
DELIVERIES = {"items": [{
    "id": "whd_0c6f3b8e2a9d4f17b5e1c8a3d6f2b9e4", "application_id": APP_ID,
    "event_type": "application.status_changed",
    "url": "https://hooks.acme-pay.example/lending", "state": "delivered", "attempts": 1,
    "next_attempt_at": None, "last_status_code": 200, "last_error": None,
    "created_at": "2025-12-15T09:00:41Z", "delivered_at": "2025-12-15T09:00:42Z",
    "payload": {"id": "whd_0c6f3b8e2a9d4f17b5e1c8a3d6f2b9e4",
                "type": "application.status_changed", "created_at": "2025-12-15T09:00:41Z",
                "data": {"application_id": APP_ID, "status": "approved",
                         "previous_status": "under_review", "reasons": [],
                         "links": {"application": APP_PATH}}}}], "next_cursor": None}


def _invalid(instance: str, *errors: tuple[str, str]) -> dict[str, Any]:
    names = ", ".join(field for field, _ in errors)
    return problem_example("validation-error", f"The request is invalid: {names}", instance,
                           errors=[{"field": f, "message": m} for f, m in errors])


INVALID_APPLICATION = _invalid(
    "/v1/applications",
    ("requested", "Value error, amount: '6000.5' has 1 decimal places but CNY amounts need "
     "exactly 2"),
    ("applicant.email", "String should match pattern '^[^@\\s]{1,64}@[^@\\s]{1,185}\\."
     "[A-Za-z]{2,24}$'"))
KEY_REUSED = problem_example(
    "idempotency-key-reused", "This Idempotency-Key was already used with a different "
    "request body; use a new key for a new application.", "/v1/applications",
    errors=[{"field": "header.idempotency-key", "message": "reused with another body"}])
OFFER_EXPIRED = problem_example(
    "offer-expired", "The offer expired at 2025-12-22T09:00:41+00:00.",
    f"{APP_PATH}/offer/acceptance")
OFFER_SUPERSEDED = problem_example(
    "offer-superseded", "Offer offer-4e2a9c1f7b3d5e80 was superseded by "
    f"{OFFER_ID}; show the new disclosure.",
    f"{APP_PATH}/offer/acceptance")
NOT_YOURS = problem_example("not-found", "No such application.", APP_PATH)
DISBURSED = problem_example(
    "invalid-state", "A disbursed application cannot be withdrawn.",
    f"{APP_PATH}/withdrawal")
DECIDED = problem_example(
    "invalid-state", "documents cannot be added to a declined application",
    f"{APP_PATH}/documents")


def bad_cursor(instance: str) -> dict[str, Any]:
    return problem_example(
        "validation-error", "The cursor is not one this API returned.", instance,
        errors=[{"field": "query.cursor", "message": "malformed cursor"}])
