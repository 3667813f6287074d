"""The examples the servicing API's OpenAPI shows: the personal-credit loan of intake's
examples (6000.00 CNY over six months from 2025-12-15), as of 2026-02-20 after two
installments paid, in the formats the API sends. tests/openapi/test_openapi_examples.py
validates each against its schema."""

from __future__ import annotations

from lending_platform.openapi_examples import problem_example

LOAN_ID = "app-3f9c2a7e51d84b0c9e6a1d2f7b8c4e05"
LOAN_PATH = f"/v1/loans/{LOAN_ID}"
QUOTE_ID = "pq1-aeaawsktaabqaaaaaaaamkp7aaaaaaaaaywjozklc3j6sczcmtdjemjf"

PAYMENT = {"amount": "1035.29", "currency": "CNY", "value_date": "2026-02-15",
           "channel": "bank_transfer", "external_reference": "ACME-PAY-20260215-000731"}
PAYOFF_PAYMENT = {"amount": "4046.31", "currency": "CNY", "value_date": "2026-02-20",
                  "channel": "bank_transfer", "external_reference": "ACME-PAY-20260220-000912",
                  "payoff_quote_id": QUOTE_ID}
RECEIVED = {"payment_id": "pay-6b0e3d9f2a8c4e71b5d2f9a0c3e6b8d1", "loan_id": LOAN_ID,
            "status": "received", "amount": "1035.29", "currency": "CNY",
            "value_date": "2026-02-15", "location": LOAN_PATH, "settles_loan": False,
            "payoff_quote_id": None, "payoff_quote_total": None, "shortfall": None}
SETTLING = {**RECEIVED, "payment_id": "pay-1f7c4a2e9b3d4c86a0e5f2b8d1c7a9e3",
            "amount": "4046.31", "value_date": "2026-02-20", "settles_loan": True,
            "payoff_quote_id": QUOTE_ID, "payoff_quote_total": "4046.31"}

_ROWS = [("2026-01-15", "975.29", "60.00", "1035.29"),
         ("2026-02-15", "985.04", "50.25", "1035.29"),
         ("2026-03-15", "994.89", "40.40", "1035.29"),
         ("2026-04-15", "1004.84", "30.45", "1035.29"),
         ("2026-05-15", "1014.89", "20.40", "1035.29"),
         ("2026-06-15", "1025.05", "10.25", "1035.30")]
INSTALLMENTS = [
    {"number": n, "due_date": due, "effective_due_date": due, "principal": principal,
     "interest": interest, "fees": "0.00", "total": total,
     "paid": total if n <= 2 else "0.00", "unpaid": "0.00" if n <= 2 else total,
     "status": "paid" if n <= 2 else "upcoming"}
    for n, (due, principal, interest, total) in enumerate(_ROWS, 1)]
OUTSTANDING = {"principal": "4039.67", "interest": "0.00", "fees": "0.00", "penalties": "0.00",
               "total": "4039.67"}
LOAN = {"loan_id": LOAN_ID, "status": "active", "currency": "CNY", "principal": "6000.00",
        "business_date": "2026-02-20", "as_of": "2026-02-19", "days_past_due": 0,
        "delinquent_since": None, "bucket": "current", "overdue_amount": "0.00",
        "next_due": {"installment_number": 3, "due_date": "2026-03-15",
                     "amount_due": "1035.29"},
        "outstanding": OUTSTANDING, "maturity_date": "2026-06-15",
        "installments": INSTALLMENTS}
PAYOFF = {"quote_id": QUOTE_ID, "loan_id": LOAN_ID, "currency": "CNY", "as_of": "2026-02-20",
          "valid_until": "2026-02-23",
          "amount": {"principal": "4039.67", "interest": "6.64", "fees": "0.00",
                     "penalties": "0.00", "total": "4046.31"},
          "per_diem_interest": "1.33"}


def _line(on: str, kind: str, reference: str, amount: str, principal: str, interest: str,
          after: str) -> dict[str, str]:
    return {"date": on, "kind": kind, "reference": reference, "amount": amount,
            "principal": principal, "interest": interest, "fees": "0.00",
            "penalties": "0.00", "principal_balance_after": after}


STATEMENT = {
    "loan_id": LOAN_ID, "currency": "CNY", "period_from": "2026-01-01",
    "period_to": "2026-01-31", "opening_principal_balance": "6000.00",
    "closing_principal_balance": "5024.71", "paid_in_period": "1035.29",
    "days_past_due": 0, "bucket": "current", "overdue_amount": "0.00",
    "lines": [_line("2026-01-15", "payment", "pay-0d4b8f2e6a1c4937b2e5d8f1a4c7b0e3",
                    "1035.29", "975.29", "60.00", "5024.71")],
    "installments_due": [INSTALLMENTS[0]]}

INVALID_PAYMENT = problem_example(
    "validation-error", "The request is invalid: amount, external_reference", LOAN_PATH +
    "/payments", errors=[
        {"field": "amount", "message": "String should match pattern '^-?\\d+(\\.\\d+)?$'"},
        {"field": "external_reference", "message": "Field required"}])
KEY_REUSED = problem_example(
    "idempotency-key-reused", "This Idempotency-Key was already used with a different "
    "request body; use a new key for a new payment.", LOAN_PATH + "/payments",
    errors=[{"field": "header.idempotency-key", "message": "reused with another body"}])
NOT_FOUND = problem_example("not-found", f"No loan {LOAN_ID!r}.", LOAN_PATH)
CLOSED = problem_example(
    "loan-not-active", f"Loan {LOAN_ID} is closed; it takes payments only while active.",
    LOAN_PATH + "/payments")
WRONG_CURRENCY = problem_example(
    "currency-mismatch", "The loan is in CNY; this payment is in USD.", LOAN_PATH + "/payments")
QUOTE_EXPIRED = problem_example(
    "payoff-quote-unusable", f"Payoff quote {QUOTE_ID} was valid until 2026-02-23.",
    LOAN_PATH + "/payments")
AS_OF_PAST = problem_example(
    "validation-error", "The request is invalid: query.as_of", LOAN_PATH + "/payoff",
    errors=[{"field": "query.as_of",
             "message": "is before the current business date 2026-02-20"}])
BAD_PERIOD = problem_example(
    "validation-error", "The request is invalid: query.to", LOAN_PATH + "/statement",
    errors=[{"field": "query.to", "message": "is before `from`"}])
PARTNER_KEY_ON_ADMIN = problem_example(
    "forbidden", "This endpoint is for operator API keys.", "/v1/admin/business-day/close")
