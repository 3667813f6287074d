"""Writes of the loan projection: one loan per call, in the consumer's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_servicing.adapters.close_partitions import partition_of
from lending_servicing.adapters.orm import (
    activity,
    installments,
    loans,
    payments,
    payoff_quote_uses,
    slice_closes,
)
from lending_servicing.domain.schedule import TrackedInstallment

# Re-derives every installment's state of one loan from what is paid toward the schedule
# (oldest first): settled when covered, else open; void rows stay void. Whether an open one
# is missed is not stored here: the loan's missed_from..missed_through says what the close
# reported.
_RESTATE = text("""
UPDATE installments SET state = s.new_state
  FROM (SELECT number, CASE WHEN cumulative_due <= :paid THEN 'settled' ELSE 'open' END
                       AS new_state
          FROM installments WHERE loan_id = :loan_id AND state <> 'void') AS s
 WHERE installments.loan_id = :loan_id AND installments.number = s.number
   AND installments.state <> s.new_state
""")

# The reported installments still unpaid above tolerance stay missed: the range starts
# again at the oldest of them (none left: no range). A payment only narrows it; a reversal
# never widens it, so an installment cured and unpaid again is reported again. The
# delinquency start is the rule's, as of the day the loan's slice was last closed
# (``:as_of``; NULL before any close): the effective due date of the oldest installment
# overdue by then and unpaid above tolerance, reported or not (a reversal, a late fee can
# make one missed between closes), which is what the loan view shows. ``close_review`` asks
# the next close to look at the loan in full when this moves the start (its bucket is then
# re-rated), or when an overdue installment above tolerance lies outside the range (a
# reversal, a late disbursement): no later close would report it otherwise, as each reads
# only the installments falling overdue since the day before. ``:overdue_by`` is the open
# business date (NULL before the first close, which reads every overdue installment).
_REDERIVE_DELINQUENCY = text("""
UPDATE loans AS l
   SET missed_from = m.lo, delinquent_since = s.since,
       missed_through = CASE WHEN m.lo IS NULL THEN NULL ELSE l.missed_through END,
       missed_cumulative_due = CASE WHEN m.lo IS NULL THEN NULL ELSE l.missed_cumulative_due END,
       close_review = l.close_review OR s.since IS DISTINCT FROM l.delinquent_since
         OR EXISTS (SELECT 1 FROM installments AS c
                     WHERE c.loan_id = :loan_id AND c.state = 'open'
                       AND c.overdue_from <= CAST(:overdue_by AS date)
                       AND LEAST(c.total, c.cumulative_due - :paid) > c.tolerance
                       AND c.number NOT BETWEEN COALESCE(m.lo, 1)
                                   AND CASE WHEN m.lo IS NULL THEN 0 ELSE l.missed_through END)
  FROM (SELECT min(i.number) AS lo
          FROM installments AS i JOIN loans AS o ON o.loan_id = i.loan_id
         WHERE i.loan_id = :loan_id AND i.number BETWEEN o.missed_from AND o.missed_through
           AND LEAST(i.total, i.cumulative_due - :paid) > i.tolerance) AS m,
       (SELECT min(i.effective_due) AS since,
               COALESCE(sum(LEAST(i.total, i.cumulative_due - :paid)), 0) AS overdue
          FROM installments AS i
         WHERE i.loan_id = :loan_id AND i.state = 'open'
           AND i.overdue_from <= CAST(:as_of AS date)
           AND LEAST(i.total, i.cumulative_due - :paid) > i.tolerance) AS s
 WHERE l.loan_id = :loan_id
