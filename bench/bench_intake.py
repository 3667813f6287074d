"""Intake throughput and latency beside a bare FastAPI endpoint doing one insert, same run.

    .venv/bin/python bench/bench_intake.py [--seconds 5] [--repeats 3] [--workers 2]
                                           [--json-out FILE]

Starts, on the local PostgreSQL and Kafka: the real intake service (`python -m lending_intake`
with INTAKE_WORKERS processes, relay, consumer and sweeps running) on a fresh database, and a
bare FastAPI app with as many uvicorn processes whose endpoint does a single INSERT on another
fresh database. For each, `--repeats` times: maximum accepted requests/s with a fixed number
of concurrent clients, then p50/p99 latency at a fixed arrival rate of 300/s; medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from fastapi import Request
from loadgen import closed_loop, open_loop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT / "bench"))
PATH = "/v1/applications"


def baseline_factory() -> Any:
    """For `uvicorn --factory` in each baseline worker process."""
    return baseline_app(os.environ["BENCH_BASELINE_DATABASE_URL"])


async def _create_raw_table(database_url: str) -> None:
    """Once, before the baseline's worker processes start (they would race on it)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE IF NOT EXISTS raw "
                                    "(id text PRIMARY KEY, body jsonb NOT NULL)"))
    finally:
        await engine.dispose()


def baseline_app(database_url: str) -> Any:
    from fastapi import FastAPI
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url, pool_size=10, max_overflow=10)
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v1/applications", status_code=202)
    async def insert(request: Request) -> dict[str, str]:
        body = await request.body()
        app_id = uuid.uuid4().hex
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO raw VALUES (:id, CAST(:body AS jsonb))"),
                               {"id": app_id, "body": body.decode()})
        return {"id": app_id}

    return app


