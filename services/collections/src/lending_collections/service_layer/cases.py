"""Opening and closing cases, and the collector's verbs on them (assign, contact, promise).

Each verb loads the case under a row lock, lets the aggregate check and record, stores the
recorded changes in the audit and queues the integration event in the same transaction.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters import repository as repo
from lending_collections.domain.cases import CollectionCase
from lending_collections.domain.errors import CaseNotFoundError, PromiseInvalidError
from lending_collections.domain.promises import Promise
from lending_collections.domain.strategy import WINDOW_DAYS
from lending_collections.service_layer.context import SOURCE, CollectionsPolicy
from lending_collections.service_layer.recovery import withdraw_pending
from lending_events import from_minor_units, to_minor_units
from lending_events.collections_events import (
    CollectionActionTaken,
    CollectionCaseClosed,
    CollectionCaseOpened,
    PromiseToPayRecorded,
)
from lending_platform.unit_of_work import emit_in


async def reclassify(session: AsyncSession, policy: CollectionsPolicy, loan: Row[Any], *,
                     days_past_due: int, restructured: bool, written_off: bool = False,
                     **changes: Any) -> str:
    """Classifies the loan at ``days_past_due`` (and restructure history) and stores them
    with the class, and ``changes`` to the loan's other columns, in one statement."""
    found = policy.rules.classify(days_past_due, restructured, written_off)
    await repo.update_loan(session, loan.loan_id, days_past_due=days_past_due,
                           restructured=restructured, asset_class=found.asset_class,
                           ifrs9_stage=found.ifrs9_stage,
                           classification_version=policy.rules.version, **changes)
    return found.asset_class


async def open_case(session: AsyncSession, policy: CollectionsPolicy, loan: Row[Any], *,
                    on: date, days_past_due: int, bucket: str, overdue_minor: int,
                    outstanding_minor: int, asset_class: str) -> CollectionCase:
    outstanding = from_minor_units(outstanding_minor, loan.currency)
    strategy = policy.book.strategy_for(loan.product_code, bucket, outstanding)
    stage = strategy.actions[0].stage if strategy.actions else "reminder"
    case = CollectionCase.open(repo.new_id("case"), loan.loan_id, on, days_past_due, bucket)
    await repo.add_case(session, case, stage=stage, strategy_id=strategy.strategy_id)
    await repo.record(session, case.case_id, case.pending)
    await emit_in(session, CollectionCaseOpened(
        loan_id=loan.loan_id, case_id=case.case_id, opened_on=on, days_past_due=days_past_due,
        currency=loan.currency, overdue_amount=from_minor_units(overdue_minor, loan.currency),
        outstanding_principal=outstanding, strategy=strategy.strategy_id, stage=stage,
        classification=asset_class), SOURCE)
    return case


async def close_open_case(session: AsyncSession, loan_id: str, currency: str, *,
                          resolution: str, on: date, why: str) -> bool:
    case = await repo.open_case_of(session, loan_id)
    if case is None or not case.close(resolution, on, why):
        return False
    await repo.save_case(session, case, next_action_on=None)
    await repo.record(session, case.case_id, case.pending)
    await withdraw_pending(session, case.case_id, on, f"case closed: {resolution}")
    recovered = await repo.paid_since_open(session, case.case_id)
    await emit_in(session, CollectionCaseClosed(
        loan_id=loan_id, case_id=case.case_id, closed_on=on, resolution=resolution,
        currency=currency, recovered_amount=from_minor_units(recovered, currency)), SOURCE)
    return True


async def _load(session: AsyncSession, case_id: str) -> CollectionCase:
    case = await repo.get_case(session, case_id)
    if case is None:
        raise CaseNotFoundError(f"no case {case_id}")
    return case


async def _today(session: AsyncSession, policy: CollectionsPolicy) -> date:
    return await repo.current_business_date(session) or policy.clock().date()


async def assign(session: AsyncSession, policy: CollectionsPolicy, case_id: str, *,
                 assignee: str, by: str, why: str) -> CollectionCase:
    case = await _load(session, case_id)
    case.assign(assignee, by, await _today(session, policy), why)
    await repo.save_case(session, case)
    await repo.record(session, case.case_id, case.pending)
    return case


async def record_contact(session: AsyncSession, policy: CollectionsPolicy, case_id: str, *,
                         channel: str, outcome: str, stage: str, by: str, why: str) -> str:
    case = await _load(session, case_id)
    today = await _today(session, policy)
    since = today - timedelta(days=WINDOW_DAYS - 1)
    case.record_contact(channel, outcome, by, today, why,
                        contacts_this_week=await repo.contacts_before_agents_next(session, case_id,
                                                                            since),
                        weekly_limit=policy.book.limits.max_contacts_per_week)
    [action_id] = await repo.record(session, case.case_id, case.pending)
    await emit_in(session, CollectionActionTaken(
        loan_id=case.loan_id, case_id=case.case_id, action_id=action_id, stage=stage,
        performed_on=today, performed_by=by, outcome=outcome), SOURCE)
    return action_id


async def record_promise(session: AsyncSession, policy: CollectionsPolicy, case_id: str, *,
                         amount: Decimal, currency: str, promised_date: date, by: str,
                         why: str) -> Promise:
    case = await _load(session, case_id)
    today = await _today(session, policy)
    loan = await repo.get_loan(session, case.loan_id)
    if loan is None or loan.currency != currency:
        raise PromiseInvalidError(f"the loan is in {loan.currency if loan else '?'}, "
                                  f"not {currency}")
    minor = to_minor_units(amount, currency)
    case.record_promise(minor, promised_date, by, today, why)
    promise = Promise(repo.new_id("ptp"), case.case_id, case.loan_id, currency, minor,
                      promised_date)
    await repo.add_promise(session, promise, recorded_on=today, recorded_by=by)
    await repo.record(session, case.case_id, [
        replace(r, details={**r.details, "promise_id": promise.promise_id})
        for r in case.pending])
    await emit_in(session, PromiseToPayRecorded(
        loan_id=case.loan_id, case_id=case.case_id, promise_id=promise.promise_id,
        currency=currency, promised_amount=amount, promised_date=promised_date,
        recorded_on=today, recorded_by=by), SOURCE)
    return promise
