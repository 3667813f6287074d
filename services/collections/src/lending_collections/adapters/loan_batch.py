"""The rows one consumer batch works on, read in a few statements and written back in a few.

``load`` locks, in loan-id order (the one order every locker of several loans uses), the
batch's loans, their risk rows (created if need be) and their open cases, and reads what
the handlers would otherwise ask per event (the warnings already raised, which loans have
pending promises, the borrowers' other loans). The handlers change these in memory;
``flush`` writes every change back, one statement per table, each from arrays (``unnest``):
a statement's cost then hardly depends on how many events the batch held.
"""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters.repository import new_id
from lending_collections.domain.cases import CollectionCase, Recorded
from lending_collections.domain.early_warning import RiskFacts


@dataclass
class LoanRow:
    """A ``loans`` row (see orm.py), as the handlers change it."""

    loan_id: str
    partner_id: str
    product_code: str
    currency: str
    principal: int
    outstanding_principal: int
    overdue: int = 0
    days_past_due: int = 0
    dpd_as_of: date | None = None
    delinquent_since: date | None = None
    bucket: str = "current"
    status: str = "active"
    restructured: bool = False
    asset_class: str = "normal"
    ifrs9_stage: int = 1
    classification_version: str | None = None
    total_paid: int = 0
    applicant_id: str | None = None
    terms: Any = None


_LOAN_COLUMNS = tuple(f.name for f in fields(LoanRow))
_LOAN_TYPES = ("text", "text", "text", "text", "bigint", "bigint", "bigint", "int", "date",
               "date", "text", "text", "boolean", "text", "int", "text", "bigint", "text",
               "jsonb")


def _unnest(columns: tuple[str, ...], types: tuple[str, ...]) -> str:
    return "unnest(" + ", ".join(f"CAST(:{c} AS {t}[])" for c, t in
                                 zip(columns, types, strict=True)) + ")"


_SELECT_LOANS = text(f"SELECT {', '.join(_LOAN_COLUMNS)} FROM loans "
                     "WHERE loan_id = ANY(:ids) ORDER BY loan_id FOR UPDATE")
