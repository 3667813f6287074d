"""Reading and writing the collections tables (SQLAlchemy Core, one session per call)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters.orm import (
    business_day,
    case_actions,
    cases,
    early_warnings,
    loans,
    promises,
)
from lending_collections.domain.cases import OPEN, CollectionCase, Recorded
from lending_collections.domain.promises import PENDING, Promise


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


# --- loans -------------------------------------------------------------------------------

async def add_loan(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(pg_insert(loans).values(**values).on_conflict_do_nothing())


async def add_booked_loan(session: AsyncSession, values: dict[str, Any]) -> None:
    """Topics are not ordered with each other: servicing's first DelinquencyChanged may come
    before the ledger's LoanBooked and leave a stub; the booking then fills in what only it
    knows (product, partner, principal) and keeps the fresher balance and DPD."""
    stmt = pg_insert(loans).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[loans.c.loan_id],
        set_={"partner_id": stmt.excluded.partner_id,
              "product_code": stmt.excluded.product_code,
              "principal": stmt.excluded.principal, "terms": stmt.excluded.terms}))


async def get_loan(session: AsyncSession, loan_id: str) -> Row[Any] | None:
    query = select(loans).where(loans.c.loan_id == loan_id).with_for_update()
    return (await session.execute(query)).first()


async def update_loan(session: AsyncSession, loan_id: str, **values: Any) -> None:
    await session.execute(update(loans).where(loans.c.loan_id == loan_id)
                          .values(**values, updated_at=func.now()))


async def exposure_of(session: AsyncSession, applicant_id: str, currency: str, *,
                      but: str) -> int:
    """The borrower's outstanding principal on their other open loans, in ``currency``."""
    return int(await session.scalar(
        select(func.coalesce(func.sum(loans.c.outstanding_principal), 0))
        .where(loans.c.applicant_id == applicant_id, loans.c.currency == currency,
               loans.c.loan_id != but, loans.c.status.in_(("booked", "active")))) or 0)


# --- cases -------------------------------------------------------------------------------

def _case(row: Row[Any]) -> CollectionCase:
    return CollectionCase(row.case_id, row.loan_id, row.status, row.opened_on,
                          row.days_past_due, row.bucket, row.assigned_to, row.closed_on,
                          row.resolution)


async def open_case_of(session: AsyncSession, loan_id: str) -> CollectionCase | None:
    query = (select(cases).where(cases.c.loan_id == loan_id, cases.c.status == OPEN)
             .with_for_update())
    row = (await session.execute(query)).first()
    return None if row is None else _case(row)


