"""`loanctl simulate`: the options, the progress line and what is printed at the end."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from loanctl.simulate.api import Api, ServiceUrls
from loanctl.simulate.behaviour import MixError, parse_mix
from loanctl.simulate.chaos import KINDS
from loanctl.simulate.checks import INVARIANTS
from loanctl.simulate.deadletters import DeadLetterCounter
from loanctl.simulate.engine import DayProgress, Plan, Simulation
from loanctl.simulate.keys import Actor, Keys, issue_keys


def default_urls() -> ServiceUrls:
    from loanctl.commands._local import devstack

    service_ports = devstack().SERVICE_PORTS
    from lending_simulators import SIMULATORS

    def url(name: str, port: int, prefix: str = "") -> str:
        return f"http://127.0.0.1:{os.environ.get(f'{prefix}{name.upper()}_PORT', port)}"

    return ServiceUrls(
        **{name: url(name, port) for name, port in service_ports.items()},
        payout_provider=url("payout_provider", SIMULATORS["payout_provider"], "SIM_"),
        sms_gateway=url("sms_gateway", SIMULATORS["sms_gateway"], "SIM_"))


def simulate(
    loans: Annotated[int, typer.Option(min=1, help="Loans to put on the book")] = 300,
    months: Annotated[int, typer.Option(min=1, max=120, help="Months of business days")] = 4,
    days: Annotated[int | None, typer.Option(min=1, max=3660, help="Business days to live "
                                             "instead of --months (short runs)")] = None,
    seed: Annotated[int, typer.Option(help="The same seed gives the same book")] = 7,
    mix: Annotated[str | None, typer.Option(help="Repayment behaviours, e.g. on_time=0.6,"
                                            "late=0.2,partial=0.05,early_settle=0.05,"
                                            "prepay=0.05,default=0.1")] = None,
    products: Annotated[str, typer.Option(help="Product codes, comma-separated, or all")
                        ] = "all",
    partners: Annotated[int, typer.Option(min=1, max=50, help="Partner channels")] = 3,
    arrivals_per_day: Annotated[int | None, typer.Option(
        min=1, help="Applications a day (default: the book arrives over two thirds of the "
        "run)")] = None,
    chaos: Annotated[bool, typer.Option(help="Kill services and servers at random moments "
                                        "(the stack must run under `make run`)")] = False,
    html: Annotated[Path | None, typer.Option(help="Write the report page here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress line")] = False,
    admin_key: Annotated[str | None, typer.Option(
        envvar="LOANCTL_ADMIN_KEY", help="Use these keys instead of issuing them "
        "(admin, then the others)")] = None,
    underwriter_key: Annotated[str | None, typer.Option(envvar="LOANCTL_UNDERWRITER_KEY")
                               ] = None,
    collector_key: Annotated[str | None, typer.Option(envvar="LOANCTL_COLLECTOR_KEY")] = None,
    checker_key: Annotated[str | None, typer.Option(envvar="LOANCTL_CHECKER_KEY")] = None,
    partner_key: Annotated[list[str] | None, typer.Option(envvar="LOANCTL_PARTNER_KEYS")
                           ] = None,
) -> None:
    """Live a loan book through months of business days on the running stack, checking
    after every day close that the services agree."""
    try:
        chosen_mix = parse_mix(mix)
    except MixError as exc:
        raise typer.BadParameter(str(exc), param_hint="--mix") from None
    plan = Plan(loans=loans, months=months, seed=seed, mix=chosen_mix,
                products=None if products == "all" else tuple(products.split(",")),
                arrivals_per_day=arrivals_per_day, days=days)
    keys = _keys(partners, admin_key, underwriter_key, collector_key, checker_key, partner_key)
    started = time.monotonic()
    sim = asyncio.run(_run(plan, keys, chaos, quiet))
    report = result_of(sim, time.monotonic() - started)
    if html is not None:
        from loanctl.simulate.report_html import render

        html.write_text(render(report))
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=str))
    else:
        _print_summary(report)
    chaos_report = report["chaos"]
    if chaos_report is not None and set(chaos_report["kinds_killed"]) != set(KINDS):
        missing = sorted(set(KINDS) - set(chaos_report["kinds_killed"]))
        typer.echo(f"chaos: never killed {', '.join(missing)} (the run was too short)", err=True)
        raise typer.Exit(1)
    if report["violations"] or report["findings"]:
        raise typer.Exit(1)


def _keys(partners: int, admin: str | None, underwriter: str | None, collector: str | None,
          checker: str | None, partner_keys: list[str] | None) -> Keys:
    if admin is None:
        return issue_keys(partners)
    missing = [n for n, v in (("--underwriter-key", underwriter), ("--collector-key", collector),
                              ("--checker-key", checker), ("--partner-key", partner_keys))
               if not v]
    if missing:
        raise typer.BadParameter(f"with --admin-key, also give {', '.join(missing)}")
    assert underwriter and collector and checker and partner_keys

    def actor(name: str, key: str) -> Actor:
        return Actor(name, name, key)

    return Keys(tuple(actor(f"partner-{n}", k) for n, k in enumerate(partner_keys, 1)),
                actor("admin", admin), actor("underwriter", underwriter),
                actor("collector", collector), actor("checker", checker))


async def _run(plan: Plan, keys: Keys, chaos: bool, quiet: bool) -> Simulation:
    api = Api(default_urls())
    progress = _Progress(enabled=(not quiet and sys.stderr.isatty()) or not quiet)
    sim = Simulation(plan, api, keys, on_day=progress.update, chaos=chaos,
                     say=progress.say)
    from loanctl.commands.dlq import bootstrap_servers

    sim.checker.dead_letters = DeadLetterCounter(bootstrap_servers())
    try:
        await sim.run()
    finally:
        progress.done()
        await api.close()
    return sim


class _Progress:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()

    def update(self, p: DayProgress) -> None:
        if not self.enabled:
            return
        width = 30
        filled = int(width * p.days_done / max(p.days_total, 1))
        elapsed = time.monotonic() - self.started
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {p.day} "
                         f"day {p.days_done}/{p.days_total}  loans {p.loans}  "
                         f"{elapsed:5.0f}s  violations {p.violations} ")
        sys.stderr.flush()

    def say(self, line: str) -> None:
        sys.stderr.write(("\n" if self.enabled else "") + line + "\n")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def result_of(sim: Simulation, seconds: float) -> dict[str, Any]:
    checker, figures = sim.checker, sim.figures
    return {
        "plan": {"loans": sim.plan.loans, "months": sim.plan.months,
                 "days": sim.plan.days, "seed": sim.plan.seed,
                 "mix": {k.value: v for k, v in sim.plan.mix.items()},
                 "products": [p.code for p in sim.products]},
        "first_day": sim.first_day, "last_day": sim.last_day,
        "seconds": round(seconds, 1),
        "speed": {"days": sim.days_lived, "loan_days": sim.loan_days,
                  "loan_days_per_second": round(sim.loan_days / seconds, 1) if seconds else None,
                  "seconds_per_day": round(seconds / sim.days_lived, 2)
                  if sim.days_lived else None},
        "summary": figures.summary(),
        "months": [_plain(asdict(m)) for m in figures.months],
        "vintages": {k: [str(v) for v in curve]
                     for k, curve in figures.vintages(sim.last_day or date.today()).items()},
        "roll_rates": {k: {b: str(v) for b, v in row.items()}
                       for k, row in figures.roll_rates().items()},
        "invariants": {name: {"description": text, "checked": checker.checked.get(name, 0),
                              "violations": sum(1 for v in checker.violations
                                                if v.invariant == name)}
                       for name, text in INVARIANTS.items()},
        "violations": [str(v) for v in checker.violations[:200]],
        "violations_total": len(checker.violations),
        "findings": sim.findings[:200],
        "api": {"calls": sim.api.calls, "retries": sim.api.retries},
        "seconds_by_phase": {k: round(v, 1) for k, v in sorted(sim.timings.items())},
        "chaos": None if sim.kills is None else {
            "kills": [{"kind": k.kind, "pid": k.pid, "day": k.day} for k in sim.kills.killed],
            "kinds_killed": sorted({k.kind for k in sim.kills.killed})},
    }


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal | date) else v for k, v in values.items()}


def _print_summary(report: dict[str, Any]) -> None:
    s = report["summary"]
    typer.echo(f"simulated {report['first_day']} .. {report['last_day']} in "
               f"{report['seconds']}s: {s['applications']} applications, "
               f"{s['loans_disbursed']} loans, {s['payments']} payments")
    typer.echo(f"  by stage: {s['by_stage']}")
    typer.echo(f"  time by phase (s): {report['seconds_by_phase']}")
    for month in report["months"]:
        typer.echo(f"  {month['month']}: outstanding {month['outstanding']} over "
                   f"{month['loans']} loans, PAR30 {month['par30']}, cash in "
                   f"{month['cash_in']}, disbursed {month['disbursed']}")
    for name, row in report["invariants"].items():
        mark = "ok" if not row["violations"] else f"{row['violations']} VIOLATED"
        typer.echo(f"  [{mark:>12}] {row['checked']:>7} x {name}: {row['description']}")
    for line in report["findings"]:
        typer.echo(f"  finding: {line}")
    for line in report["violations"][:50]:
        typer.echo(f"  violation: {line}")
