"""The portfolio report as it was on a date: PAR1/PAR30/PAR90 by balance, roll rates between
buckets and the cure rate over a period, recoveries and write-offs, in total, by product and
by partner.

It reads history collections keeps for it, never the live projection: every day close
snapshots each open loan (``loan_days``: bucket, DPD, balance), and recoveries
(RecoveryApplied) and write-offs (LoanWrittenOff) are kept as dated flows. A past ``as_of``
therefore gives the figures as they were at that day's close.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters.orm import loan_days, portfolio_flows
from lending_collections.domain.buckets import CURRENT
from lending_events import from_minor_units

BUCKETS = (CURRENT, "dpd_1_30", "dpd_31_60", "dpd_61_90", "dpd_91_180", "dpd_181_plus")
CLOSED, WRITTEN_OFF = "closed", "written_off"  # where a loan gone from the book went
DIMENSIONS = ("total", "product", "partner")


async def record_flow(session: AsyncSession, flow_id: str, kind: str, loan_id: str,
                      on: date, currency: str, amount: int) -> None:
    """Once per source (payment id, write-off id): redelivery adds nothing."""
    await session.execute(pg_insert(portfolio_flows).values(
        flow_id=flow_id, kind=kind, loan_id=loan_id, on_date=on, currency=currency,
        amount=amount).on_conflict_do_nothing())


async def snapshot_day(session: AsyncSession, business_date: date) -> int:
    """Every open loan's bucket, DPD and balance at this close; a repeated close keeps the
    first snapshot (history is not rewritten)."""
    result = await session.execute(text(
        "INSERT INTO loan_days (business_date, loan_id, partner_id, product_code, currency,"
        " bucket, days_past_due, outstanding_principal)"
        " SELECT :d, loan_id, partner_id, product_code, currency, bucket, days_past_due,"
        " outstanding_principal FROM loans"
        " WHERE status IN ('booked', 'active') AND outstanding_principal > 0"
        " ON CONFLICT (business_date, loan_id) DO NOTHING"), {"d": business_date})
    return int(getattr(result, "rowcount", 0) or 0)


def _ratio(part: int, whole: int) -> str:
    if not whole:
        return "0.0000"
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_EVEN))


@dataclass
class Segment:
    dimension: str
    key: str
    currency: str
    loans: int = 0
    outstanding: int = 0
    par1: int = 0
    par30: int = 0
    par90: int = 0
    buckets: dict[str, int] = field(default_factory=dict)
    recoveries: int = 0
    write_offs: int = 0
    # (from bucket, to bucket or closed/written_off) -> loans, over the period
    moves: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def public(self) -> dict[str, Any]:
        def money(minor: int) -> str:
            return format(from_minor_units(minor, self.currency), "f")

        started: dict[str, int] = defaultdict(int)
        for (b0, _), n in self.moves.items():
            started[b0] += n
        rolls = {b0: {b1: _ratio(n, started[b0]) for (f0, b1), n in sorted(self.moves.items())
                      if f0 == b0} for b0 in BUCKETS if started[b0]}
        delinquent = sum(n for b0, n in started.items() if b0 != CURRENT)
        cured = sum(n for (b0, b1), n in self.moves.items()
                    if b0 != CURRENT and b1 == CURRENT)
        return {
            "dimension": self.dimension, "key": self.key, "currency": self.currency,
            "loans": self.loans, "outstanding": money(self.outstanding),
            "par1": money(self.par1), "par30": money(self.par30), "par90": money(self.par90),
            "par1_ratio": _ratio(self.par1, self.outstanding),
            "par30_ratio": _ratio(self.par30, self.outstanding),
            "par90_ratio": _ratio(self.par90, self.outstanding),
            "buckets": {b: money(self.buckets.get(b, 0)) for b in BUCKETS},
            "recoveries": money(self.recoveries), "write_offs": money(self.write_offs),
            "roll_rates": rolls, "delinquent_at_start": delinquent, "cured": cured,
            "cure_rate": _ratio(cured, delinquent),
        }


async def _snapshot_on_or_before(session: AsyncSession, day: date) -> date | None:
    return await session.scalar(select(func.max(loan_days.c.business_date))
                                .where(loan_days.c.business_date <= day))


async def portfolio(session: AsyncSession, as_of: date, period_days: int = 30
                    ) -> dict[str, Any]:
    """The report at the close of ``as_of`` (or the last close before it); roll rates, cure
    rate, recoveries and write-offs over the ``period_days`` before it."""
    snap = await _snapshot_on_or_before(session, as_of)
    start = await _snapshot_on_or_before(session, (snap or as_of) - timedelta(days=period_days))
    segments: dict[tuple[str, str, str], Segment] = {}

    def each(product: str, partner: str, currency: str) -> list[Segment]:
        keys = (("total", "all"), ("product", product), ("partner", partner))
        return [segments.setdefault((d, k, currency), Segment(d, k, currency))
                for d, k in keys]

    if snap is not None:
        rows = await session.execute(text(
            "SELECT product_code, partner_id, currency, bucket, count(*) AS n,"
            " sum(outstanding_principal) AS balance,"
            " sum(outstanding_principal) FILTER (WHERE days_past_due >= 1) AS par1,"
            " sum(outstanding_principal) FILTER (WHERE days_past_due > 30) AS par30,"
            " sum(outstanding_principal) FILTER (WHERE days_past_due > 90) AS par90"
            " FROM loan_days WHERE business_date = :d"
            " GROUP BY product_code, partner_id, currency, bucket"), {"d": snap})
        for r in rows:
            for s in each(r.product_code, r.partner_id, r.currency):
                s.loans += r.n
                s.outstanding += int(r.balance or 0)
                s.par1 += int(r.par1 or 0)
                s.par30 += int(r.par30 or 0)
                s.par90 += int(r.par90 or 0)
                s.buckets[r.bucket] = s.buckets.get(r.bucket, 0) + int(r.balance or 0)
    if snap is not None and start is not None and start < snap:
        moves = await session.execute(text(
            "SELECT a.product_code, a.partner_id, a.currency, a.bucket AS b0,"
            " COALESCE(b.bucket, CASE WHEN w.loan_id IS NOT NULL THEN 'written_off'"
            " ELSE 'closed' END) AS b1, count(*) AS n"
            " FROM loan_days a"
            " LEFT JOIN loan_days b ON b.loan_id = a.loan_id AND b.business_date = :snap"
            " LEFT JOIN (SELECT DISTINCT loan_id FROM portfolio_flows WHERE kind = 'write_off'"
            "            AND on_date <= :snap) w ON w.loan_id = a.loan_id"
            " WHERE a.business_date = :start"
            " GROUP BY 1, 2, 3, 4, 5"), {"snap": snap, "start": start})
        for r in moves:
            for s in each(r.product_code, r.partner_id, r.currency):
                s.moves[(r.b0, r.b1)] += r.n
    since = start or (as_of - timedelta(days=period_days))
    flows = await session.execute(text(
        "SELECT f.kind, f.currency, COALESCE(l.product_code, 'unknown') AS product_code,"
        " COALESCE(l.partner_id, 'unknown') AS partner_id, sum(f.amount) AS amount"
        " FROM portfolio_flows f LEFT JOIN loans l ON l.loan_id = f.loan_id"
        " WHERE f.on_date > :since AND f.on_date <= :until GROUP BY 1, 2, 3, 4"),
        {"since": since, "until": snap or as_of})
    for r in flows:
        for s in each(r.product_code, r.partner_id, r.currency):
            if r.kind == "recovery":
                s.recoveries += int(r.amount)
            else:
                s.write_offs += int(r.amount)
    ordered = sorted(segments.values(), key=lambda s: (DIMENSIONS.index(s.dimension), s.key,
                                                        s.currency))
    return {"as_of": as_of.isoformat(),
            "snapshot_date": snap.isoformat() if snap else None,
            "period_start": start.isoformat() if start else None, "period_days": period_days,
            "segments": [s.public() for s in ordered]}
