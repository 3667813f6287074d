"""The per-loan risk signal: each event that says something about how a loan is paying
updates its facts, re-scores it and, when that says something new, raises EarlyWarningRaised
(at most one per loan and business date). Flagged loans get an SMS before an installment
falls due, queued here and sent by the delivery worker after commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters import repository as repo
from lending_collections.adapters.orm import loan_risk, outreach
from lending_collections.domain.early_warning import Assessment, RiskFacts, assess, worth_raising
from lending_collections.service_layer.context import SOURCE, CollectionsPolicy
from lending_events.collections_events import EarlyWarningRaised
from lending_platform.unit_of_work import emit_in


async def facts_of(session: AsyncSession, loan_id: str) -> RiskFacts:
    """The loan's facts, its row created if need be and locked (one statement: the no-op
    update locks the row it conflicts with and returns it)."""
    stmt = pg_insert(loan_risk).values(loan_id=loan_id)
    raw = await session.scalar(stmt.on_conflict_do_update(
        index_elements=[loan_risk.c.loan_id], set_={"loan_id": stmt.excluded.loan_id})
        .returning(loan_risk.c.facts))
    return RiskFacts.from_json(raw)


async def update_risk(session: AsyncSession, policy: CollectionsPolicy, loan_id: str,
                      as_of: date, change: Callable[[RiskFacts], RiskFacts], *,
                      always_raise: bool = False) -> Assessment:
    """Applies ``change`` to the loan's facts and re-scores it; ``always_raise``: a missed
    installment is always worth a warning, whatever the level."""
    rules = policy.warnings
    facts = change(await facts_of(session, loan_id))
    now = assess(rules, facts)
    if (always_raise or worth_raising(rules, facts, now)) and await _raise(
            session, loan_id, as_of, now, facts.current_dpd):
        facts = RiskFacts.from_json({**facts.as_json(), "raised_level": now.level,
                                     "raised_signals": list(now.signals)})
    await session.execute(update(loan_risk).where(loan_risk.c.loan_id == loan_id).values(
        facts=facts.as_json(), score=now.score, level=now.level, signals=list(now.signals),
        as_of=as_of))
    return now


async def _raise(session: AsyncSession, loan_id: str, as_of: date, now: Assessment,
                 dpd: int) -> bool:
    warning_id = repo.new_id("ew")
    signals = list(now.signals) or ["payment_missed"]
    if not await repo.add_warning(session, {
            "warning_id": warning_id, "loan_id": loan_id, "as_of": as_of,
            "severity": now.severity, "signals": signals}):
        return False
    await emit_in(session, EarlyWarningRaised(
        loan_id=loan_id, warning_id=warning_id, as_of=as_of, severity=now.severity,
        signals=signals, days_past_due=dpd), SOURCE)
    return True


async def queue_pre_due_outreach(session: AsyncSession, policy: CollectionsPolicy, *,
                                 loan_id: str, installment: int, due_date: date,
                                 amount: str, business_date: date) -> bool:
    """An SMS before the installment falls due, once per (loan, installment, due date), for
    a loan whose risk level reaches ``outreach_from``. True when one was queued."""
    level = await session.scalar(select(loan_risk.c.level).where(loan_risk.c.loan_id == loan_id))
    rules = policy.warnings
    if level is None or not rules.at_least(level, rules.outreach_from):
        return False
    values: dict[str, Any] = {
        "outreach_id": repo.new_id("pre"), "loan_id": loan_id,
        "installment_number": installment, "due_date": due_date,
        "business_date": business_date, "risk_level": level,
        "body": rules.outreach_template.format(loan_id=loan_id, due_date=due_date,
                                               amount=amount),
        "delivery_status": "pending",
        "send_after": policy.book.limits.next_allowed(policy.clock()),
        "dedupe_key": f"{loan_id}:{installment}:{due_date.isoformat()}"}
    added = await session.execute(pg_insert(outreach).values(**values)
                                  .on_conflict_do_nothing().returning(outreach.c.outreach_id))
    return added.first() is not None
