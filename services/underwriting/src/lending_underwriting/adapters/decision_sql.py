"""The decision path's SQL, as driver-level statements (asyncpg, ``$n`` parameters).

A decision is the hot path of the service: these skip SQLAlchemy's statement building
(compiling, cache keys, ORM execution) and go through the connection's prepared-statement
cache, still inside SQLAlchemy's transaction and error handling (``exec_driver_sql``).
A decision with its offer position or its referral and its events' outbox rows is ONE
statement: the inserts that follow the decision's read its ``RETURNING`` row, so they
happen only when the decision was new (``ON CONFLICT DO NOTHING`` refuses a second one for
the application).
"""

from __future__ import annotations

import json
from typing import Any

from lending_messaging.outbox import outbox_insert
from lending_underwriting.domain.referral import Referral
from lending_underwriting.service_layer.ports import LoanPosition, StoredDecision

_POSITION_COLUMNS = (
    "loan_id, borrower_token, currency, status, principal, outstanding_principal, "
    "days_past_due, offer_expires_at"
)
EXPOSURE = f"SELECT {_POSITION_COLUMNS} FROM borrower_loans WHERE borrower_token = $1"
# The borrower's advisory lock (until commit), then their loans read after it: migration 0005
LOCKED_EXPOSURE = f"SELECT {_POSITION_COLUMNS} FROM underwriting_locked_borrower_loans($1, $2)"

_DECIDED = (
    "WITH decided AS ("
    "INSERT INTO decisions (application_id, decision_id, borrower_token, product_code, "
    "outcome, final_outcome, model_version, policy_version, inputs, policy, result, "
    "decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb, "
    "$12::timestamptz) ON CONFLICT (application_id) DO NOTHING RETURNING application_id)"
)
_OFFERED = (
    ", offered AS ("
    "INSERT INTO borrower_loans (loan_id, borrower_token, currency, status, principal, "
    "outstanding_principal, days_past_due, offer_expires_at) "
    "SELECT $13::text, $14::text, $15::text, $16::text, $17::numeric, $18::numeric, "
    "$19::integer, $20::timestamptz FROM decided "
    "ON CONFLICT (loan_id) DO UPDATE SET borrower_token = EXCLUDED.borrower_token, "
    "currency = EXCLUDED.currency, status = EXCLUDED.status, principal = EXCLUDED.principal, "
    "outstanding_principal = EXCLUDED.outstanding_principal, "
    "days_past_due = EXCLUDED.days_past_due, offer_expires_at = EXCLUDED.offer_expires_at, "
    "updated_at = now())"
)
_REFERRED = (
    ", referred AS ("
    "INSERT INTO referrals (referral_id, application_id, queue, status, reason_codes, "
    "summary, created_at, decide_by, reviewer_id, note, decided_at) "
    "SELECT $13::text, $14::text, $15::text, $16::text, $17::jsonb, $18::jsonb, "
    "$19::timestamptz, $20::timestamptz, $21::text, $22::text, $23::timestamptz FROM decided)"
)


def _with_events(head: str, first: int) -> str:
    """``head``, then the events' outbox rows (``outbox_values``, from ``$first`` on) if the
    decision was new, then whether it was."""
    placeholders = (f"${n}" for n in range(first, first + 7))
    emitted = outbox_insert(*placeholders, where="WHERE EXISTS (SELECT 1 FROM decided)")
    return f"{head}, emitted AS ({emitted}) SELECT count(*) FROM decided"


DECISION_ONLY = _with_events(_DECIDED, 13)
DECISION_WITH_OFFER = _with_events(_DECIDED + _OFFERED, 21)
DECISION_WITH_REFERRAL = _with_events(_DECIDED + _REFERRED, 24)


def decision_params(d: StoredDecision, policy_json: str) -> tuple[Any, ...]:
    return (d.application_id, d.decision_id, d.borrower_token, d.product_code, d.outcome,
            d.final_outcome, d.model_version, d.policy_version, json.dumps(d.inputs),
            policy_json, json.dumps(d.result), d.decided_at)


def position_params(p: LoanPosition) -> tuple[Any, ...]:
    return (p.loan_id, p.borrower_token, p.currency, p.status, p.principal,
            p.outstanding_principal, p.days_past_due, p.offer_expires_at)


def referral_params(r: Referral) -> tuple[Any, ...]:
    return (r.referral_id, r.application_id, r.queue, r.status,
            json.dumps(list(r.reason_codes)), json.dumps(r.summary), r.created_at,
            r.decide_by, r.reviewer_id, r.note, r.decided_at)