_UPSERT_LOANS = text(
    f"INSERT INTO loans ({', '.join(_LOAN_COLUMNS)}) SELECT * FROM "
    f"{_unnest(_LOAN_COLUMNS, _LOAN_TYPES)} ON CONFLICT (loan_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _LOAN_COLUMNS[1:]) + ", updated_at = now()")
# The no-op update locks (and returns) a row that exists, the insert creates one that does not.
_LOCK_RISK = text(
    "INSERT INTO loan_risk (loan_id) SELECT unnest(CAST(:ids AS text[])) ORDER BY 1 "
    "ON CONFLICT (loan_id) DO UPDATE SET loan_id = excluded.loan_id RETURNING loan_id, facts")
_UPDATE_RISK = text(
    "UPDATE loan_risk r SET facts = v.facts, score = v.score, level = v.level, "
    "signals = v.signals, as_of = v.as_of FROM "
    + _unnest(("loan_id", "facts", "score", "level", "signals", "as_of"),
              ("text", "jsonb", "int", "text", "jsonb", "date"))
    + " AS v(loan_id, facts, score, level, signals, as_of) WHERE r.loan_id = v.loan_id")
_SELECT_CASES = text(
    "SELECT case_id, loan_id, status, opened_on, days_past_due, bucket, assigned_to, "
    "closed_on, resolution FROM cases WHERE loan_id = ANY(:ids) AND status = 'open' "
    "ORDER BY loan_id FOR UPDATE")
_CASE_COLUMNS = ("case_id", "loan_id", "status", "opened_on", "days_past_due", "bucket",
                 "stage", "strategy_id", "next_action_on", "paid_since_open")
_INSERT_CASES = text(
    f"INSERT INTO cases ({', '.join(_CASE_COLUMNS)}) SELECT * FROM "
    + _unnest(_CASE_COLUMNS, ("text", "text", "text", "date", "int", "text", "text", "text",
                              "date", "bigint")))
_UPDATE_CASES = text(
    "UPDATE cases c SET days_past_due = v.dpd, bucket = v.bucket, "
    "paid_since_open = c.paid_since_open + v.paid FROM "
    + _unnest(("case_id", "dpd", "bucket", "paid"), ("text", "int", "text", "bigint"))
    + " AS v(case_id, dpd, bucket, paid) WHERE c.case_id = v.case_id")
_ACTION_COLUMNS = ("action_id", "case_id", "kind", "business_date", "performed_by", "reason",
                   "is_contact", "details")
_INSERT_ACTIONS = text(
    f"INSERT INTO case_actions ({', '.join(_ACTION_COLUMNS)}) SELECT * FROM "
    + _unnest(_ACTION_COLUMNS, ("text", "text", "text", "date", "text", "text", "boolean",
                                "jsonb")))
_WARNING_COLUMNS = ("warning_id", "loan_id", "as_of", "severity", "signals")
_INSERT_WARNINGS = text(
    f"INSERT INTO early_warnings ({', '.join(_WARNING_COLUMNS)}) SELECT * FROM "
    + _unnest(_WARNING_COLUMNS, ("text", "text", "date", "text", "jsonb"))
    + " ON CONFLICT DO NOTHING")
_OUTREACH_COLUMNS = ("outreach_id", "loan_id", "installment_number", "due_date",
                     "business_date", "risk_level", "body", "delivery_status", "send_after",
                     "dedupe_key")
_INSERT_OUTREACH = text(
    f"INSERT INTO outreach ({', '.join(_OUTREACH_COLUMNS)}) SELECT * FROM "
    + _unnest(_OUTREACH_COLUMNS, ("text", "text", "int", "date", "date", "text", "text",
                                  "text", "timestamptz", "text"))
    + " ON CONFLICT DO NOTHING")
_WARNED = text("SELECT loan_id, as_of FROM early_warnings WHERE loan_id = ANY(:ids)")
_PROMISED = text("SELECT DISTINCT loan_id FROM promises "
                 "WHERE loan_id = ANY(:ids) AND status = 'pending'")
_BORROWERS_LOANS = text(
    "SELECT loan_id, applicant_id, currency, outstanding_principal, status FROM loans "
    "WHERE applicant_id = ANY(:applicants)")


@dataclass
class OpenCase:
    case: CollectionCase
    new: bool = False
    stage: str = ""
    strategy_id: str = ""
    paid: int = 0  # paid since the batch began (since opened, for a new case)
    moved: bool = False


@dataclass
class Risk:
    facts: RiskFacts
    score: int = 0
    level: str = "none"
    signals: list[str] = field(default_factory=list)
    as_of: date | None = None
    changed: bool = False


@dataclass
class LoanBatch:
    loans: dict[str, LoanRow]
    risks: dict[str, Risk]
    cases: dict[str, OpenCase]  # by loan id: its open case
    warned: set[tuple[str, date]]  # (loan, business date) with a warning raised
    promised: set[str]  # loans with a pending promise to pay
    others: dict[str, tuple[str | None, str, int, str]]  # loans outside: applicant, cur, ...
    dirty: set[str] = field(default_factory=set)
    new_loans: set[str] = field(default_factory=set)
    actions: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    outreach: list[dict[str, Any]] = field(default_factory=list)
    business_date: date | None = None

    def exposure_of(self, applicant_id: str | None, currency: str, *, but: str) -> int:
        """The borrower's outstanding principal on their other open loans, in ``currency``:
        this batch's loans as the batch left them, the others as the database has them."""
        total = 0
        for loan in self.loans.values():
            if (loan.applicant_id == applicant_id and loan.currency == currency
                    and loan.loan_id != but and loan.status in ("booked", "active")):
                total += loan.outstanding_principal
        for loan_id, (applicant, cur, outstanding, status) in self.others.items():
            if (loan_id not in self.loans and applicant == applicant_id and cur == currency
                    and loan_id != but and status in ("booked", "active")):
                total += outstanding
        return total

    def record(self, case_id: str, changes: list[Recorded]) -> None:
        self.actions += [{"action_id": new_id("act"), "case_id": case_id, "kind": c.kind,
                          "business_date": c.on, "performed_by": c.by, "reason": c.why,
                          "is_contact": c.kind == "contact", "details": json.dumps(c.details)}
                         for c in changes]


async def load(session: AsyncSession, loan_ids: set[str], risk_ids: set[str],
               applicants: set[str], *, risk_if_known: AbstractSet[str] = frozenset()
               ) -> LoanBatch:
    """``risk_ids``: loans the run re-scores (their risk rows are created if need be);
    ``risk_if_known``: loans it re-scores only if they exist (a payment's)."""
    ids = sorted(loan_ids)
    loans = {r.loan_id: LoanRow(**r._mapping)
             for r in await session.execute(_SELECT_LOANS, {"ids": ids})}
    risk_ids = risk_ids | (risk_if_known & loans.keys())
    risks = {r.loan_id: Risk(RiskFacts.from_json(r.facts))
             for r in await session.execute(_LOCK_RISK, {"ids": sorted(risk_ids)})}
    cases = {r.loan_id: OpenCase(CollectionCase(r.case_id, r.loan_id, r.status, r.opened_on,
                                                r.days_past_due, r.bucket, r.assigned_to,
                                                r.closed_on, r.resolution))
             for r in await session.execute(_SELECT_CASES, {"ids": ids})}
    warned = {(r.loan_id, r.as_of)
              for r in await session.execute(_WARNED, {"ids": sorted(risk_ids)})}
    promised = set((await session.execute(_PROMISED, {"ids": ids})).scalars())
    others = {r.loan_id: (r.applicant_id, r.currency, r.outstanding_principal, r.status)
              for r in (await session.execute(_BORROWERS_LOANS,
                                              {"applicants": sorted(applicants)})
                        if applicants else [])}
    return LoanBatch(loans, risks, cases, warned, promised, others)


def _columns(rows: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in names}


async def flush(session: AsyncSession, batch: LoanBatch) -> None:
    """Writes every change of the batch, parents before children (loans, cases, actions)."""
    if batch.dirty:
        rows = [batch.loans[i] for i in sorted(batch.dirty)]
        values = {c: [getattr(r, c) for r in rows] for c in _LOAN_COLUMNS}
        values["terms"] = [None if t is None else json.dumps(t) for t in values["terms"]]
        await session.execute(_UPSERT_LOANS, values)
    opened = [c for c in batch.cases.values() if c.new]
    if opened:
        await session.execute(_INSERT_CASES, _columns([
            {"case_id": c.case.case_id, "loan_id": c.case.loan_id, "status": c.case.status,
             "opened_on": c.case.opened_on, "days_past_due": c.case.days_past_due,
             "bucket": c.case.bucket, "stage": c.stage, "strategy_id": c.strategy_id,
             "next_action_on": c.case.opened_on, "paid_since_open": c.paid}
            for c in opened], _CASE_COLUMNS))
    changed = [c for c in batch.cases.values() if not c.new and (c.moved or c.paid)]
    if changed:
        await session.execute(_UPDATE_CASES, {
            "case_id": [c.case.case_id for c in changed],
            "dpd": [c.case.days_past_due for c in changed],
            "bucket": [c.case.bucket for c in changed], "paid": [c.paid for c in changed]})
    if batch.actions:
        await session.execute(_INSERT_ACTIONS, _columns(batch.actions, _ACTION_COLUMNS))
    risks = [(loan_id, r) for loan_id, r in sorted(batch.risks.items()) if r.changed]
    if risks:
        await session.execute(_UPDATE_RISK, {
            "loan_id": [i for i, _ in risks],
            "facts": [json.dumps(r.facts.as_json()) for _, r in risks],
            "score": [r.score for _, r in risks], "level": [r.level for _, r in risks],
            "signals": [json.dumps(r.signals) for _, r in risks],
            "as_of": [r.as_of for _, r in risks]})
    if batch.warnings:
        await session.execute(_INSERT_WARNINGS, _columns(batch.warnings, _WARNING_COLUMNS))
    if batch.outreach:
        await session.execute(_INSERT_OUTREACH, _columns(batch.outreach, _OUTREACH_COLUMNS))