RETURNING s.since, s.overdue
""")


async def add_loan(session: AsyncSession, row: dict[str, Any],
                   schedule: Sequence[TrackedInstallment]) -> bool:
    inserted = await session.execute(
        insert(loans).values(**row, close_partition=partition_of(row["loan_id"]))
        .on_conflict_do_nothing().returning(loans.c.loan_id))
    if inserted.first() is None:
        return False
    await _insert_schedule(session, row["loan_id"], schedule)
    return True


async def _insert_schedule(session: AsyncSession, loan_id: str,
                           schedule: Sequence[TrackedInstallment]) -> None:
    part = partition_of(loan_id)
    await session.execute(insert(installments), [
        {"loan_id": loan_id, "close_partition": part, **asdict(item)} for item in schedule])


async def replace_schedule(session: AsyncSession, loan_id: str, values: dict[str, Any],
                           schedule: Sequence[TrackedInstallment]) -> None:
    """A restructure: the new schedule replaces the old one, and counts from zero paid."""
    await session.execute(delete(installments).where(installments.c.loan_id == loan_id))
    await _insert_schedule(session, loan_id, schedule)
    await session.execute(update(loans).where(loans.c.loan_id == loan_id).values(
        **values, paid_to_schedule=0, delinquent_since=None, missed_cumulative_due=None,
        missed_from=None, missed_through=None, close_review=True, matured_on=None))


async def get_loan_row(session: AsyncSession, loan_id: str, *,
                       for_update: bool = False) -> Any | None:
    query = select(loans).where(loans.c.loan_id == loan_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def update_loan(session: AsyncSession, loan_id: str, **values: Any) -> None:
    await session.execute(update(loans).where(loans.c.loan_id == loan_id).values(**values))


@dataclass(frozen=True)
class Delinquency:
    since: date | None  # effective due date of the oldest missed installment
    overdue: int  # unpaid on the missed installments, minor units


async def restate(session: AsyncSession, loan_id: str, paid_to_schedule: int,
                  overdue_by: date | None, as_of: date | None) -> Delinquency:
    """After what is paid toward the schedule changed (or the loan became active):
    installments settled or open again, what stays missed, whether the next close must look
    at the loan in full. ``overdue_by``: the open business date (None before any close);
    ``as_of``: the last day the loan's slice was closed for. Returns the delinquency as of
    then."""
    params = {"loan_id": loan_id, "paid": paid_to_schedule, "overdue_by": overdue_by,
              "as_of": as_of}
    await session.execute(_RESTATE, params)
    row = (await session.execute(_REDERIVE_DELINQUENCY, params)).one()
    return Delinquency(row.since, int(row.overdue))


async def slice_closed_on(session: AsyncSession, calendar_id: str, loan_id: str) -> date | None:
    """The last day the loan's slice was closed for (the caller holds the slice's lock)."""
    return await session.scalar(select(slice_closes.c.business_date).where(
        slice_closes.c.calendar_id == calendar_id,
        slice_closes.c.close_partition == partition_of(loan_id)))


async def void_open_installments(session: AsyncSession, loan_id: str) -> None:
    """The loan is no longer serviced: no close looks at it again."""
    await session.execute(update(installments).where(
        installments.c.loan_id == loan_id, installments.c.state == "open").values(state="void"))
    await session.execute(update(loans).where(loans.c.loan_id == loan_id).values(
        close_review=False))


async def reopen(session: AsyncSession, loan_id: str) -> None:
    """A closed loan owes again (a reversal withdrew its payoff): serviced again, its
    installments re-derived by the ``restate`` that follows, and looked at in full by the
    next close."""
    await session.execute(update(installments).where(
        installments.c.loan_id == loan_id, installments.c.state == "void").values(state="open"))
    await session.execute(update(loans).where(loans.c.loan_id == loan_id).values(
        status="active", closed_on=None, close_review=True))


async def record_quote_outcome(session: AsyncSession, quote_id: str, outcome: str,
                               waived: int | None) -> None:
    """What the ledger did with a payment against a payoff quote we issued."""
    await session.execute(update(payoff_quote_uses).where(
        payoff_quote_uses.c.quote_id == quote_id).values(outcome=outcome, waived=waived))


async def get_payment(session: AsyncSession, payment_id: str, *,
                      for_update: bool = False) -> Any | None:
    query = select(payments).where(payments.c.payment_id == payment_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def upsert_applied_payment(session: AsyncSession, values: dict[str, Any]) -> None:
    """The ledger applied a payment: ours (known by id) or one it learned elsewhere."""
    stmt = insert(payments).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[payments.c.payment_id],
        set_={"status": stmt.excluded.status, "to_schedule": stmt.excluded.to_schedule}))


async def set_payment_status(session: AsyncSession, payment_id: str, status: str) -> None:
    await session.execute(
        update(payments).where(payments.c.payment_id == payment_id).values(status=status))


async def add_activity(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(activity).values(**values).on_conflict_do_nothing())


async def installments_of(session: AsyncSession, loan_id: str) -> list[Any]:
    return list(await session.execute(
        select(installments).where(installments.c.loan_id == loan_id)
        .order_by(installments.c.number)))


async def activity_of(session: AsyncSession, loan_id: str, since: date | None,
                      until: date) -> list[Any]:
    conditions = [activity.c.loan_id == loan_id, activity.c.on_date <= until]
    if since is not None:
        conditions.append(activity.c.on_date >= since)
    return list(await session.execute(
        select(activity).where(and_(*conditions)).order_by(activity.c.on_date, activity.c.id)))


async def principal_before(session: AsyncSession, loan_id: str, day: date) -> int | None:
    """The outstanding principal after the last movement before ``day``."""
    return await session.scalar(
        select(activity.c.principal_after).where(
            activity.c.loan_id == loan_id, activity.c.on_date < day,
            activity.c.principal_after.is_not(None))
        .order_by(activity.c.on_date.desc(), activity.c.id.desc()).limit(1))


async def count_loans(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(loans)) or 0)
