"""Benchmark: servicing's business-day close over a large book, beside a raw SQL query that
only selects the overdue installments, on the same data in the same run.

    .venv/bin/python bench/bench_servicing.py [--loans 1000000] [--json-out FILE]

The book is seeded straight into servicing's projection tables (after its migrations):
85% monthly loans of 12 installments, 10% weekly of 12, 5% daily of 90. It is the worst
kind of day: every loan has an installment that fell due yesterday, and `--unpaid-share`
of the loans did not pay it. The close of today must find every one of those installments
and write a PaymentMissed for each and a DelinquencyChanged (current -> dpd_1_30) for each
loan into the outbox, in one transaction, with BusinessDayClosed: that is what is timed,
end to end through servicing's service layer (commit included). Between repeats the day
is undone (not timed) and the tables vacuumed; the outbox is emptied as its relay empties
it (DELETE), so, as in production from the second close on, a close reuses the pages the
last one filled (the first run after seeding grows the table).

Baselines, on the same rows: `raw scan`, the query anyone would write to select the overdue
installments (due date + grace passed, unpaid beyond tolerance) over the whole schedule;
`raw indexed`, the same selection through the close's own partial index. Both only count
and sum the rows server-side; neither writes anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import lending_servicing
from lending_devstack import Infra
from lending_platform.database import session_factory, upgrade_to_head
from lending_servicing.adapters.close_partitions import SQL as SLICE
from lending_servicing.service_layer.context import ServicingContext, ServicingPolicy
from lending_servicing.service_layer.day_close import CloseBusinessDays, close_business_days

TODAY = date(2025, 6, 16)
INSTALLMENT = 11_000  # 100.00 principal + 10.00 interest, in cents

SEED = f"""
CREATE TEMP TABLE seed AS
SELECT g, f.freq, f.n, f.k,
       CASE f.freq WHEN 'monthly'
                   THEN (CAST(:yesterday AS date) - make_interval(months => f.k))::date
                   WHEN 'weekly' THEN CAST(:yesterday AS date) - 7 * f.k
                   ELSE CAST(:yesterday AS date) - f.k END AS start,
       CASE WHEN g % 1000 < :unpaid_per_mille THEN f.k - 1 ELSE f.k END * {INSTALLMENT} AS paid,
       {SLICE.replace("loan_id", "('bench-' || g)")} AS part
  FROM generate_series(1, :loans) AS g,
       LATERAL (SELECT CASE WHEN g % 100 < 85 THEN 'monthly' WHEN g % 100 < 95 THEN 'weekly'
                            ELSE 'daily' END AS freq) AS q,
       LATERAL (SELECT q.freq, CASE q.freq WHEN 'daily' THEN 90 ELSE 12 END AS n,
                       1 + g % CASE q.freq WHEN 'daily' THEN 89 ELSE 11 END AS k) AS f
"""

DUE = """CASE s.freq WHEN 'monthly' THEN (s.start + make_interval(months => j))::date
                     WHEN 'weekly' THEN s.start + 7 * j ELSE s.start + j END"""

LOANS = f"""
INSERT INTO loans (loan_id, partner_id, applicant_id, status, currency, minor_digits,
                   principal, start_date, maturity_date, frequency, grace_days, schedule_total,
                   terms, booked_on, disbursed_on, paid_to_schedule, outstanding_principal,
                   close_partition)
SELECT 'bench-' || s.g, 'partner-bench', 'cust-' || s.g, 'active', 'EUR', 2, s.n * 10000,
       s.start, (SELECT {DUE} FROM (SELECT s.n AS j) AS last), s.freq, 0, s.n * {INSTALLMENT},
       '{{}}'::jsonb, s.start, s.start, s.paid, s.n * 10000 - s.paid / 11 * 10,
       s.part
  FROM seed AS s
"""

INSTALLMENTS = f"""
INSERT INTO installments (loan_id, number, due_date, effective_due, overdue_from, remind_from,
                          principal, interest, fees, total, cumulative_due, tolerance, state,
                          close_partition)
