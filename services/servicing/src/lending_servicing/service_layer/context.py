"""What the servicing verbs need, wired once by bootstrap.py (tests pass their own clock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

SOURCE = "/lending/servicing"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ServicingPolicy:
    """The settings the handlers read, as plain values."""

    calendar_id: str = "main"
    time_zone: str = "UTC"  # the lender's: where "today" is for the day close
    initial_business_date: date | None = None
    weekend_days: tuple[int, ...] = ()
    reminder_days: dict[str, int] = field(default_factory=dict)
    default_tolerance_amount: Decimal | None = None
    default_tolerance_rate: Decimal | None = None
    payoff_quote_valid_days: int = 7
    payoff_quote_max_days_ahead: int = 90
    payoff_quote_key: bytes = field(default=b"", repr=False)
    close_parallelism: int = 2  # transactions of the day close in flight at once
    close_transaction_rows: int = 1_000_000  # installments, about, per close transaction


@dataclass
class ServicingContext:
    sessions: async_sessionmaker[AsyncSession]
    policy: ServicingPolicy = field(default_factory=ServicingPolicy)
    clock: Clock = utc_now

    def today(self) -> date:
        """Today's date on the wall clock, in the lender's time zone."""
        return self.clock().astimezone(ZoneInfo(self.policy.time_zone)).date()