def _wait_ready(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2,
                        help="uvicorn processes, for intake and for the baseline alike")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--serve-baseline", nargs=3, metavar=("PORT", "DATABASE_URL", "WORKERS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        import uvicorn

        port, url, workers = args.serve_baseline
        asyncio.run(_create_raw_table(url))
        os.environ["BENCH_BASELINE_DATABASE_URL"] = url
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "bench"), os.environ.get("PYTHONPATH", "")])
        uvicorn.run("bench_intake:baseline_factory", factory=True, host="127.0.0.1",
                    port=int(port), workers=int(workers), log_level="warning")
        return

    from intake_helpers import application_body, free_port

    from lending_devstack.settings import DevstackSettings
    from lending_devstack.stack import Infra

    settings = DevstackSettings()
    infra = Infra(settings)
    infra.up(databases=())
    names = [f"bench_intake_{uuid.uuid4().hex[:8]}", f"bench_raw_{uuid.uuid4().hex[:8]}"]
    for name in names:
        infra.postgres.ensure_database(name)
    intake_url, raw_url = (settings.database_url(n) for n in names)
    intake_port, raw_port = free_port(), free_port()
    env = {**os.environ, "INTAKE_DATABASE_URL": intake_url, "INTAKE_PORT": str(intake_port),
           "INTAKE_LOG_LEVEL": "WARNING", "INTAKE_DB_POOL_SIZE": "20",
           "INTAKE_WORKERS": str(args.workers),
           "INTAKE_CONSUMER_GROUP": f"bench-{uuid.uuid4().hex[:8]}",
           "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap}
    procs = [
        subprocess.Popen([sys.executable, "-m", "lending_intake"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, __file__, "--serve-baseline", str(raw_port), raw_url,
                          str(args.workers)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        _wait_ready(f"http://127.0.0.1:{intake_port}/readyz")
        _wait_ready(f"http://127.0.0.1:{raw_port}/healthz")
        key = asyncio.run(_partner(intake_url))
        body = application_body()

        def intake_headers() -> dict[str, str]:
            return {"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex}

        results: dict[str, Any] = {}
        for label, url, headers in (
            ("bare FastAPI, one INSERT", f"http://127.0.0.1:{raw_port}/v1/applications",
             dict),
            ("intake POST /v1/applications",
             f"http://127.0.0.1:{intake_port}/v1/applications", intake_headers),
        ):
            port = int(url.rsplit(":", 1)[1].split("/")[0])
            asyncio.run(closed_loop("127.0.0.1", port, PATH, body, headers, 1.5,
                                    args.concurrency))  # warm-up
            rates, p50s, p99s, errors = [], [], [], 0
            for _ in range(args.repeats):
                rate, closed = asyncio.run(closed_loop("127.0.0.1", port, PATH, body, headers,
                                                       args.seconds, args.concurrency))
                fixed = asyncio.run(open_loop("127.0.0.1", port, PATH, body, headers,
                                              args.rate, args.seconds))
                rates.append(rate)
                p50s.append(fixed.percentile_ms(50))
                p99s.append(fixed.percentile_ms(99))
                errors += sum(n for s, n in closed.statuses.items() if s != 202) + sum(
                    n for s, n in fixed.statuses.items() if s != 202)
                print(f"{label}: {rate:.1f}/s, p99 {p99s[-1]:.1f} ms", file=sys.stderr)
            results[label] = {"max_per_second": round(statistics.median(rates), 1),
                              "p50_ms": round(statistics.median(p50s), 2),
                              "p99_ms": round(statistics.median(p99s), 2),
                              "max_per_second_runs": [round(r, 1) for r in rates],
                              "p99_ms_runs": [round(p, 2) for p in p99s], "errors": errors}
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)
        for name in names:
            infra.postgres.drop_database(name)
    bare, intake = results["bare FastAPI, one INSERT"], results["intake POST /v1/applications"]
    print("## Intake: POST /v1/applications beside a bare FastAPI one-INSERT endpoint\n")
    print(f"Same PostgreSQL, {args.workers} uvicorn process(es) each, loaded by bench/loadgen.py "
          f"(keep-alive asyncio HTTP/1.1, on the same machine): {args.concurrency} closed-loop "
          f"clients for the maximum rate, then an open loop at {args.rate:.0f}/s for the "
          f"latency (from each request's scheduled start); medians of {args.repeats} runs of "
          f"{args.seconds:g} s. Goal: >= 1,000 applications/s; p99 <= 50 ms at 300/s.\n")
    print(f"| endpoint | max accepted/s ({args.concurrency} clients) | p50 ms @ "
          f"{args.rate:.0f}/s | p99 ms @ {args.rate:.0f}/s | errors |")
    print("|---|---|---|---|---|")
    for label, r in results.items():
        print(f"| {label} | {r['max_per_second']} | {r['p50_ms']} | {r['p99_ms']} | "
              f"{r['errors']} |")
    ratio = intake["max_per_second"] / bare["max_per_second"]
    print(f"\nintake / bare insert throughput: {ratio:.2f}x")
    goals = [
        {"benchmark": "intake", "goal": ">= 1,000 applications/s",
         "measured": f"{intake['max_per_second']:,}/s (bare insert {bare['max_per_second']:,}/s; "
                     f"{args.workers} workers)",
         "met": "yes" if intake["max_per_second"] >= 1000 and not intake["errors"] else "no"},
        {"benchmark": "intake", "goal": "p99 <= 50 ms at 300/s",
         "measured": f"{intake['p99_ms']:,} ms (p50 {intake['p50_ms']} ms; bare insert p99 "
                     f"{bare['p99_ms']:,} ms)",
         "met": "yes" if intake["p99_ms"] <= 50 and not intake["errors"] else "no"},
    ]
    if args.json_out:
        args.json_out.write_text(json.dumps({
            "benchmark": "intake", "seconds": args.seconds, "repeats": args.repeats,
            "workers": args.workers, "concurrency": args.concurrency, "fixed_rate": args.rate,
            "results": results, "throughput_ratio": round(ratio, 3), "goals": goals,
        }, indent=2) + "\n")


async def _partner(database_url: str) -> str:
    from lending_intake.bootstrap import build_issuer
    from lending_intake.config import Settings
    from lending_intake.service_layer import credentials
    from lending_platform.database import create_engine, session_factory

    engine = create_engine(database_url, pool_size=1)
    try:
        issuer = build_issuer(Settings(database_url=database_url), session_factory(engine))
        # The benchmark measures the service, not the partner's rate limit.
        made = await credentials.create_partner(issuer, "bench", rate_limit=1_000_000)
        return made.api_key
    finally:
        await engine.dispose()


if __name__ == "__main__":
    main()