async def get_case(session: AsyncSession, case_id: str, lock: bool = True
                   ) -> CollectionCase | None:
    query = select(cases).where(cases.c.case_id == case_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    return None if row is None else _case(row)


async def add_case(session: AsyncSession, case: CollectionCase, *, stage: str,
                   strategy_id: str) -> None:
    await session.execute(insert(cases).values(
        case_id=case.case_id, loan_id=case.loan_id, status=case.status,
        opened_on=case.opened_on, days_past_due=case.days_past_due, bucket=case.bucket,
        stage=stage, strategy_id=strategy_id, next_action_on=case.opened_on))


async def save_case(session: AsyncSession, case: CollectionCase, **extra: Any) -> None:
    await session.execute(update(cases).where(cases.c.case_id == case.case_id).values(
        status=case.status, closed_on=case.closed_on, resolution=case.resolution,
        assigned_to=case.assigned_to, days_past_due=case.days_past_due, bucket=case.bucket,
        **extra))


async def add_paid_to_open_case(session: AsyncSession, loan_id: str, amount: int) -> None:
    await session.execute(update(cases).where(cases.c.loan_id == loan_id, cases.c.status == OPEN)
                          .values(paid_since_open=cases.c.paid_since_open + amount))


async def paid_since_open(session: AsyncSession, case_id: str) -> int:
    return int(await session.scalar(
        select(cases.c.paid_since_open).where(cases.c.case_id == case_id)) or 0)


# --- the audit ---------------------------------------------------------------------------

async def record(session: AsyncSession, case_id: str, changes: Sequence[Recorded],
                 *, is_contact: bool = False) -> list[str]:
    """Stores the case's recorded changes (who, when, why); returns their action ids."""
    ids = [new_id("act") for _ in changes]
    if changes:
        await session.execute(insert(case_actions), [
            {"action_id": action_id, "case_id": case_id, "kind": c.kind,
             "business_date": c.on, "performed_by": c.by, "reason": c.why,
             "is_contact": is_contact or c.kind == "contact", "details": c.details}
            for action_id, c in zip(ids, changes, strict=True)])
    return ids


# The contacts an agent's next contact on a case adds to. A call or visit task counts when it
# is created: it keeps the week's room for the contact it asks an agent to make, so that
# contact (the agent's next one while the task is unanswered) is the task's, not another.
# (The day close's planner counts the task and the contact both: it stays on the safe side.)
_CONTACTS_BEFORE_AGENTS_NEXT = (
    "SELECT (count(*) FILTER (WHERE is_contact)"
    " - least(count(*) FILTER (WHERE kind IN ('call_task', 'field_visit_task')),"
    "         count(*) FILTER (WHERE kind = 'contact') + 1))::int AS contacts"
    " FROM case_actions WHERE case_id = :case_id AND business_date >= :since")


async def contacts_before_agents_next(session: AsyncSession, case_id: str,
                                      since: date) -> int:
    """Contacts of the case on business dates from ``since`` that an agent's next contact
    adds to (not counting the room a task kept for it); the case row is locked by the
    caller's load, so two agents cannot both take the last contact of the week."""
    return int(await session.scalar(text(_CONTACTS_BEFORE_AGENTS_NEXT),
                                     {"case_id": case_id, "since": since}) or 0)


async def actions_of(session: AsyncSession, case_id: str) -> list[Row[Any]]:
    query = (select(case_actions).where(case_actions.c.case_id == case_id)
             .order_by(case_actions.c.performed_at, case_actions.c.action_id))
    return list((await session.execute(query)).all())


# --- promises ----------------------------------------------------------------------------

def _promise(row: Row[Any]) -> Promise:
    return Promise(row.promise_id, row.case_id, row.loan_id, row.currency, row.amount,
                   row.promised_date, row.paid, row.status, row.resolved_on)


async def add_promise(session: AsyncSession, promise: Promise, *, recorded_on: date,
                      recorded_by: str) -> None:
    await session.execute(insert(promises).values(
        promise_id=promise.promise_id, case_id=promise.case_id, loan_id=promise.loan_id,
        currency=promise.currency, amount=promise.amount_minor,
        promised_date=promise.promised_date, recorded_on=recorded_on,
        recorded_by=recorded_by, paid=promise.paid_minor, status=promise.status))


async def pending_promises_of_loan(session: AsyncSession, loan_id: str) -> list[Promise]:
    query = (select(promises).where(promises.c.loan_id == loan_id,
                                    promises.c.status == PENDING)
             .order_by(promises.c.promised_date).with_for_update())
    return [_promise(r) for r in (await session.execute(query)).all()]


async def promises_due(session: AsyncSession, business_date: date) -> list[Promise]:
    query = (select(promises).where(promises.c.status == PENDING,
                                    promises.c.promised_date <= business_date)
             .order_by(promises.c.promise_id).with_for_update(skip_locked=True))
    return [_promise(r) for r in (await session.execute(query)).all()]


async def save_promise(session: AsyncSession, promise: Promise) -> None:
    await session.execute(update(promises).where(promises.c.promise_id == promise.promise_id)
                          .values(paid=promise.paid_minor, status=promise.status,
                                  resolved_on=promise.resolved_on))


async def promises_of(session: AsyncSession, case_id: str) -> list[Row[Any]]:
    query = select(promises).where(promises.c.case_id == case_id).order_by(
        promises.c.recorded_on, promises.c.promise_id)
    return list((await session.execute(query)).all())


# --- early warnings ----------------------------------------------------------------------

async def earlier_cures(session: AsyncSession, loan_id: str) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(cases)
        .where(cases.c.loan_id == loan_id, cases.c.resolution == "cured")) or 0)


async def add_warning(session: AsyncSession, values: dict[str, Any]) -> bool:
    """False when the loan already has a warning for that business date."""
    result = await session.execute(pg_insert(early_warnings).values(**values)
                                   .on_conflict_do_nothing().returning(early_warnings.c.loan_id))
    return result.first() is not None


# --- the business date -------------------------------------------------------------------

async def current_business_date(session: AsyncSession) -> date | None:
    return await session.scalar(select(business_day.c.business_date).where(business_day.c.id == 1))


async def advance_business_date(session: AsyncSession, to: date) -> None:
    """Moves forward only: a late, redelivered or replayed event never moves it back.

    Read first: the upsert locks the one row even when it changes nothing, which would make
    every concurrent handler that reports a date wait for the others' commits."""
    current = await current_business_date(session)
    if current is not None and current >= to:
        return
    stmt = pg_insert(business_day).values(id=1, business_date=to)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[business_day.c.id], set_={"business_date": to},
        where=business_day.c.business_date < to))
