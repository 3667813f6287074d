"""Delinquency between closes: a payment, a reversal, a late fee or a restructure changes
what is paid toward the schedule, which can move the loan's delinquency start (its oldest
missed installment) as of the day the loan was last closed for. Servicing owns the rule;
the ledger and collections follow it only through DelinquencyChanged, so the move is
published here, in the projection's transaction, not left to the next close (whose own
publications then find nothing new to say: the bucket it compares with is this one).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lending_events import from_minor_units
from lending_events.servicing import DelinquencyChanged
from lending_platform.unit_of_work import emit_in
from lending_servicing.adapters import projection
from lending_servicing.adapters.bucket_table import load_buckets
from lending_servicing.adapters.calendar_repository import last_closed
from lending_servicing.domain.delinquency import bucket_for
from lending_servicing.service_layer.context import SOURCE, ServicingPolicy


async def restate(session: AsyncSession, policy: ServicingPolicy, loan: Any,
                  paid_to_schedule: int, outstanding_principal: int) -> None:
    """Re-derives the loan (``loan``: its row before this change) from what is paid toward
    its schedule, and publishes DelinquencyChanged when its delinquency start moved."""
    last = await last_closed(session, policy.calendar_id)
    as_of = None if last is None else await _rated_as_of(session, policy, loan.loan_id, last)
    found = await projection.restate(session, loan.loan_id, paid_to_schedule,
                                     None if last is None else last[1], as_of)
    if as_of is None or found.since == loan.delinquent_since:
        return
    await publish(session, loan, as_of, found, outstanding_principal)


async def _rated_as_of(session: AsyncSession, policy: ServicingPolicy, loan_id: str,
                       last: tuple[date, date]) -> date:
    """The last closed day, or the day being closed when the loan's slice is closed for it
    already (the close's later slices and its record are still to come): its misses of
    that day are in the loan's row, so it is rated as of that day."""
    closed, open_day = last
    sliced = await projection.slice_closed_on(session, policy.calendar_id, loan_id)
    return sliced if sliced is not None and closed < sliced <= open_day else closed


async def publish(session: AsyncSession, loan: Any, as_of: date,
                  found: projection.Delinquency, outstanding_principal: int) -> None:
    dpd = 0 if found.since is None else (as_of - found.since).days
    bucket = bucket_for(dpd, await load_buckets(session))
    if bucket.value != loan.bucket:
        await projection.update_loan(session, loan.loan_id, bucket=bucket.value,
                                     bucket_dpd=dpd, bucket_as_of=as_of)
    cur = loan.currency
    await emit_in(session, DelinquencyChanged(
        loan_id=loan.loan_id, as_of=as_of, previous_bucket=loan.bucket, bucket=bucket,
        days_past_due=dpd, currency=cur, overdue_amount=from_minor_units(found.overdue, cur),
        outstanding_principal=from_minor_units(outstanding_principal, cur),
        delinquent_since=found.since), SOURCE)
