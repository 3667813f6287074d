"""The business calendar's rows: closes begun, closed days and holidays."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_servicing.adapters.orm import business_days, day_closes, holidays
from lending_servicing.domain.calendar import BusinessCalendar


async def load_calendar(session: AsyncSession, calendar_id: str,
                        weekend: tuple[int, ...]) -> BusinessCalendar:
    rows = await session.execute(
        select(holidays.c.holiday).where(holidays.c.calendar_id == calendar_id))
    return BusinessCalendar.of(calendar_id, rows.scalars(), weekend)


async def last_closed(session: AsyncSession, calendar_id: str) -> tuple[date, date] | None:
    """(last closed business date, the business date after it), or None before any close."""
    row = (await session.execute(
        select(business_days.c.business_date, business_days.c.next_business_date)
        .where(business_days.c.calendar_id == calendar_id)
        .order_by(business_days.c.business_date.desc()).limit(1))).first()
    return (row[0], row[1]) if row else None


async def last_closed_at(session: AsyncSession, calendar_id: str) -> datetime | None:
    """Wall-clock time the last business day was closed."""
    return await session.scalar(select(func.max(business_days.c.closed_at)).where(
        business_days.c.calendar_id == calendar_id))


async def last_close_seconds(session: AsyncSession, calendar_id: str) -> float | None:
    """How long the last closed business day took, from its begin to its record."""
    row = (await session.execute(
        select(business_days.c.closed_at, day_closes.c.started_at)
        .join(day_closes, (day_closes.c.calendar_id == business_days.c.calendar_id)
              & (day_closes.c.business_date == business_days.c.business_date))
        .where(business_days.c.calendar_id == calendar_id)
        .order_by(business_days.c.business_date.desc()).limit(1))).first()
    return None if row is None else max(0.0, (row[0] - row[1]).total_seconds())


async def closed_count(session: AsyncSession, calendar_id: str) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(business_days)
        .where(business_days.c.calendar_id == calendar_id)) or 0)


async def record_close_begun(session: AsyncSession, calendar_id: str, day: date) -> None:
    await session.execute(insert(day_closes).values(
        calendar_id=calendar_id, business_date=day).on_conflict_do_nothing())


async def close_begun(session: AsyncSession, calendar_id: str, day: date) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(day_closes).where(
        day_closes.c.calendar_id == calendar_id, day_closes.c.business_date == day)))


async def record_closed(session: AsyncSession, calendar_id: str, day: date, next_day: date,
                        counts: dict[str, int], *, closed_by: str,
                        ahead_of_wall_clock: bool) -> None:
    await session.execute(insert(business_days).values(
        calendar_id=calendar_id, business_date=day, next_business_date=next_day,
        closed_by=closed_by, ahead_of_wall_clock=ahead_of_wall_clock, **counts))


async def add_holiday(session: AsyncSession, calendar_id: str, day: date, name: str,
                      declared_by: str) -> bool:
    result = await session.execute(insert(holidays).values(
        calendar_id=calendar_id, holiday=day, name=name, declared_by=declared_by
    ).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def list_holidays(session: AsyncSession, calendar_id: str,
                        since: date | None = None) -> list[tuple[date, str]]:
    query = select(holidays.c.holiday, holidays.c.name).where(
        holidays.c.calendar_id == calendar_id).order_by(holidays.c.holiday)
    if since is not None:
        query = query.where(holidays.c.holiday >= since)
    return [(r[0], r[1]) for r in await session.execute(query)]
