"""Benchmark: loanmath schedules and APR solves beside numpy-financial, in the same run.

    .venv/bin/python bench/bench_loanmath.py --json-out bench/results/loanmath.json

Workloads (same inputs for every contender):
- schedule: 200,000.00 at 7.5% nominal, 360 monthly installments (annuity, periodic basis).
  loanmath builds the whole cent-exact schedule (Decimal, rounding, closure, dates);
  numpy-financial computes pmt, and ipmt/ppmt over all 360 periods in float (no rounding,
  no dates): a raw baseline, not an equivalent.
- apr: the same 360 installments with a 2,000.00 upfront fee (Reg Z actuarial, Decimal
  Newton), and App. J (c)(1)(i) (24 payments); numpy-financial `rate` solves the
  level-payment equation in float.
Each figure is the median of several repeats of a timed loop.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy_financial as npf

from loanmath import (
    Frequency,
    LoanTerms,
    Money,
    apr_us_reg_z_regular,
    build_schedule,
    schedule_apr,
)

PRINCIPAL, RATE, TERM = "200000.00", "0.075", 360


def per_second(fn: Callable[[], object], repeats: int, min_seconds: float) -> dict[str, float]:
    """Median (and spread) of operations per second over `repeats` timed loops."""
    fn()  # warm up
    loops = 1
    while True:
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            break
        loops *= 2
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(loops):
            fn()
        rates.append(loops / (time.perf_counter() - started))
    return {"median": statistics.median(rates), "min": min(rates), "max": max(rates)}


def run(repeats: int, min_seconds: float) -> dict[str, Any]:
    terms = LoanTerms(
        Money.parse(PRINCIPAL, "USD"),
        Decimal(RATE),
        TERM,
        Frequency.parse("monthly"),
        date(2027, 1, 15),
    )
    with_fee = build_schedule(replace(terms, upfront_fee=Money.parse("2000.00", "USD")))
    rate, nper, pv = float(RATE) / 12, TERM, float(PRINCIPAL)
    payment = float(with_fee.installments[0].total.amount)
    periods = np.arange(1, TERM + 1)
    batch = 10_000
    rates_vec = np.full(batch, rate)

    def npf_schedule() -> None:
        npf.ipmt(rate, periods, nper, pv)
        npf.ppmt(rate, periods, nper, pv)

    def npf_pmt_vectorised() -> None:
        npf.pmt(rates_vec, nper, pv)

    rows: dict[str, tuple[str, dict[str, float], float]] = {}

    def add(name: str, unit: str, fn: Callable[[], object], scale: float = 1.0) -> None:
        measured = per_second(fn, repeats, min_seconds)
        rows[name] = (unit, {k: v * scale for k, v in measured.items()}, scale)

    add("loanmath build_schedule (360 x annuity, cent-exact)", "schedules/s",
        lambda: build_schedule(terms))  # fmt: skip
    add("numpy-financial ipmt+ppmt over 360 periods (float)", "schedules/s", npf_schedule)
    add("numpy-financial pmt, scalar loop", "pmt/s", lambda: npf.pmt(rate, nper, pv))
    add("numpy-financial pmt, vectorised x10,000", "pmt/s", npf_pmt_vectorised, float(batch))
    add("loanmath schedule_apr (360 payments, Reg Z)", "solves/s",
        lambda: schedule_apr(with_fee))  # fmt: skip
    add("loanmath apr_us_reg_z_regular (App. J (c)(1)(i), 24 payments)", "solves/s",
        lambda: apr_us_reg_z_regular(Decimal(5000), [(Decimal(230), 24)],
                                     Frequency.parse("monthly")))  # fmt: skip
    add("numpy-financial rate (360 level payments, float)", "solves/s",
        lambda: npf.rate(nper, -payment, pv - 2000.0, 0))  # fmt: skip
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "repeats": repeats,
        "results": [
            {"benchmark": name, "unit": unit, **{k: round(v, 1) for k, v in stats.items()}}
            for name, (unit, stats, _) in rows.items()
        ],
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "## loanmath (schedules and APR) vs numpy-financial",
        "",
        f"Python {report['python']}, median of {report['repeats']} repeats.",
        "",
        "| benchmark | median | min | max | unit |",
        "|---|---:|---:|---:|---|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['benchmark']} | {r['median']:,.0f} | {r['min']:,.0f} | {r['max']:,.0f} "
            f"| {r['unit']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json-out", type=Path, help="write the results as JSON here")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--min-seconds", type=float, default=0.2)
    args = parser.parse_args()
    report = run(args.repeats, args.min_seconds)
    schedules = next(r for r in report["results"] if r["benchmark"].startswith(
        "loanmath build_schedule"))
    report["goals"] = [{"benchmark": "loanmath", "goal": "(no goal)",
                        "measured": f"{schedules['median']:,.0f} schedules/s (360 rows, "
                                    "cent-exact)", "met": "-"}]
    print(markdown(report))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
