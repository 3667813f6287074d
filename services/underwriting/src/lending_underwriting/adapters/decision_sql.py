"""The decision path's SQL, as driver-level statements (asyncpg, ``$n`` parameters).

A decision is the hot path of the service: these skip SQLAlchemy's statement building
(compiling, cache keys, ORM execution) and go through the connection's prepared-statement
cache, still inside SQLAlchemy's transaction and error handling (``exec_driver_sql``).
A batch of decisions with their offers' positions, their referrals and their events' outbox
rows is ONE statement, whatever its size (one array per column): the inserts that follow
the decisions' read their ``RETURNING`` rows, so each decision's rows are written only when
that decision was new (``ON CONFLICT DO NOTHING`` refuses a second one for an application).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import to_json

from lending_messaging.outbox import outbox_insert
from lending_underwriting.domain.referral import Referral
from lending_underwriting.service_layer.ports import LoanPosition, StoredDecision

_DECISION = (("application_id", "text"), ("decision_id", "text"), ("borrower_token", "text"),
             ("product_code", "text"), ("outcome", "text"), ("final_outcome", "text"),
             ("model_version", "text"), ("policy_version", "text"), ("inputs", "jsonb"),
             ("policy", "jsonb"), ("result", "jsonb"), ("decided_at", "timestamptz"))
_POSITION = (("loan_id", "text"), ("borrower_token", "text"), ("currency", "text"),
             ("status", "text"), ("principal", "numeric"), ("outstanding_principal", "numeric"),
             ("days_past_due", "integer"), ("offer_expires_at", "timestamptz"))
_REFERRAL = (("referral_id", "text"), ("application_id", "text"), ("queue", "text"),
             ("status", "text"), ("reason_codes", "jsonb"), ("summary", "jsonb"),
             ("created_at", "timestamptz"), ("decide_by", "timestamptz"),
             ("reviewer_id", "text"), ("note", "text"), ("decided_at", "timestamptz"))
_NEW = "IN (SELECT application_id FROM decided)"


def _names(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(name for name, _ in columns)


def _unnest(first: int, *columns: tuple[str, str]) -> str:
    """``unnest($first::type[], …) AS v(column, …)``: one array parameter per column."""
    arrays = ", ".join(f"${first + n}::{kind}[]" for n, (_, kind) in enumerate(columns))
    return f"unnest({arrays}) AS v({_names(columns)})"


EXPOSURE = f"SELECT {_names(_POSITION)} FROM borrower_loans WHERE borrower_token = $1"
# Every borrower lock a batch will take, up front: the tokens given and those of the parked
# applications named, in the order migration 0006's function takes them (hashtext,
# ascending; the outer scan keeps the subquery's order).
LOCK_BORROWERS = (
    "SELECT pg_advisory_xact_lock($1, k) FROM (SELECT DISTINCT hashtext(t) AS k FROM ("
    "SELECT unnest($2::text[]) AS t UNION ALL SELECT application->>'borrower_token' "
    "FROM parked_applications WHERE application_id = ANY($3::text[])) AS wanted "
    "WHERE t IS NOT NULL ORDER BY 1) AS ordered")
# The borrowers' advisory locks (until commit), then their loans read after them: migration 0006
LOCKED_EXPOSURES = (
    f"SELECT {_names(_POSITION)} FROM underwriting_locked_borrowers_loans($1, $2::text[])")


def _record_decisions() -> str:
    positions, referrals = 1 + len(_DECISION), 1 + len(_DECISION) + len(_POSITION)
    events = referrals + len(_REFERRAL)
    updated = ", ".join(f"{name} = EXCLUDED.{name}" for name, _ in _POSITION[1:])
    emitted = outbox_insert(*(f"${n}" for n in range(events, events + 7)),
                            where=f"WHERE k {_NEW}")
    return (
        f"WITH decided AS (INSERT INTO decisions ({_names(_DECISION)}) "
        f"SELECT * FROM {_unnest(1, *_DECISION)} "
        "ON CONFLICT (application_id) DO NOTHING RETURNING application_id), "
        f"offered AS (INSERT INTO borrower_loans ({_names(_POSITION)}) "
        f"SELECT * FROM {_unnest(positions, *_POSITION)} WHERE loan_id {_NEW} "
        f"ON CONFLICT (loan_id) DO UPDATE SET {updated}, updated_at = now()), "
        f"referred AS (INSERT INTO referrals ({_names(_REFERRAL)}) "
        f"SELECT * FROM {_unnest(referrals, *_REFERRAL)} WHERE application_id {_NEW}), "
        f"emitted AS ({emitted}) "
        "SELECT application_id FROM decided"
    )


RECORD_DECISIONS = _record_decisions()


def record_params(decisions: Sequence[tuple[Any, ...]], positions: Sequence[tuple[Any, ...]],
                  referrals: Sequence[tuple[Any, ...]], outbox: Sequence[Any]) -> tuple[Any, ...]:
    """``RECORD_DECISIONS``' parameters: the rows of each table as one array per column, in
    the statement's order, then ``outbox_values``."""
    return (*_columns(decisions, _DECISION), *_columns(positions, _POSITION),
            *_columns(referrals, _REFERRAL), *outbox)


def _columns(rows: Sequence[tuple[Any, ...]], spec: Sequence[tuple[str, str]]) -> list[Any]:
    if not rows:
        return [[] for _ in spec]
    return [list(column) for column in zip(*rows, strict=True)]


def _json(value: Any) -> str:
    # pydantic-core's encoder (Rust): a decision's result holds its whole schedule, and the
    # standard library's took ~3% of the service's CPU
    return to_json(value).decode()


def decision_row(d: StoredDecision, policy_json: str) -> tuple[Any, ...]:
    return (d.application_id, d.decision_id, d.borrower_token, d.product_code, d.outcome,
            d.final_outcome, d.model_version, d.policy_version, _json(d.inputs),
            policy_json, _json(d.result), d.decided_at)


def position_row(p: LoanPosition) -> tuple[Any, ...]:
    return (p.loan_id, p.borrower_token, p.currency, p.status, p.principal,
            p.outstanding_principal, p.days_past_due, p.offer_expires_at)


def referral_row(r: Referral) -> tuple[Any, ...]:
    return (r.referral_id, r.application_id, r.queue, r.status,
            _json(list(r.reason_codes)), _json(r.summary), r.created_at,
            r.decide_by, r.reviewer_id, r.note, r.decided_at)
