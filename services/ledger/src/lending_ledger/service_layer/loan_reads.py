"""The loan reads: one loan in full, or a page of loans with the figures another service's
view of them must agree with. Both take the balances and the next due from the read model
(snapshots.read_model, written with every change) and the days past due from servicing's
delinquency (queries.days_past_due), as of servicing's last closed business date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from lending_ledger.adapters import delinquency
from lending_ledger.adapters.orm import loan_accounts
from lending_ledger.service_layer.booking import last_closed_business_date
from lending_ledger.service_layer.queries import days_past_due

MAX_PAGE = 1000

# Only the small members of the read model leave the database (not its installments); the
# page follows the primary key (or the status index) from the cursor.
_PAGE = """
SELECT a.loan_id, a.status, a.currency, a.view -> 'balances' AS balances,
       a.view -> 'next_due' AS next_due, d.delinquent_since
  FROM loan_accounts AS a LEFT JOIN loan_delinquency AS d ON d.loan_id = a.loan_id
 WHERE a.loan_id > :cursor {status}
 ORDER BY a.loan_id LIMIT :limit
"""


@dataclass(frozen=True)
class LoanRead:
    view: dict[str, Any]
    delinquent_since: date | None
    as_of: date | None
    days_past_due: int


async def loan_read(session: AsyncSession, loan_id: str,
                    as_of: date | None = None) -> LoanRead | None:
    """``as_of`` ages servicing's delinquency to another date (default: the last closed
    business date, the date servicing's own view is as of)."""
    view = await session.scalar(
        select(loan_accounts.c.view).where(loan_accounts.c.loan_id == loan_id))
    if view is None:
        return None
    since = await delinquency.since_of(session, loan_id)
    as_of = as_of or await last_closed_business_date(session)
    return LoanRead(view, since, as_of, days_past_due(view["status"], since, as_of))


@dataclass(frozen=True)
class LoanPage:
    items: list[dict[str, Any]]
    next_cursor: str | None
    as_of: date | None


async def loan_page(session: AsyncSession, *, cursor: str | None, limit: int,
                    status: str | None) -> LoanPage:
    as_of = await last_closed_business_date(session)
    params: dict[str, Any] = {"cursor": cursor or "", "limit": limit}
    if status is not None:
        params["status"] = status
    rows = (await session.execute(text(_PAGE.format(
        status="AND a.status = :status" if status is not None else "")), params)).all()
    items = [summary(r.loan_id, r.status, r.currency, r.balances or {}, r.next_due,
                     r.delinquent_since, as_of) for r in rows]
    return LoanPage(items, rows[-1].loan_id if len(rows) == limit else None, as_of)


def summary(loan_id: str, status: str, currency: str | None, balances: dict[str, Any],
            next_due: dict[str, Any] | None, since: date | None,
            as_of: date | None) -> dict[str, Any]:
    """The figures of one loan another service's view must agree with."""
    return {"loan_id": loan_id, "status": status, "currency": currency, "balances": balances,
            "next_due": next_due, "delinquent_since": since, "as_of": as_of,
            "days_past_due": days_past_due(status, since, as_of)}