SELECT 'bench-' || s.g, j, d.due, d.due, d.due + 1,
       CASE s.freq WHEN 'monthly' THEN d.due - 3 WHEN 'weekly' THEN d.due - 1 END,
       10000, 1000, 0, {INSTALLMENT}, j * {INSTALLMENT}, 0,
       CASE WHEN j * {INSTALLMENT} <= s.paid THEN 'settled' ELSE 'open' END, s.part
  FROM seed AS s, generate_series(1, s.n) AS j, LATERAL (SELECT {DUE} AS due) AS d
"""

# The close's partial indexes: dropped for the bulk load and built again after it, from
# their definitions as the migrations left them.
INDEXES = ("installments_open_overdue", "installments_open_due", "installments_to_remind")

RAW_SCAN = """
SELECT count(*), sum(LEAST(i.total, i.cumulative_due - l.paid_to_schedule))
  FROM installments AS i JOIN loans AS l ON l.loan_id = i.loan_id
 WHERE l.status = 'active' AND i.effective_due + l.grace_days < :today
   AND LEAST(i.total, i.cumulative_due - l.paid_to_schedule) > i.tolerance
"""

RAW_INDEXED = """
SELECT count(*), sum(LEAST(i.total, i.cumulative_due - l.paid_to_schedule))
  FROM installments AS i JOIN loans AS l ON l.loan_id = i.loan_id
 WHERE i.state = 'open' AND i.overdue_from <= :today AND l.status = 'active'
   AND LEAST(i.total, i.cumulative_due - l.paid_to_schedule) > i.tolerance
