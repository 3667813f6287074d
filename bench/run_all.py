"""`make bench`: runs every bench/bench_*.py and writes docs/benchmarks.md from their output.

Each benchmark measures its subject beside a raw baseline in the same run, prints a
Markdown section on stdout and writes its raw figures as JSON under bench/results/; the
JSON's "goals" list ({benchmark, goal, measured, met}) becomes the table at the top.
`bench/run_all.py e2e simulation` re-runs only those: their sections and goal rows are
replaced in the page and the others are kept, each section saying when it was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = """# Benchmarks

Written by `make bench` ({when}, {machine}); a section re-run on its own since says when
at its end. Every figure stands beside a raw baseline
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
    sections: dict[str, str] = {}
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
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        sections[name] = (proc.stdout.strip() + f"\n\n_({name}: {time.monotonic() - began:.0f}"
                          f" s, {when})_")
        goals += [{**g, "owner": name}
                  for g in json.loads((results / f"{name}.json").read_text()).get("goals", [])]
    page_path = ROOT / "docs" / "benchmarks.md"
    if not args.no_write and sections:
        if args.only and page_path.exists():  # keep what was not re-run
            ran = set(sections)
            old_sections, old_goals = parse_page(page_path.read_text())
            sections = {**old_sections, **sections}
            goals = [g for g in old_goals if g["owner"] not in ran] + goals
        cores, python = os.cpu_count(), platform.python_version()
        machine = f"{platform.machine()}, {cores} cores, Python {python}"
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        page = (HEADER.format(when=when, machine=machine) + "\n"
                + goal_table(sorted(goals, key=lambda g: g["owner"]))
                + "\n\n".join(sections[n] for n in sorted(sections)) + "\n")
        page_path.write_text(page)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def goal_table(goals: list[dict[str, str]]) -> str:
    if not goals:
        return ""
    rows = [f"| {g['benchmark']} | {g['goal']} | {g['measured']} | {g['met']} | {g['owner']} |"
            for g in goals]
    return "\n".join(["## Goals at a glance", "",
                      "| benchmark | goal | measured (median) | met | section |",
                      "|---|---|---|---|---|", *rows]) + "\n\n"


SECTION_END = re.compile(r"^_\((\w+): \d+ s(?:, [^)]*)?\)_$", re.MULTILINE)


def parse_page(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The sections of a written page by benchmark name (each ends with its ``_(name: N s)_``
    line) and its goal rows with the section that owns them."""
    sections: dict[str, str] = {}
    goals: list[dict[str, str]] = []
    for chunk in ("\n" + text).split("\n## ")[1:]:
        body = "## " + chunk.strip()
        if body.startswith("## Goals at a glance"):
            for line in body.splitlines():
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                if len(cells) == 5 and cells[0] not in ("benchmark", "---"):
                    goals.append(dict(zip(("benchmark", "goal", "measured", "met", "owner"),
                                          cells, strict=True)))
            continue
        found = SECTION_END.search(body)
        if found:
            sections[found.group(1)] = body
    return sections, goals


if __name__ == "__main__":
    sys.exit(main())
