"""Read side of the ops API: the work queue and one case with its audit and promises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters import repository as repo
from lending_collections.adapters.orm import cases, loans


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = "open"
    bucket: str | None = None
    assignee: str | None = None
    due_by: date | None = None  # next action due on or before
    after: str | None = None  # the cursor: the last case id of the previous page
    limit: int = 50


def _case_query() -> Any:
    return select(cases, loans.c.product_code, loans.c.partner_id, loans.c.currency,
                  loans.c.outstanding_principal, loans.c.overdue, loans.c.asset_class,
                  loans.c.ifrs9_stage, loans.c.classification_version,
                  loans.c.restructured).join(loans, loans.c.loan_id == cases.c.loan_id)


async def list_cases(session: AsyncSession, f: CaseFilter) -> list[Row[Any]]:
    query = _case_query()
    if f.status:
        query = query.where(cases.c.status == f.status)
    if f.bucket:
        query = query.where(cases.c.bucket == f.bucket)
    if f.assignee:
        query = query.where(cases.c.assigned_to == f.assignee)
    if f.due_by:
        query = query.where(cases.c.next_action_on <= f.due_by)
    if f.after:
        query = query.where(cases.c.case_id > f.after)
    return list((await session.execute(query.order_by(cases.c.case_id).limit(f.limit))).all())


async def case_detail(session: AsyncSession, case_id: str
                      ) -> tuple[Row[Any], list[Row[Any]], list[Row[Any]]] | None:
    row = (await session.execute(_case_query().where(cases.c.case_id == case_id))).first()
    if row is None:
        return None
    return row, await repo.actions_of(session, case_id), await repo.promises_of(session, case_id)
