"""A page of loans with their standing as of a closed business day, in one statement: the
rules of domain/schedule.py (``standing``, ``days_past_due``, ``LoanView.next_due``) in SQL,
per loan through its installments' primary key, so a page costs the same whatever the size
of the book. A test holds every figure equal to the single loan's view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Unpaid as payments settle installments oldest first: min(total, cumulative - paid), >= 0.
_UNPAID = "LEAST(i.total, i.cumulative_due - l.paid_to_schedule)"
# A closed loan owes nothing of its schedule (standing(closed=True)).
_PAGE = f"""
SELECT l.loan_id, l.status, l.currency, l.outstanding_principal, l.outstanding_interest,
       l.outstanding_fees, l.outstanding_penalties, m.since, COALESCE(m.overdue, 0) AS overdue,
       n.number AS next_number, n.due_date AS next_due_date, n.unpaid AS next_unpaid
  FROM loans AS l
  LEFT JOIN LATERAL (
    SELECT min(i.effective_due) AS since, sum({_UNPAID}) AS overdue
      FROM installments AS i
     WHERE i.loan_id = l.loan_id AND l.status <> 'closed'
       AND i.overdue_from <= CAST(:as_of AS date) AND {_UNPAID} > i.tolerance) AS m ON true
  LEFT JOIN LATERAL (
    SELECT i.number, i.due_date, {_UNPAID} AS unpaid
      FROM installments AS i
     WHERE i.loan_id = l.loan_id AND l.status <> 'closed' AND {_UNPAID} > 0
     ORDER BY i.number LIMIT 1) AS n ON true
 WHERE l.loan_id > :cursor {{status}}
 ORDER BY l.loan_id LIMIT :limit
"""


@dataclass(frozen=True, slots=True)
class LoanSummaryRow:
    loan_id: str
    status: str
    currency: str
    outstanding: tuple[int, int, int, int]  # principal, interest, fees, penalties
    delinquent_since: date | None  # effective due date of the oldest missed installment
    overdue: int
    next_due: tuple[int, date, int] | None  # installment number, due date, unpaid


async def page_of_loans(session: AsyncSession, *, as_of: date, cursor: str | None,
                        limit: int, status: str | None) -> list[LoanSummaryRow]:
    params: dict[str, object] = {"as_of": as_of, "cursor": cursor or "", "limit": limit}
    if status is not None:
        params["status"] = status
    rows = await session.execute(text(_PAGE.format(
        status="AND l.status = :status" if status is not None else "")), params)
    return [LoanSummaryRow(
        r.loan_id, r.status, r.currency,
        (r.outstanding_principal, r.outstanding_interest, r.outstanding_fees,
         r.outstanding_penalties),
        r.since, int(r.overdue),
        None if r.next_number is None else (r.next_number, r.next_due_date,
                                            int(r.next_unpaid)))
        for r in rows]
