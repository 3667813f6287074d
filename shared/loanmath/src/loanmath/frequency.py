"""Repayment frequencies and the due-date series they generate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from loanmath.dates import add_months, days_in_month, is_month_end
from loanmath.errors import InvalidLoanTermsError


class FrequencyUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    SEMIMONTH = "semimonth"
    MONTH = "month"


_NAMED = {
    "daily": ("day", 1),
    "weekly": ("week", 1),
    "biweekly": ("week", 2),
    "fortnightly": ("week", 2),
    "semi-monthly": ("semimonth", 1),
    "semimonthly": ("semimonth", 1),
    "monthly": ("month", 1),
    "bimonthly": ("month", 2),
    "quarterly": ("month", 3),
    "semi-annually": ("month", 6),
    "annually": ("month", 12),
    "yearly": ("month", 12),
}
_EVERY = re.compile(r"^every[- ]?(\d+)[- ]?(day|week|month)s?$")
_SHORT = re.compile(r"^(\d+)([dwm])$")
_SHORT_UNITS = {"d": "day", "w": "week", "m": "month"}


@dataclass(frozen=True, slots=True)
class Frequency:
    unit: FrequencyUnit
    every: int = 1

    def __post_init__(self) -> None:
        limit = {"day": 366, "week": 52, "semimonth": 1, "month": 12}[self.unit.value]
        if not 1 <= self.every <= limit:
            raise InvalidLoanTermsError("frequency", f"every {self.every} {self.unit}s")

    @classmethod
    def parse(cls, text: str, field: str = "frequency") -> Frequency:
        """Accepts daily, weekly, biweekly, semi-monthly, monthly, quarterly, …,
        and 'every-N-days|weeks|months' (also 'every 10 days', '10d', '2w', '3m')."""
        key = text.strip().lower().replace("_", "-")
        if key in _NAMED:
            unit, every = _NAMED[key]
            return cls(FrequencyUnit(unit), every)
        match = _EVERY.match(key) or _SHORT.match(key)
        if match:
            unit = _SHORT_UNITS.get(match.group(2), match.group(2))
            try:
                return cls(FrequencyUnit(unit), int(match.group(1)))
            except InvalidLoanTermsError as exc:
                raise InvalidLoanTermsError(field, exc.message) from None
        raise InvalidLoanTermsError(
            field,
            f"unknown frequency {text!r}; expected daily, weekly, biweekly, semi-monthly, "
            "monthly, quarterly or every-N-days|weeks|months",
        )

    @property
    def label(self) -> str:
        for name, (unit, every) in _NAMED.items():
            if unit == self.unit.value and every == self.every:
                return name
        return f"every-{self.every}-{self.unit.value}s"

    @property
    def periods_per_year(self) -> Decimal:
        """365 days, 52 weeks, 24 semimonths or 12 months in a year, divided by `every`."""
        per_unit = {"day": 365, "week": 52, "semimonth": 24, "month": 12}[self.unit.value]
        return Decimal(per_unit) / Decimal(self.every)

    @property
    def nominal_days(self) -> int:
        """Length of one period in Reg Z App. J days (a month counts 30, a semimonth 15)."""
        per_unit = {"day": 1, "week": 7, "semimonth": 15, "month": 30}[self.unit.value]
        return per_unit * self.every

    def step(self, anchor: date, k: int) -> date:
        """The k-th date of the series anchored at `anchor` (k may be negative)."""
        if self.unit is FrequencyUnit.DAY:
            return anchor + timedelta(days=k * self.every)
        if self.unit is FrequencyUnit.WEEK:
            return anchor + timedelta(weeks=k * self.every)
        if self.unit is FrequencyUnit.MONTH:
            return add_months(anchor, k * self.every)
        return _semimonth_step(anchor, k)

    def count_back(self, start: date, end: date) -> tuple[int, date]:
        """Whole periods counted back from `end` without passing `start`, and where they stop."""
        whole = 0
        while self.step(end, -(whole + 1)) >= start:
            whole += 1
        return whole, self.step(end, -whole)


def _semimonth_step(anchor: date, k: int) -> date:
    """Two dates a month: (d, d+15), or (15, month end) for anchors on the 15th or month end."""
    if is_month_end(anchor) and anchor.day >= 28:
        first_day, month_end, index = 15, True, 1
    elif anchor.day <= 15:
        first_day, month_end, index = anchor.day, anchor.day == 15, 0
    else:
        first_day, month_end, index = anchor.day - 15, False, 1
    months, half = divmod(index + k, 2)
    base = add_months(anchor.replace(day=1), months)
    if half == 0:
        return base.replace(day=min(first_day, days_in_month(base.year, base.month)))
    last = days_in_month(base.year, base.month)
    return base.replace(day=last if month_end else min(first_day + 15, last))
