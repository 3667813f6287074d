"""The business-day close: every missing business day up to a date, in order.

A day closes in three steps. Under the calendar lock: choose the day and record that its
close has begun (from then on it cannot become a holiday). Then the sixteen slices of the
book (adapters/close_partitions.py), in groups of about ``close_transaction_rows``
installments, each group in its own transaction under its slices' locks, a few at once
(``close_parallelism``): the three set-based statements of
adapters/day_close_sql.py (missed payments, delinquency buckets, reminders, maturities)
with their events. Last, under the calendar lock: the closed-days row and
BusinessDayClosed, which so follows every event of its day.

Every one of these transactions is run again if PostgreSQL picks it as a deadlock or
serialization victim (``retry_transient``): it rolled back whole, so nothing of it stays.

Short transactions keep the outbox relays of every database on the server moving (their
horizon is the oldest running transaction) and let payments proceed on other slices. A
crash half-way loses nothing and repeats nothing: every statement changes exactly the rows
it reports on (a loan's range of reported installments grows as their PaymentMissed are
written), so the next close of the day finds only the slices' remaining work. Two closers
at once serialise per slice and the second finds the day already recorded.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from lending_events.servicing import BusinessDayClosed
from lending_messaging.context import current_context, new_context, use_context
from lending_messaging.transient import retry_transient
from lending_platform.unit_of_work import emit_in
from lending_servicing.adapters import calendar_repository as calendars
from lending_servicing.adapters.close_partitions import PARTITIONS
from lending_servicing.adapters.day_close_sql import (
    DayCloseCounts,
    close_slices,
    installments_estimate,
)
from lending_servicing.domain.calendar import BusinessCalendar, check_close_date
from lending_servicing.domain.errors import CalendarError
from lending_servicing.service_layer.context import SOURCE, ServicingContext
from lending_servicing.service_layer.locks import lock_calendar, lock_slices_for_close

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
    return ctx.policy.initial_business_date or ctx.today()


async def last_close_completed(ctx: ServicingContext) -> datetime | None:
    async with ctx.sessions() as session:
        return await calendars.last_closed_at(session, ctx.policy.calendar_id)


async def last_close_seconds(ctx: ServicingContext) -> float | None:
    async with ctx.sessions() as session:
        return await calendars.last_close_seconds(session, ctx.policy.calendar_id)


async def days_to_close(ctx: ServicingContext, up_to: date) -> list[date]:
    """The business days a close up to ``up_to`` would close now, in order."""
    policy = ctx.policy
    async with ctx.sessions() as session:
        calendar = await calendars.load_calendar(session, policy.calendar_id,
                                                 policy.weekend_days)
        last = await calendars.last_closed(session, policy.calendar_id)
    return _days(calendar, last[0] if last else None, up_to)


@dataclass(frozen=True)
class CloseBusinessDays:
    """Close every business day up to ``up_to``. ``by`` is who asks (an operator id, or
    ``loanctl:<user>``), recorded on each day closed and in its BusinessDayClosed;
    ``allow_future_date`` is an admin's override of the wall-clock limit."""

    up_to: date
    by: str
    allow_future_date: bool = False


async def close_business_days(
    ctx: ServicingContext, command: CloseBusinessDays,
    on_closed: Callable[[ClosedDay], None] | None = None,
) -> CloseResult:
    """Closes each business day after the last closed one, in order, up to ``up_to``;
    ``on_closed`` hears of each day as it is closed (a long catch-up shows progress)."""
    today = ctx.today()
    check_close_date(command.up_to, today, allow_future_date=command.allow_future_date)
    if command.up_to > today:
        log.warning("%s closes business days up to %s, later than today's date %s "
                    "(allow_future_date)", command.by, command.up_to, today)
    result = CloseResult(requested=command.up_to)
    message = current_context() or new_context()
    with use_context(message):  # every event of the close shares one correlation id
        while await _close_next(ctx, command, today, result, message.correlation_id,
                                message.traceparent):
            if on_closed is not None:
                on_closed(result.closed[-1])
    return result


