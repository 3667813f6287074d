"""The business calendar: which days are business days, and which days a close must cover.

The platform has one business date, owned by servicing. Closing "up to D" closes every
business day after the last closed one, in order, up to and including D (or the last
business day before D when D is a holiday). Non-business days are never closed: the next
close covers them (the ledger accrues over ``accrued_from..accrued_to``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from lending_servicing.domain.errors import InvalidCloseError

ONE_DAY = timedelta(days=1)
MAX_CLOSE_SPAN_DAYS = 3660  # one request never closes more than ten years
# The calendar needs room after the last day it closes (the next business day, a holiday's
# effective due date), so the end of ``date`` is never a day to close.
LAST_CLOSABLE_DAY = date.max - timedelta(days=MAX_CLOSE_SPAN_DAYS + 1)


def check_close_date(up_to: date, today: date, *, allow_future_date: bool) -> None:
    """A close runs up to today's date at the latest (the lender's time zone): closing a day
    books its penalties, reminders and write-off recommendations, and cannot be undone.
    Later days need an admin's explicit, recorded override (a simulation, a test)."""
    if up_to > LAST_CLOSABLE_DAY:
        raise InvalidCloseError("as_of", f"{up_to} is beyond the business calendar "
                                f"(the last day that can be closed is {LAST_CLOSABLE_DAY})")
    if up_to > today and not allow_future_date:
        raise InvalidCloseError(
            "as_of", f"{up_to} is later than today's date ({today}); only an admin may close "
            "days ahead of the wall clock, with allow_future_date")


@dataclass(frozen=True)
class BusinessCalendar:
    calendar_id: str
    holidays: frozenset[date] = frozenset()
    weekend: frozenset[int] = field(default_factory=frozenset)  # Monday=0 … Sunday=6

    @classmethod
    def of(cls, calendar_id: str, holidays: Iterable[date] = (),
           weekend: Iterable[int] = ()) -> BusinessCalendar:
        return cls(calendar_id, frozenset(holidays), frozenset(weekend))

    def is_business_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after ``day``."""
        return self.on_or_after(day + ONE_DAY)

    def on_or_after(self, day: date) -> date:
        """``day`` itself when it is a business day, else the following business day: a due
        date on a holiday can be paid on the next business day without being late."""
        for _ in range(MAX_CLOSE_SPAN_DAYS):
            if self.is_business_day(day):
                return day
            day += ONE_DAY
        raise ValueError("no business day within ten years")

    def days_to_close(self, last_closed: date | None, up_to: date) -> list[date]:
        """The business days a close up to ``up_to`` must close, oldest first.

        With nothing closed yet the calendar starts at ``up_to`` (or the last business day
        before it): the first close does not invent a history.
        """
        if last_closed is None:
            day = up_to
            for _ in range(MAX_CLOSE_SPAN_DAYS):
                if self.is_business_day(day):
                    return [day]
                day -= ONE_DAY
            return []
        if (up_to - last_closed).days > MAX_CLOSE_SPAN_DAYS:
            raise ValueError(f"closing more than {MAX_CLOSE_SPAN_DAYS} days at once")
        days: list[date] = []
        day = last_closed + ONE_DAY
        while day <= up_to:
            if self.is_business_day(day):
                days.append(day)
            day += ONE_DAY
        return days
