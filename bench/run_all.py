"""`make bench`: runs every bench/bench_*.py and writes docs/benchmarks.md from their output.

Each benchmark measures its subject beside a raw baseline in the same run, prints a
Markdown section on stdout and writes its raw figures as JSON under bench/results/; the
JSON's "goals" list ({benchmark, goal, measured, met}) becomes the table at the top.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = """# Benchmarks

Written by `make bench` ({when}, {machine}). Every figure stands beside a raw baseline
measured in the same run on the same machine; the machine is shared and noisy, so the
tables report medians over repeats and ratios to the baseline, not single timings.
Re-run `make bench` to refresh this page; raw JSON lands in `bench/results/`.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("only", nargs="*", help="run only these (e.g. messaging loanmath)")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite the docs page")
    args = parser.parse_args()
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    scripts = sorted((ROOT / "bench").glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    sections: list[str] = []
    goals: list[dict[str, str]] = []
    failed: list[str] = []
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        print(f"== {name}", flush=True)
        began = time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(script), "--json-out", str(results / f"{name}.json")],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ},
        )
        print(proc.stdout, end="")
        print(proc.stderr, end="", file=sys.stderr)
        if proc.returncode != 0:
            failed.append(name)
            continue
        sections.append(proc.stdout.strip() + f"\n\n_({name}: {time.monotonic() - began:.0f} s)_")
        goals += json.loads((results / f"{name}.json").read_text()).get("goals", [])
    if not args.no_write and sections and not args.only:
        cores, python = os.cpu_count(), platform.python_version()
        machine = f"{platform.machine()}, {cores} cores, Python {python}"
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        page = (HEADER.format(when=when, machine=machine) + "\n" + goal_table(goals)
                + "\n\n".join(sections) + "\n")
        (ROOT / "docs" / "benchmarks.md").write_text(page)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def goal_table(goals: list[dict[str, str]]) -> str:
    if not goals:
        return ""
    rows = [f"| {g['benchmark']} | {g['goal']} | {g['measured']} | {g['met']} |" for g in goals]
    return "\n".join(["## Goals at a glance", "", "| benchmark | goal | measured (median) | met |",
                      "|---|---|---|---|", *rows]) + "\n\n"


if __name__ == "__main__":
    sys.exit(main())
