"""Benchmark: the whole stack as a partner drives it, at fixed rates of applications.

    .venv/bin/python bench/bench_e2e.py [--rates 10,25,50] [--seconds 60] [--goal-seconds 180]

A fresh private stack (`make run` on its own servers and free ports). The benchmark is one
partner: it submits applications at a fixed rate through `POST /v1/applications`, learns
every status change from its webhooks (a receiver in this process), accepts each offer the
moment the approval arrives (reads the offer, posts the acceptance) and records when the
application was decided and when it was disbursed. Meanwhile it pays installments of loans
disbursed earlier (servicing's payments API) and closes one business day per rate run.

Reported per rate: submit → decision and submit → disbursed percentiles, what was lost
(submitted, never decided), CPU seconds by server process from /proc divided by loans
disbursed, and the load generator's own CPU separately. The 10/s run is the baseline the
others stand beside. After the fixed rates, the rate is raised until the goal no longer
holds: the highest rate that held is the maximum sustainable rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from proc_cpu import cpu_by_kind, own_cpu, postmaster_pid
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lending_devstack.private import free_port, private_stack
from loanctl.simulate.population import Product, application_for

DECIDED = frozenset({"approved", "declined", "referred"})
GOAL_RATE = 50
GOAL_DECISION_P99 = 1.0
GOAL_DISBURSED_P99 = 3.0
GOAL_CPU_MS = 25.0
DRAIN_SECONDS = 90


@dataclass
class Timeline:
    """When each application was submitted, decided and disbursed (monotonic seconds)."""

    submitted: dict[str, float] = field(default_factory=dict)
    decided: dict[str, float] = field(default_factory=dict)
    disbursed: dict[str, float] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    refused: Counter[int] = field(default_factory=Counter)
    webhooks: int = 0


class Partner:
    """The partner: submits, receives webhooks, accepts offers, pays."""

    def __init__(self, urls: dict[str, str], key: str, product: Product) -> None:
        self.urls, self.key, self.product = urls, key, product
        self.http = httpx.AsyncClient(limits=httpx.Limits(max_connections=200),
                                      timeout=30, headers={"Authorization": f"Bearer {key}"})
        self.timeline = Timeline()
        self.number = 0
        self.today = date.today()
        self.active: list[str] = []  # disbursed loans, to pay installments on
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def submit(self) -> None:
        self.number += 1
        body = application_for(7, self.number, self.product, self.today)
        started = time.monotonic()
        try:
            answer = await self.http.post(f"{self.urls['intake']}/v1/applications", json=body,
                                          headers={"Idempotency-Key": uuid.uuid4().hex})
        except httpx.HTTPError:
            self.timeline.refused[0] += 1  # no answer at all (0 in the report)
            return
        if answer.status_code != 202:
            self.timeline.refused[answer.status_code] += 1
            return
        self.timeline.submitted.setdefault(answer.json()["id"], started)

    async def webhook(self, request: Request) -> Response:
        arrived = time.monotonic()
        self.timeline.webhooks += 1
        data = json.loads(await request.body())["data"]
        app_id, status = data["application_id"], data["status"]
        if status in DECIDED:
            self.timeline.decided.setdefault(app_id, arrived)
            self.timeline.outcomes[status] += 1
            if status == "approved":
                self.spawn(self.accept(app_id))
        elif status == "disbursed":
            self.timeline.disbursed.setdefault(app_id, arrived)
            self.active.append(app_id)
        return Response(status_code=204)

    async def accept(self, app_id: str) -> None:
        try:
            await self._accept(app_id)
        except httpx.HTTPError:
            self.timeline.refused[0] += 1

    async def _accept(self, app_id: str) -> None:
        app = (await self.http.get(f"{self.urls['intake']}/v1/applications/{app_id}")).json()
        offer = app["offer"]
        body = {"offer_id": offer["offer_id"], "terms_version": "2025-01",
                "accepted_at": datetime.now(UTC).isoformat(),
                "disclosure_sha256": offer["disclosure_sha256"], "ip_address": "10.0.0.1",
                "device_id": f"bench-{app_id}"}
        answer = await self.http.post(
            f"{self.urls['intake']}/v1/applications/{app_id}/offer/acceptance", json=body,
            headers={"Idempotency-Key": f"accept-{app_id}"})
        if answer.status_code >= 300:
            self.timeline.refused[answer.status_code] += 1

    async def pay(self, loan_id: str) -> None:
        body = {"amount": "10.00", "currency": self.product.currency,
                "value_date": self.today.isoformat(), "channel": "bank_transfer",
                "external_reference": f"bench-{uuid.uuid4().hex[:12]}"}
        try:
            answer = await self.http.post(
                f"{self.urls['servicing']}/v1/loans/{loan_id}/payments", json=body,
                headers={"Idempotency-Key": uuid.uuid4().hex})
        except httpx.HTTPError:
            self.timeline.refused[0] += 1
            return
        if answer.status_code != 202:
            self.timeline.refused[answer.status_code] += 1

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


@dataclass
class RateRun:
    rate: int
    seconds: int
    submitted: int
    decided: int
    disbursed: int
    lost: int
    decision: dict[str, float]
    to_disbursed: dict[str, float]
    outcomes: dict[str, int]
    refused: dict[str, int]
    payments: int
    close_seconds: float
    load_average: float  # the machine's 1-minute load at the run's end (2 cores: 2 is full)
    cpu_seconds: dict[str, float]
    loadgen_cpu_seconds: float
    transactions: dict[str, int]  # committed + rolled back, by service database
    webhooks: int

    @property
    def cpu_ms_per_loan(self) -> float:
        return 1000 * sum(self.cpu_seconds.values()) / max(self.disbursed, 1)

    def holds(self) -> bool:
        return (self.lost == 0 and self.decision["p99"] <= GOAL_DECISION_P99
                and self.to_disbursed["p99"] <= GOAL_DISBURSED_P99)


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 3), "p99": round(cuts[98], 3), "max": round(max(values), 3)}


async def business_date(http: httpx.AsyncClient, servicing: str, admin: str) -> date:
    answer = await http.get(f"{servicing}/v1/admin/business-day",
                            headers={"Authorization": f"Bearer {admin}"})
    return date.fromisoformat(answer.json()["business_date"])


async def transactions(pg_port: str) -> Counter[str]:
    """Transactions each service database has ended so far (PostgreSQL's own count)."""
    conn = await asyncpg.connect(host="127.0.0.1", port=int(pg_port), user="postgres",
                                 database="postgres")
    try:
        rows = await conn.fetch("SELECT datname, xact_commit + xact_rollback AS n "
                                "FROM pg_stat_database WHERE datname = ANY($1::text[])",
                                list(SERVICES))
    finally:
        await conn.close()
    return Counter({r["datname"]: r["n"] for r in rows})


async def run_rate(partner: Partner, admin: str, roots: tuple[int, ...], pg_port: str,
                   rate: int, seconds: int) -> RateRun:
    partner.timeline = Timeline()
    partner.today = await business_date(partner.http, partner.urls["servicing"], admin)
    payers = list(partner.active)
    tx_before = await transactions(pg_port)
    cpu_before, own_before = cpu_by_kind(*roots), own_cpu()
    began = time.monotonic()
    close_seconds = 0.0
    payments = 0
    tick = 0
    while (now := time.monotonic()) < began + seconds:
        if tick == seconds * rate // 2:  # one day close halfway, under the load
            closed_at = time.monotonic()
            await partner.http.post(
                f"{partner.urls['servicing']}/v1/admin/business-day/close",
                json={"as_of": partner.today.isoformat(), "allow_future_date": True},
                headers={"Authorization": f"Bearer {admin}"})
            close_seconds = time.monotonic() - closed_at
            partner.today = await business_date(partner.http, partner.urls["servicing"],
                                                admin)
        partner.spawn(partner.submit())
        if payers and tick % 5 == 0:  # a payment for every five applications
            partner.spawn(partner.pay(payers[(tick // 5) % len(payers)]))
            payments += 1
        tick += 1
        await asyncio.sleep(max(0.0, began + tick / rate - now))
    await partner.drain()
    deadline = time.monotonic() + DRAIN_SECONDS
    line = partner.timeline
    while time.monotonic() < deadline and not _finished(line):
        await asyncio.sleep(0.5)
        await partner.drain()
    cpu = cpu_by_kind(*roots)
    cpu.subtract(cpu_before)
    tx = await transactions(pg_port)
    tx.subtract(tx_before)
    decision = [line.decided[a] - t for a, t in line.submitted.items() if a in line.decided]
    disbursed = [line.disbursed[a] - t for a, t in line.submitted.items()
                 if a in line.disbursed]
    return RateRun(
        rate=rate, seconds=seconds, submitted=len(line.submitted), decided=len(decision),
        disbursed=len(disbursed), lost=len(line.submitted) - len(decision),
        decision=percentiles(decision), to_disbursed=percentiles(disbursed),
        outcomes=dict(line.outcomes), refused={str(k): v for k, v in line.refused.items()},
        payments=payments, close_seconds=round(close_seconds, 2),
        load_average=round(os.getloadavg()[0], 1),
        cpu_seconds={k: round(v, 2) for k, v in sorted(cpu.items()) if v > 0.005},
        loadgen_cpu_seconds=round(own_cpu() - own_before, 2),
        transactions=dict(sorted(tx.items())), webhooks=line.webhooks)


def _finished(line: Timeline) -> bool:
    approved = line.outcomes.get("approved", 0)
    return len(line.decided) >= len(line.submitted) and len(line.disbursed) >= approved


def loanctl(env: dict[str, str], *args: str) -> dict[str, Any]:
    env = {**env, "INTAKE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}  # as make run allows its own
    done = subprocess.run([sys.executable, "-m", "loanctl.main", *args, "--json"], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"loanctl {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout))


async def wait_for_key(http: httpx.AsyncClient, url: str, key: str) -> None:
    """Until the service has learnt the key from intake's events (401 before)."""
    for _ in range(600):
        answer = await http.get(url, headers={"Authorization": f"Bearer {key}"})
        if answer.status_code != 401:
            return
        await asyncio.sleep(0.2)
    raise SystemExit(f"{url} never accepted the key")


async def bench(rates: list[int], seconds: int, goal_seconds: int, probe_max: bool,
                profile: str) -> list[RateRun]:
    hook_port = free_port()
    with tempfile.TemporaryDirectory() as scratch, private_stack(profile, Path(scratch)) as env:
        roots = (int(env["LENDING_STACK_PID"]), postmaster_pid(profile))
        pg_port = env["LENDING_PG_PORT"]
        urls = {name: f"http://127.0.0.1:{env[f'{name.upper()}_PORT']}"
                for name in ("intake", "servicing")}
        made = loanctl(env, "partners", "create", "bench-partner", "--webhook-url",
                       f"http://127.0.0.1:{hook_port}/hooks", "--rate-limit", "100000/s")
        admin = loanctl(env, "operators", "create", "bench-admin", "--role", "admin")
        async with httpx.AsyncClient(timeout=30) as http:
            await wait_for_key(http, f"{urls['servicing']}/v1/admin/business-day",
                               admin["api_key"])
            await wait_for_key(http, f"{urls['servicing']}/v1/loans/none", made["api_key"])
            catalogue = (await http.get(f"{urls['intake']}/v1/products", headers={
                "Authorization": f"Bearer {made['api_key']}"})).json()
        products = [Product.from_catalogue(p) for p in catalogue["items"]]
        product = next(p for p in products if p.family == "personal_credit")
        partner = Partner(urls, made["api_key"], product)
        receiver = uvicorn.Server(uvicorn.Config(
            Starlette(routes=[Route("/hooks", partner.webhook, methods=["POST"])]),
            host="127.0.0.1", port=hook_port, log_level="warning", access_log=False))
        serving = asyncio.create_task(receiver.serve())
        runs: list[RateRun] = []
        try:
            await run_rate(partner, admin["api_key"], roots, pg_port, 5, 20)  # warm-up
            for rate in rates:
                run = await run_rate(partner, admin["api_key"], roots, pg_port, rate,
                                     goal_seconds if rate == GOAL_RATE else seconds)
                runs.append(run)
                print(f"{rate}/s: {json.dumps(run.__dict__)}", file=sys.stderr, flush=True)
            rate = max(rates)
            while probe_max and all(r.holds() for r in runs if r.rate == rate):
                rate = int(rate * 1.5)
                run = await run_rate(partner, admin["api_key"], roots, pg_port, rate, seconds)
                runs.append(run)
                print(f"{rate}/s: {json.dumps(run.__dict__)}", file=sys.stderr, flush=True)
        finally:
            receiver.should_exit = True
            await serving
            await partner.http.aclose()
        return runs


def markdown(runs: list[RateRun]) -> str:
    held = [r.rate for r in runs if r.holds()]
    lines = [
        "## End to end: a partner at fixed rates, through the public API", "",
        "One partner on a fresh private stack submits applications at a fixed rate, learns "
        "each status from its webhooks, accepts every offer as soon as its approval arrives, "
        "pays an installment for every fifth application and closes one business day per run "
        "under the load. Latencies are from the submit to the webhook that reports the "
        "decision (approved, declined or referred) and the disbursement. The 10/s run is the "
        "baseline. Maximum sustainable rate (decision p99 ≤ 1 s, disbursed p99 ≤ 3 s, nothing "
        f"lost): **{f'{max(held)}/s' if held else 'below the lowest rate tried'}**. `lost`: "
        "submitted and not decided within 90 s of the run's end; `load avg` is the machine's "
        "(2 means both cores busy): above it, other work shared the machine.", "",
        "| rate/s | s | submitted | decided | disbursed | lost | decision p50 / p99 s "
        "| disbursed p50 / p99 s | close s | server CPU ms / loan | vs 10/s "
        "| loadgen CPU ms / loan | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    base = next((r.cpu_ms_per_loan for r in runs if r.rate == 10), None)
    for r in runs:
        ratio = f"{r.cpu_ms_per_loan / base:.2f}x" if base else "-"
        lines.append(
            f"| {r.rate} | {r.seconds} | {r.submitted} | {r.decided} | {r.disbursed} "
            f"| {r.lost} | {r.decision['p50']} / {r.decision['p99']} "
            f"| {r.to_disbursed['p50']} / {r.to_disbursed['p99']} | {r.close_seconds} "
            f"| {r.cpu_ms_per_loan:.1f} | {ratio} "
            f"| {1000 * r.loadgen_cpu_seconds / max(r.disbursed, 1):.1f} | {r.load_average} |")
    lines += ["", "Server CPU per disbursed loan by process (ms):", "",
              "| rate/s | " + " | ".join(KINDS) + " |",
              "|---:|" + "---:|" * len(KINDS)]
    for r in runs:
        cells = [f"{1000 * r.cpu_seconds.get(k, 0.0) / max(r.disbursed, 1):.1f}"
                 for k in KINDS]
        lines.append(f"| {r.rate} | " + " | ".join(cells) + " |")
    lines += ["", "Database transactions (committed or rolled back) and webhooks per disbursed "
              "loan: the round trips behind the CPU.", "",
              "| rate/s | " + " | ".join(SERVICES) + " | all | webhooks |",
              "|---:|" + "---:|" * (len(SERVICES) + 2)]
    for r in runs:
        per = max(r.disbursed, 1)
        cells = [f"{r.transactions.get(s, 0) / per:.1f}" for s in SERVICES]
        lines.append(f"| {r.rate} | " + " | ".join(cells)
                     + f" | {sum(r.transactions.values()) / per:.1f} | {r.webhooks / per:.1f} |")
    return "\n".join(lines)


SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
KINDS = ("intake", "underwriting", "ledger", "servicing", "collections", "postgres", "kafka",
         "simulators", "supervisor")


def goals(runs: list[RateRun]) -> list[dict[str, str]]:
    at_goal = next((r for r in runs if r.rate == GOAL_RATE), None)
    if at_goal is None:
        return []
    return [
        {"benchmark": "e2e", "goal": f"{GOAL_RATE}/s for {at_goal.seconds} s: decision "
         f"p99 ≤ {GOAL_DECISION_P99:g} s, disbursed p99 ≤ {GOAL_DISBURSED_P99:g} s, none lost",
         "measured": f"decision p99 {at_goal.decision['p99']} s, disbursed p99 "
         f"{at_goal.to_disbursed['p99']} s, {at_goal.lost} lost",
         "met": "yes" if at_goal.holds() else "no"},
        {"benchmark": "e2e", "goal": f"server CPU per disbursed loan ≤ {GOAL_CPU_MS:g} ms",
         "measured": f"{at_goal.cpu_ms_per_loan:.1f} ms at {GOAL_RATE}/s",
         "met": "yes" if at_goal.cpu_ms_per_loan <= GOAL_CPU_MS else "no"}]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rates", default="10,25,50")
    parser.add_argument("--seconds", type=int, default=60, help="each rate's run")
    parser.add_argument("--goal-seconds", type=int, default=180, help="the 50/s run")
    parser.add_argument("--no-max", action="store_true", help="skip the search for the max")
    parser.add_argument("--profile", default="bench-e2e")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    runs = asyncio.run(bench(rates, args.seconds, args.goal_seconds, not args.no_max,
                             args.profile))
    print(markdown(runs))
    if args.json_out:
        args.json_out.write_text(json.dumps(
            {"runs": [{**r.__dict__, "cpu_ms_per_loan": r.cpu_ms_per_loan} for r in runs],
             "goals": goals(runs)}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