async def _close_next(ctx: ServicingContext, command: CloseBusinessDays, today: date,
                      result: CloseResult, correlation_id: str, traceparent: str) -> bool:
    """Closes the next missing day, if any; False when the calendar has reached ``up_to``."""
    begun = await retry_transient(lambda: _begin_next(ctx, command.up_to),
                                  what="day close: begin")
    if isinstance(begun, _NothingToClose):
        result.business_date = begun.business_date
        return False
    day, next_day, previous = begun
    started = time.perf_counter()
    counts = await _close_slices(ctx, day, previous, correlation_id, traceparent)
    await retry_transient(
        lambda: _record_closed(ctx, day, next_day, counts, by=command.by,
                               ahead_of_wall_clock=day > today),
        what=f"day close of {day}: record")
    seconds = time.perf_counter() - started
    log.info("closed business day %s in %.2fs: %s", day, seconds, counts.as_dict())
    result.closed.append(ClosedDay(day, next_day, counts, seconds))
    result.business_date = next_day
    return True


@dataclass(frozen=True)
class _NothingToClose:
    business_date: date | None


async def _begin_next(ctx: ServicingContext,
                      up_to: date) -> tuple[date, date, date | None] | _NothingToClose:
    """Under the calendar lock: the next day to close, recorded as begun (day, the day
    after it, the last closed day)."""
    policy = ctx.policy
    async with ctx.sessions() as session, session.begin():
        await lock_calendar(session)
        calendar = await calendars.load_calendar(session, policy.calendar_id,
                                                 policy.weekend_days)
        last = await calendars.last_closed(session, policy.calendar_id)
        days = _days(calendar, last[0] if last else None, up_to)
        if not days:
            return _NothingToClose(last[1] if last else None)
        day = days[0]
        await calendars.record_close_begun(session, policy.calendar_id, day)
        return day, calendar.next_business_day(day), last[0] if last else None


async def _record_closed(ctx: ServicingContext, day: date, next_day: date,
                         counts: DayCloseCounts, *, by: str, ahead_of_wall_clock: bool) -> None:
    policy = ctx.policy
    async with ctx.sessions() as session, session.begin():
        await lock_calendar(session)
        last = await calendars.last_closed(session, policy.calendar_id)
        if last is None or last[0] < day:  # else another closer recorded it first
            await calendars.record_closed(session, policy.calendar_id, day, next_day,
                                          counts.as_dict(), closed_by=by,
                                          ahead_of_wall_clock=ahead_of_wall_clock)
            await emit_in(session, BusinessDayClosed(
                calendar_id=policy.calendar_id, business_date=day,
                next_business_date=next_day, closed_by=by), SOURCE)


async def _close_slices(ctx: ServicingContext, day: date, previous: date | None,
                        correlation_id: str, traceparent: str) -> DayCloseCounts:
    run, now = uuid.uuid4().hex, ctx.clock()
    async with ctx.sessions() as session:
        book = await installments_estimate(session)
    pending = slice_groups(book, ctx.policy.close_transaction_rows)
    done: list[DayCloseCounts] = []

    async def close_group(parts: list[int]) -> DayCloseCounts:
        async with ctx.sessions() as session, session.begin():
            await lock_slices_for_close(session, parts)
            return await close_slices(
                session, day, parts, run=run, previous=previous, source=SOURCE, now=now,
                correlation_id=correlation_id, traceparent=traceparent,
                calendar_id=ctx.policy.calendar_id)

    async def worker() -> None:
        while pending:
            parts = pending.pop(0)
            # a victim rolled back whole: the group's work is all still to do
            done.append(await retry_transient(
                partial(close_group, parts), what=f"day close of {day}: slices {parts}"))

    await asyncio.gather(*(worker() for _ in range(ctx.policy.close_parallelism)))
    return sum(done, DayCloseCounts())


def slice_groups(installments: int, rows_per_transaction: int) -> list[list[int]]:
    """The slices in contiguous groups, one transaction each, about ``rows_per_transaction``
    installments a group: a small book closes in one transaction, a large one in up to
    one per slice."""
    groups = min(PARTITIONS, max(1, -(-installments // max(rows_per_transaction, 1))))
    return [list(range(PARTITIONS))[n::groups] for n in range(groups)]


def _days(calendar: BusinessCalendar, last: date | None, up_to: date) -> list[date]:
    try:
        return calendar.days_to_close(last, up_to)
    except ValueError as exc:
        raise CalendarError(str(exc)) from exc
