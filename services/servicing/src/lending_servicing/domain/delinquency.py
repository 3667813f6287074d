"""Days past due, delinquency buckets and arrears tolerance: the rules, in plain Python.

The day close applies the same rules set-based in SQL (adapters/day_close_sql.py); the
property test checks the two agree with a brute-force replay of the payments.

* An installment's **effective due date** is its due date moved to the next business day
  when it falls on a holiday: nobody is late for not paying on a holiday.
* It is **missed** as of a closed business day D when D is later than the effective due
  date plus the contract's grace (``grace.tolerance_days``) and its unpaid part is more than
  the arrears tolerance: ``max(tolerance amount, floor(installment total x tolerance
  rate))``. Payments settle installments oldest first.
* A loan's **days past due** as of D is D minus the effective due date of its oldest missed
  installment, or 0. Grace delays the miss, not the count: with 3 grace days a loan is
  current for three days, then 4 days past due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from itertools import pairwise

from loanmath import unpaid_of


class Bucket(StrEnum):
    """The codes the DelinquencyChanged event may carry (a closed vocabulary)."""

    CURRENT = "current"
    DPD_1_30 = "dpd_1_30"
    DPD_31_60 = "dpd_31_60"
    DPD_61_90 = "dpd_61_90"
    DPD_91_180 = "dpd_91_180"
    DPD_181_PLUS = "dpd_181_plus"


@dataclass(frozen=True, slots=True)
class BucketRange:
    code: Bucket
    min_dpd: int
    max_dpd: int | None  # None: no upper bound


DEFAULT_BUCKETS: tuple[BucketRange, ...] = (
    BucketRange(Bucket.CURRENT, 0, 0),
    BucketRange(Bucket.DPD_1_30, 1, 30),
    BucketRange(Bucket.DPD_31_60, 31, 60),
    BucketRange(Bucket.DPD_61_90, 61, 90),
    BucketRange(Bucket.DPD_91_180, 91, 180),
    BucketRange(Bucket.DPD_181_PLUS, 181, None),
)


def check_buckets(buckets: Sequence[BucketRange]) -> None:
    """Buckets must tile 0..infinity without gaps or overlaps, starting with current at 0."""
    ordered = sorted(buckets, key=lambda b: b.min_dpd)
    if not ordered or ordered[0].min_dpd != 0 or ordered[0].max_dpd != 0:
        raise ValueError("the first bucket must be exactly 0 days past due")
    for left, right in pairwise(ordered):
        if left.max_dpd is None or right.min_dpd != left.max_dpd + 1:
            raise ValueError(f"buckets {left.code} and {right.code} leave a gap or overlap")
    if ordered[-1].max_dpd is not None:
        raise ValueError("the last bucket must be open-ended")


def bucket_for(days_past_due: int, buckets: Sequence[BucketRange] = DEFAULT_BUCKETS) -> Bucket:
    for bucket in buckets:
        if bucket.min_dpd <= days_past_due and (
            bucket.max_dpd is None or days_past_due <= bucket.max_dpd
        ):
            return bucket.code
    raise ValueError(f"no bucket for {days_past_due} days past due")


def tolerance_minor(installment_total: int, amount: int | None, rate: Decimal | None) -> int:
    """The unpaid amount (minor units) an installment may keep without being missed."""
    by_rate = 0
    if rate is not None:
        by_rate = int((Decimal(installment_total) * rate).to_integral_value(ROUND_FLOOR))
    return max(amount or 0, by_rate)


def unpaid_minor(total: int, cumulative_due: int, paid_to_schedule: int) -> int:
    """What is left of an installment when payments settle installments oldest first (the
    one rule the ledger's next due follows too: ``loanmath.unpaid_of``)."""
    return unpaid_of(total, cumulative_due, paid_to_schedule)
