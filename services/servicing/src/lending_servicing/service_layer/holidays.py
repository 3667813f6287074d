"""Holidays: declared ahead of time; installments falling due on one move to the next
business day (effective due date), so nobody is late for a day they could not pay."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from lending_messaging.transient import retry_transient
from lending_servicing.adapters import calendar_repository as calendars
from lending_servicing.domain.calendar import LAST_CLOSABLE_DAY
from lending_servicing.domain.errors import CalendarError, InvalidCloseError
from lending_servicing.service_layer.context import ServicingContext
from lending_servicing.service_layer.locks import lock_calendar, lock_slices_for_close

# One pass over the open installments due on the affected dates (holidays are rare; the
# close's indexes stay untouched by this statement's plan).
_READJUST = text("""
UPDATE installments AS i
   SET effective_due = m.effective, overdue_from = m.effective + l.grace_days + 1
  FROM unnest(CAST(:dues AS date[]), CAST(:effective AS date[])) AS m(due, effective),
       loans AS l
 WHERE i.due_date = m.due AND l.loan_id = i.loan_id AND i.state = 'open'
   AND i.effective_due <> m.effective
""")


async def declare_holiday(ctx: ServicingContext, day: date, name: str, by: str) -> int:
    """Adds ``day`` to the calendar, declared by ``by``; returns how many installments
    moved. Only days after the last closed business date can become holidays."""
    if day > LAST_CLOSABLE_DAY:
        raise InvalidCloseError("path.day", f"{day} is beyond the business calendar")
    return await retry_transient(lambda: _declare_holiday(ctx, day, name, by),
                                 what=f"holiday {day}")


async def _declare_holiday(ctx: ServicingContext, day: date, name: str, by: str) -> int:
    policy = ctx.policy
    async with ctx.sessions() as session, session.begin():
        await lock_calendar(session)
        last = await calendars.last_closed(session, policy.calendar_id)
        if last is not None and day <= last[0]:
            raise CalendarError(f"{day} is already closed (last closed: {last[0]})")
        if await calendars.close_begun(session, policy.calendar_id, day):
            raise CalendarError(f"the close of {day} has begun: it stays a business day")
        await lock_slices_for_close(session)  # installments of every slice may move
        if not await calendars.add_holiday(session, policy.calendar_id, day, name, by):
            return 0
        calendar = await calendars.load_calendar(session, policy.calendar_id,
                                                 policy.weekend_days)
        dues = [day]  # the holiday and the non-business days right before it
        while not calendar.is_business_day(dues[-1] - timedelta(days=1)) and len(dues) < 60:
            dues.append(dues[-1] - timedelta(days=1))
        moved = await session.execute(_READJUST, {
            "dues": dues, "effective": [calendar.on_or_after(d) for d in dues]})
        return int(moved.rowcount)  # type: ignore[attr-defined]


async def calendar_state(ctx: ServicingContext) -> tuple[date | None, list[date]]:
    """The last closed day and the holidays from then on."""
    async with ctx.sessions() as session:
        last = await calendars.last_closed(session, ctx.policy.calendar_id)
        days = await calendars.list_holidays(session, ctx.policy.calendar_id,
                                             since=last[0] if last else None)
    return (last[0] if last else None), [d for d, _ in days]
