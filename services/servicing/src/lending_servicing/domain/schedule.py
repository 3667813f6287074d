"""A loan's schedule as servicing keeps it: minor units, effective due dates, the dates the
day close cares about, and each installment's standing as of a business date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from lending_servicing.domain.calendar import BusinessCalendar
from lending_servicing.domain.delinquency import tolerance_minor, unpaid_minor


@dataclass(frozen=True, slots=True)
class ScheduledInstallment:
    """One row of the contract schedule, in minor units."""

    number: int
    due_date: date
    principal: int
    interest: int
    fees: int

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.fees


@dataclass(frozen=True, slots=True)
class TrackedInstallment:
    """A schedule row with what the day close needs precomputed, so the close is a range
    scan over indexed dates instead of arithmetic over every row."""

    number: int
    due_date: date
    effective_due: date  # the due date, moved off holidays
    overdue_from: date  # first business date on which it counts as missed, if unpaid
    remind_from: date | None  # first date of the reminder window (None: no reminder)
    principal: int
    interest: int
    fees: int
    total: int
    cumulative_due: int  # this and every earlier installment
    tolerance: int  # unpaid amount that does not make it missed


@dataclass(frozen=True, slots=True)
class ArrearsRule:
    grace_days: int = 0
    tolerance_amount: int | None = None
    tolerance_rate: Decimal | None = None
    reminder_days: int = 0  # 0: no InstallmentDueSoon


def track(schedule: Sequence[ScheduledInstallment], calendar: BusinessCalendar,
          rule: ArrearsRule) -> list[TrackedInstallment]:
    rows: list[TrackedInstallment] = []
    cumulative = 0
    for item in schedule:
        cumulative += item.total
        rows.append(tracked_row(item, cumulative, calendar, rule))
    return rows


def tracked_row(item: ScheduledInstallment, cumulative: int, calendar: BusinessCalendar,
                rule: ArrearsRule) -> TrackedInstallment:
    effective = calendar.on_or_after(item.due_date)
    remind = item.due_date - timedelta(days=rule.reminder_days) if rule.reminder_days else None
    return TrackedInstallment(
        number=item.number, due_date=item.due_date, effective_due=effective,
        overdue_from=effective + timedelta(days=rule.grace_days + 1), remind_from=remind,
        principal=item.principal, interest=item.interest, fees=item.fees, total=item.total,
        cumulative_due=cumulative,
        tolerance=tolerance_minor(item.total, rule.tolerance_amount, rule.tolerance_rate),
    )


class InstallmentStatus(StrEnum):
    PAID = "paid"
    UPCOMING = "upcoming"  # not yet due, nothing paid
    PARTIALLY_PAID = "partially_paid"  # not yet due, some paid
    IN_GRACE = "in_grace"  # past its due date, unpaid, not missed yet (grace or tolerance)
    MISSED = "missed"
    CLOSED = "closed"  # the loan closed before it was paid as scheduled (paid off early)


@dataclass(frozen=True, slots=True)
class InstallmentStanding:
    row: TrackedInstallment
    paid: int
    unpaid: int
    status: InstallmentStatus


def standing(rows: Sequence[TrackedInstallment], paid_to_schedule: int,
             as_of: date, *, closed: bool = False) -> list[InstallmentStanding]:
    """Each installment as of the closed business date ``as_of``. Of a ``closed`` loan
    nothing is owed: what a payoff took off the schedule (interest a later installment
    would have earned) is not unpaid."""
    result = []
    for row in rows:
        unpaid = unpaid_minor(row.total, row.cumulative_due, paid_to_schedule)
        if unpaid == 0:
            status = InstallmentStatus.PAID
        elif closed:
            result.append(InstallmentStanding(row, row.total - unpaid, 0,
                                              InstallmentStatus.CLOSED))
            continue
        elif as_of >= row.overdue_from and unpaid > row.tolerance:
            status = InstallmentStatus.MISSED
        elif as_of > row.due_date:
            status = InstallmentStatus.IN_GRACE
        elif unpaid < row.total:
            status = InstallmentStatus.PARTIALLY_PAID
        else:
            status = InstallmentStatus.UPCOMING
        result.append(InstallmentStanding(row, row.total - unpaid, unpaid, status))
    return result


def delinquent_since(standings: Sequence[InstallmentStanding]) -> date | None:
    """The effective due date of the oldest missed installment (None: the loan is current)."""
    missed = [s.row.effective_due for s in standings if s.status is InstallmentStatus.MISSED]
    return min(missed) if missed else None


def days_past_due_from(since: date | None, as_of: date) -> int:
    return 0 if since is None else (as_of - since).days


def days_past_due(standings: Sequence[InstallmentStanding], as_of: date) -> int:
    return days_past_due_from(delinquent_since(standings), as_of)