"""

UNDO = [
    "UPDATE installments SET reminded_on = NULL WHERE reminded_on = :today",
    "UPDATE loans SET bucket = 'current', bucket_dpd = 0, bucket_as_of = NULL, "
    "delinquent_since = NULL, missed_cumulative_due = NULL, missed_from = NULL, "
    "missed_through = NULL WHERE bucket_as_of = :today",
    "UPDATE loans SET matured_on = NULL WHERE matured_on = :today",
    "DELETE FROM business_days WHERE business_date = :today",
    "DELETE FROM day_closes WHERE business_date = :today",
    "DELETE FROM outbox",
]


async def execute(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.begin() as conn:
        return await conn.execute(text(sql), params)


async def vacuum(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM (ANALYZE) loans, installments, outbox"))


async def seed(engine: AsyncEngine, loans: int, unpaid_share: float) -> dict[str, float]:
    began = time.perf_counter()
    yesterday = TODAY - timedelta(days=1)
    async with engine.begin() as conn:
        definitions = (await conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = ANY(:names)"),
            {"names": list(INDEXES)})).scalars().all()
        for name in INDEXES:  # load first, index after: much faster for a bulk load
            await conn.execute(text(f"DROP INDEX {name}"))
        await conn.execute(text(SEED), {"yesterday": yesterday, "loans": loans,
                                        "unpaid_per_mille": round(unpaid_share * 1000)})
        await conn.execute(text(LOANS))
        await conn.execute(text(INSTALLMENTS))
        for sql in definitions:
            await conn.execute(text(sql))
        await conn.execute(text(
            "INSERT INTO business_days (calendar_id, business_date, next_business_date) "
            "VALUES ('main', :y, :t)"), {"y": yesterday, "t": TODAY})
    await vacuum(engine)
    rows = (await execute(engine, "SELECT count(*) FROM installments")).scalar_one()
    return {"seconds": time.perf_counter() - began, "installments": rows}


async def timed(engine: AsyncEngine, sql: str) -> tuple[float, int]:
    began = time.perf_counter()
    count, _ = (await execute(engine, sql, today=TODAY)).one()
    return time.perf_counter() - began, int(count)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    infra = Infra()
    await asyncio.to_thread(infra.up, ())
    db = f"bench_servicing_{uuid.uuid4().hex[:8]}"
    infra.postgres.ensure_database(db)
    url = infra.s.database_url(db)
    await asyncio.to_thread(upgrade_to_head, Path(lending_servicing.__file__).parent
                            / "migrations", url)
    engine = create_async_engine(url, pool_size=4)
    ctx = ServicingContext(session_factory(engine), ServicingPolicy(
        reminder_days={"monthly": 3, "weekly": 1}))
    runs: list[dict[str, float]] = []
    try:
        seeded = await seed(engine, args.loans, args.unpaid_share)
        print(f"  seeded {args.loans:,} loans, {seeded['installments']:,} installments "
              f"in {seeded['seconds']:.0f}s", file=sys.stderr, flush=True)
        for n in range(args.repeats):
            scan_s, scan_rows = await timed(engine, RAW_SCAN)
            indexed_s, indexed_rows = await timed(engine, RAW_INDEXED)
            began = time.perf_counter()
            result = await close_business_days(ctx, CloseBusinessDays(TODAY, by="bench"))
            close_s = time.perf_counter() - began
            [day] = result.closed
            counts = day.counts
            events = (await execute(engine, "SELECT count(*) FROM outbox")).scalar_one()
            assert counts.payments_missed == scan_rows == indexed_rows, (counts, scan_rows)
            assert counts.delinquency_changes == scan_rows
            runs.append({"close_s": close_s, "raw_scan_s": scan_s, "raw_indexed_s": indexed_s,
                         "payments_missed": counts.payments_missed,
                         "delinquency_changes": counts.delinquency_changes,
                         "outbox_rows": events})
            print(f"  run {n + 1}: close {close_s:.2f}s ({events:,} events), raw scan "
                  f"{scan_s:.2f}s, raw indexed {indexed_s:.2f}s", file=sys.stderr, flush=True)
            for sql in UNDO:
                await execute(engine, sql, today=TODAY)
            await vacuum(engine)
    finally:
        await engine.dispose()
        if not args.keep:
            infra.postgres.drop_database(db)
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return {"loans": args.loans, "installments": seeded["installments"],
            "unpaid_share": args.unpaid_share, "repeats": args.repeats,
            "seed_s": seeded["seconds"], "runs": runs, "median": median,
            "close_over_raw_scan": median["close_s"] / median["raw_scan_s"],
            "close_over_raw_indexed": median["close_s"] / median["raw_indexed_s"],
            "events_per_s": median["outbox_rows"] / median["close_s"],
            "goals": goals(args.loans, median)}


def goals(loans: int, m: dict[str, float]) -> list[dict[str, str]]:
    ratio = m["close_s"] / m["raw_scan_s"]
    return [{"benchmark": f"servicing day close, {loans:,} loans",
             "goal": "<= 60 s and <= 3x raw query",
             "measured": f"{m['close_s']:.2f} s; {ratio:.2f}x raw scan",
             "met": f"{'yes' if m['close_s'] <= 60 else 'no'} / {'yes' if ratio <= 3 else 'no'}"}]


def table(report: dict[str, Any]) -> str:
    m = report["median"]
    return "\n".join([
        "## Servicing: the business-day close",
        "",
        f"{report['loans']:,} active loans ({report['installments']:,} installments: 85% "
        f"monthly, 10% weekly, 5% daily of 90) seeded into the projection; every loan had "
        f"an installment due yesterday and {report['unpaid_share']:.0%} did not pay it. "
        f"Medians of {report['repeats']} runs.",
        "",
        "| what | seconds (median) | rows | vs raw scan | vs raw indexed |",
        "|---|---:|---:|---:|---:|",
        f"| day close: find + PaymentMissed + DelinquencyChanged into the outbox, commit "
        f"| {m['close_s']:.2f} | {m['outbox_rows']:,.0f} events | "
        f"{report['close_over_raw_scan']:.2f}x | {report['close_over_raw_indexed']:.2f}x |",
        f"| raw scan: select the overdue installments | {m['raw_scan_s']:.2f} | "
        f"{m['payments_missed']:,.0f} | 1.00x | |",
        f"| raw indexed: the same through the close's partial index | "
        f"{m['raw_indexed_s']:.2f} | {m['payments_missed']:,.0f} | | 1.00x |",
        "",
        "Each run, close / raw scan: " + ", ".join(
            f"{r['close_s']:.2f} s / {r['raw_scan_s']:.2f} s "
            f"({r['close_s'] / r['raw_scan_s']:.2f}x)" for r in report["runs"]) + ".",
        "",
        f"Events written per second by the close: {report['events_per_s']:,.0f}. "
        f"Seeding (not timed above): {report['seed_s']:.0f} s.",
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--unpaid-share", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json-out", type=Path)
    arguments = parser.parse_args()
    report = asyncio.run(main(arguments))
    print(table(report))
    if arguments.json_out:
        arguments.json_out.write_text(json.dumps(report, indent=2))
