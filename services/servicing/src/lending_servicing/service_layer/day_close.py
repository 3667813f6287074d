"""The business-day close: every missing business day up to a date, one transaction each.

Per day, under the close lock: the four set-based statements of adapters/day_close_sql.py
(missed payments, delinquency buckets, reminders, maturities), the closed-days row and
BusinessDayClosed, all in one commit. A day that is already closed is never closed again,
so repeating a close (or a crash half-way through a catch-up) emits nothing twice.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date

from lending_events.servicing import BusinessDayClosed
from lending_messaging.context import current_context, new_context, use_context
from lending_platform.unit_of_work import emit_in
from lending_servicing.adapters import calendar_repository as calendars
from lending_servicing.adapters.day_close_sql import DayCloseCounts, close_day
from lending_servicing.domain.calendar import BusinessCalendar
from lending_servicing.domain.errors import CalendarError
from lending_servicing.service_layer.context import SOURCE, ServicingContext
from lending_servicing.service_layer.locks import lock_for_close

log = logging.getLogger("lending.servicing.close")


@dataclass(frozen=True)
class ClosedDay:
    business_date: date
    next_business_date: date
    counts: DayCloseCounts
    seconds: float


@dataclass
class CloseResult:
    requested: date
    closed: list[ClosedDay] = field(default_factory=list)
    business_date: date | None = None  # the open business date afterwards


async def current_business_date(ctx: ServicingContext) -> date:
    async with ctx.sessions() as session:
        last = await calendars.last_closed(session, ctx.policy.calendar_id)
    if last is not None:
        return last[1]
    return ctx.policy.initial_business_date or ctx.clock().date()


async def close_business_days(ctx: ServicingContext, up_to: date) -> CloseResult:
    """Closes each business day after the last closed one, in order, up to ``up_to``."""
    result = CloseResult(requested=up_to)
    message = current_context() or new_context()
    with use_context(message):  # every event of the close shares one correlation id
        while await _close_next(ctx, up_to, result, message.correlation_id,
                                message.traceparent):
            pass
    return result


async def _close_next(ctx: ServicingContext, up_to: date, result: CloseResult,
                      correlation_id: str, traceparent: str) -> bool:
    """Closes the next missing day, if any; False when the calendar has reached ``up_to``."""
    policy = ctx.policy
    async with ctx.sessions() as session, session.begin():
        await lock_for_close(session)
        calendar = await calendars.load_calendar(session, policy.calendar_id,
                                                 policy.weekend_days)
        last = await calendars.last_closed(session, policy.calendar_id)
        days = _days(calendar, last[0] if last else None, up_to)
        if not days:
            result.business_date = last[1] if last else None
            return False
        day = days[0]
        started = time.perf_counter()
        counts = await close_day(session, day, source=SOURCE, now=ctx.clock(),
                                 correlation_id=correlation_id, traceparent=traceparent)
        next_day = calendar.next_business_day(day)
        await calendars.record_closed(session, policy.calendar_id, day, next_day,
                                      counts.as_dict())
        await emit_in(session, BusinessDayClosed(
            calendar_id=policy.calendar_id, business_date=day, next_business_date=next_day),
            SOURCE)
    seconds = time.perf_counter() - started
    log.info("closed business day %s in %.2fs: %s", day, seconds, counts.as_dict())
    result.closed.append(ClosedDay(day, next_day, counts, seconds))
    result.business_date = next_day
    return True

def _days(calendar: BusinessCalendar, last: date | None, up_to: date) -> list[date]:
    try:
        return calendar.days_to_close(last, up_to)
    except ValueError as exc:
        raise CalendarError(str(exc)) from exc
