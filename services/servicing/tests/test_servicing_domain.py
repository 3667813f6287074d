"""The pure rules: calendar, buckets, tolerance, installment standing, HTML (payoff:
test_servicing_payoff.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending_servicing.domain.calendar import BusinessCalendar
from lending_servicing.domain.delinquency import (
    DEFAULT_BUCKETS,
    Bucket,
    BucketRange,
    bucket_for,
    check_buckets,
    tolerance_minor,
)
from lending_servicing.domain.schedule import (
    ArrearsRule,
    InstallmentStatus,
    ScheduledInstallment,
    days_past_due,
    standing,
    track,
)
from lending_servicing.entrypoints.schemas import StatementLinePublic, StatementPublic
from lending_servicing.entrypoints.statement_html import render_statement

SCHEDULE = [ScheduledInstallment(1, date(2025, 2, 15), 30_000, 1_000, 0),
            ScheduledInstallment(2, date(2025, 3, 15), 30_000, 1_000, 0),
            ScheduledInstallment(3, date(2025, 4, 15), 30_000, 1_000, 0)]


@pytest.mark.parametrize(("dpd", "bucket"), [
    (0, Bucket.CURRENT), (1, Bucket.DPD_1_30), (30, Bucket.DPD_1_30), (31, Bucket.DPD_31_60),
    (60, Bucket.DPD_31_60), (61, Bucket.DPD_61_90), (91, Bucket.DPD_91_180),
    (180, Bucket.DPD_91_180), (181, Bucket.DPD_181_PLUS), (4000, Bucket.DPD_181_PLUS)])
def test_days_past_due_fall_into_the_default_buckets(dpd: int, bucket: Bucket) -> None:
    assert bucket_for(dpd) is bucket


def test_buckets_must_tile_the_days_without_gaps() -> None:
    check_buckets(DEFAULT_BUCKETS)
    with pytest.raises(ValueError, match="gap"):
        check_buckets([BucketRange(Bucket.CURRENT, 0, 0), BucketRange(Bucket.DPD_1_30, 2, None)])


def test_tolerance_is_the_larger_of_the_amount_and_the_rate() -> None:
    assert tolerance_minor(31_000, 500, Decimal("0.02")) == 620
    assert tolerance_minor(31_000, 700, Decimal("0.02")) == 700
    assert tolerance_minor(31_000, None, None) == 0
    assert tolerance_minor(999, None, Decimal("0.01")) == 9  # floor: never tolerate more


def test_a_first_close_starts_the_calendar_and_later_ones_skip_holidays_and_weekends() -> None:
    cal = BusinessCalendar.of("main", [date(2025, 1, 1)], weekend=[5, 6])
    assert cal.days_to_close(None, date(2025, 1, 5)) == [date(2025, 1, 3)]  # Sunday -> Friday
    assert cal.days_to_close(date(2024, 12, 31), date(2025, 1, 6)) == [
        date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 6)]
    assert cal.next_business_day(date(2025, 1, 3)) == date(2025, 1, 6)
    assert cal.on_or_after(date(2025, 1, 1)) == date(2025, 1, 2)


def test_installments_settle_oldest_first_and_miss_after_grace() -> None:
    rows = track(SCHEDULE, BusinessCalendar.of("main"), ArrearsRule(grace_days=2))
    assert [r.cumulative_due for r in rows] == [31_000, 62_000, 93_000]
    assert rows[0].overdue_from == date(2025, 2, 18)
    early = standing(rows, 40_000, date(2025, 2, 17))
    assert [s.status for s in early] == [InstallmentStatus.PAID,
                                         InstallmentStatus.PARTIALLY_PAID,
                                         InstallmentStatus.UPCOMING]
    late = standing(rows, 0, date(2025, 3, 20))
    assert [s.status for s in late][:2] == [InstallmentStatus.MISSED] * 2
    assert days_past_due(late, date(2025, 3, 20)) == 33
    assert days_past_due(standing(rows, 0, date(2025, 2, 17)), date(2025, 2, 17)) == 0


def test_the_printable_statement_escapes_everything_it_shows() -> None:
    page = render_statement(StatementPublic(
        loan_id="<script>alert(1)</script>", currency="EUR", period_from=date(2025, 1, 1),
        period_to=date(2025, 1, 31), opening_principal_balance="1.00",
        closing_principal_balance="1.00", paid_in_period="0.00", days_past_due=0,
        bucket="current", overdue_amount="0.00",
        lines=[StatementLinePublic(date=date(2025, 1, 2), kind="payment",
                                   reference="<img src=x onerror=1>", amount="1.00",
                                   principal="1.00", interest="0.00", fees="0.00",
                                   penalties="0.00", principal_balance_after="0.00")],
        installments_due=[]))
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
