# ruff: noqa: ASYNC110, ASYNC240  (a benchmark script: polling and small file writes are fine)
"""Benchmark: underwriting decisions on the real PostgreSQL and Kafka, beside the bare
scoring function (and the bare pure decision) measured in the same run.

    .venv/bin/python bench/bench_underwriting.py --rate 200 --seconds 15 --json-out FILE

The service runs in its own process (as deployed: consumer, relay, the HTTP bureau adapter)
against the credit bureau simulator in another process. The bench publishes
ApplicationSubmitted events at ``--rate`` per second onto intake's topic and times, inside
the service process, each application from the moment its handler takes it (consumed) to
the moment the broker acknowledged its decision event (published), plus the end-to-end time
from the bench's send. A burst run then gives the throughput: applications published as
fast as possible, decisions per second from the first consumed to the last published.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lending_devstack import Infra

DECISIONS = {"LoanApproved", "ApplicationDeclined", "ApplicationReferred"}
MEASURED = "bench-"  # the ids of the applications measured (the warm-up's are "warm-")
BENCH_KEYS = ("warm-", MEASURED)  # the applications' ids: the bench's own, nothing else


# --- the service process -------------------------------------------------------------------
def service_process(db_url: str, bootstrap: str, bureau_url: str, out: str, ready: Any,
                    stop: Any, decided: Any, profile: str | None = None,
                    concurrency: int | None = None) -> None:
    from pathlib import Path as P

    from lending_messaging.kafka_publisher import KafkaEventPublisher
    from lending_platform.app import build_app
    from lending_platform.testing import _consumer_caught_up
    from lending_underwriting.bootstrap import bootstrap as wire
    from lending_underwriting.config import Settings

    consumed: dict[str, float] = {}
    published: dict[str, float] = {}
    info: dict[str, Any] = {}

    class TimingPublisher(KafkaEventPublisher):
        async def publish(self, batch: Sequence[Any]) -> None:
            await super().publish(batch)
            now = time.time()
            for message in batch:  # the relay's ce_type header: no parsing in the timed process
                if dict(message.headers).get("ce_type", b"").decode() in DECISIONS:
                    key = message.key.decode()
                    if key not in published:
                        published[key] = now
                        if key.startswith(BENCH_KEYS):  # acknowledged: the bench may go on
                            decided.value += 1
                        if key.startswith(MEASURED):
                            info["cpu_last"] = time.process_time()
                            info["decided"] = info.get("decided", 0) + 1

    settings = Settings(database_url=db_url, kafka_bootstrap_servers=bootstrap,
                        consumer_group=f"bench-uw-{uuid.uuid4().hex[:6]}", bureau_url=bureau_url,
                        consumer_offset_reset="latest", log_level="WARNING",
                        **({"consumer_concurrency": concurrency} if concurrency else {}))

    def composed(s: Any) -> Any:
        runtime = wire(s, publisher=TimingPublisher(bootstrap))
        consumer = runtime.workers["consumer"]

        def received(records: Sequence[Any]) -> None:  # fetched from Kafka: 'consumed'
            now = time.time()
            for r in records:
                if r.key is not None:
                    key = r.key.decode()
                    consumed.setdefault(key, now)
                    if key.startswith(MEASURED) and "cpu_first" not in info:
                        info["cpu_first"] = time.process_time()

        consumer.on_received = received
        info["concurrency"] = consumer.concurrency
        return runtime

    import lending_underwriting.entrypoints.app as entry

    app = build_app(settings, bootstrap=composed,
                    migrations_dir=P(entry.__file__).parents[1] / "migrations",
                    routers=[], title="underwriting (bench)")

    async def main() -> None:
        async with app.router.lifespan_context(app):
            # "latest" is fixed per partition on the first fetch: wait until a probe is
            # handled, or the first applications could fall before the starting point.
            await _consumer_caught_up(app)
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
        P(out).write_text(json.dumps({"consumed": consumed, "published": published, **info}))

    # As deployed: `python -m lending_underwriting` runs under uvicorn, whose loop="auto"
    # picks uvloop when it is installed (it is, with uvicorn[standard]).
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    if profile:
        import cProfile

        # CPU time, not wall time: on a shared machine a preempted socket call would
        # otherwise look like the most expensive line of the service
        profiler = cProfile.Profile(time.process_time)
        profiler.runctx("asyncio.run(main())", globals(), locals())
        profiler.dump_stats(profile)
    else:
        asyncio.run(main())


def bureau_process(port: int, latency_ms: float = 0.0) -> None:
    import uvicorn

    from lending_simulators.credit_bureau import create_app

    uvicorn.run(create_app(latency_ms=latency_ms), host="127.0.0.1", port=port,
                log_level="warning")


# --- the bench -----------------------------------------------------------------------------
def application(loan_id: str, i: int) -> Any:
    from lending_events.intake import ApplicationSubmitted
    from lending_events.samples import SAMPLE_DATA

    amount = 2000 + (i * 7919) % 30000
    return ApplicationSubmitted.model_validate({
        **SAMPLE_DATA["ApplicationSubmitted"], "loan_id": loan_id, "currency": "CNY",
        "country": "CN", "product_code": "personal-credit", "identity_hash": f"bench-{loan_id}",
        "requested_amount": f"{amount}.00", "requested_term": {"count": 6 + i % 25,
                                                               "unit": "month"},
        "declared_monthly_income": f"{5000 + (i * 104729) % 20000}.00",
        "declared_monthly_obligations": f"{(i * 1299709) % 1500}.00"})


async def produce(bootstrap: str, loan_ids: list[str], rate: float | None,
                  offset: int) -> dict[str, float]:
    from aiokafka import AIOKafkaProducer

    from lending_events import to_envelope

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=0)
    # Built before the clock starts: validating and serialising them while sending would
    # spend the measured machine's CPU on the bench.
    values = [to_envelope(application(loan_id, offset + n), source="bench").to_bytes()
              for n, loan_id in enumerate(loan_ids)]
    await producer.start()
    sent: dict[str, float] = {}
    began = time.monotonic()
    try:
        for n, (loan_id, value) in enumerate(zip(loan_ids, values, strict=True)):
            if rate:
                delay = began + n / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent[loan_id] = time.time()
            await producer.send("lending.intake.v1", value, key=loan_id.encode())
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def run(infra: Any, rate: float | None, count: int, tmp: Path, bureau_latency_ms: float,
              profile: str | None = None, concurrency: int | None = None) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    db = f"bench_underwriting_{uuid.uuid4().hex[:8]}"
    infra.postgres.ensure_database(db)
    port = _free_port()
    bureau = ctx.Process(target=bureau_process, args=(port, bureau_latency_ms), daemon=True)
    bureau.start()
    ready, stop, decided = ctx.Event(), ctx.Event(), ctx.Value("i", 0)
    out = tmp / f"stamps-{uuid.uuid4().hex[:6]}.json"
    service = ctx.Process(target=service_process, args=(
        infra.s.database_url(db), infra.s.kafka_bootstrap, f"http://127.0.0.1:{port}",
        str(out), ready, stop, decided, profile, concurrency), daemon=True)
    service.start()
    (tmp / "service.pid").write_text(str(service.pid))  # for a sampling profiler (py-spy)
    try:
        await asyncio.get_running_loop().run_in_executor(None, ready.wait, 120)
        # warm-up (connections, caches, the first fetch fixes "latest")
        warm = [f"warm-{uuid.uuid4().hex[:12]}" for _ in range(20)]
        await produce(infra.s.kafka_bootstrap, warm, 50, 10_000_000)
        await _await_decisions(decided, len(warm))
        loan_ids = [f"{MEASURED}{uuid.uuid4().hex[:16]}" for _ in range(count)]
        sent = await produce(infra.s.kafka_bootstrap, loan_ids, rate, 0)
        await _await_decisions(decided, len(warm) + count)
    finally:
        stop.set()
        await asyncio.get_running_loop().run_in_executor(None, service.join, 60)
        bureau.terminate()
        infra.postgres.drop_database(db)
    stamps = json.loads(out.read_text())
    consumed, published = stamps["consumed"], stamps["published"]
    ids = [i for i in loan_ids if i in consumed and i in published]
    handle = [(published[i] - consumed[i]) * 1000 for i in ids]
    end_to_end = [(published[i] - sent[i]) * 1000 for i in ids]
    span = max(published[i] for i in ids) - min(consumed[i] for i in ids)
    return {"rate": rate, "applications": count, "decided": len(ids),
            "decisions_per_s": len(ids) / span if span > 0 else 0.0,
            "consumed_to_published_ms": _percentiles(handle),
            "sent_to_published_ms": _percentiles(end_to_end),
            "service_cpu_ms_per_decision": _cpu_per_decision(stamps),
            "consumer_concurrency": stamps.get("concurrency"),
            "bureau_latency_ms": bureau_latency_ms}


def _cpu_per_decision(stamps: dict[str, Any]) -> float:
    """This process's CPU (consumer, decisions, relay) from the first measured application
    fetched to the last one's decision acknowledged, per decision: the warm-up and the
    time around the run (startup, the bench's waits) stay out of it."""
    seconds = stamps.get("cpu_last", 0.0) - stamps.get("cpu_first", 0.0)
    return round(seconds * 1000 / max(1, stamps.get("decided", 0)), 2)


async def _await_decisions(decided: Any, count: int, limit: float = 300) -> None:
    # The service counts the decisions the broker acknowledged: a Kafka reader of its topic
    # here cost the bench (and the broker serving it) ~0.5 ms of CPU a decision on the
    # machine it measures.
    deadline = time.monotonic() + limit
    while decided.value < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if decided.value < count:
        raise RuntimeError(f"{count - decided.value} applications got no decision")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": round(statistics.median(ordered), 2), "p90": round(at(0.90), 2),
            "p99": round(at(0.99), 2), "max": round(ordered[-1], 2)}


def baselines(iterations: int) -> dict[str, Any]:
    """The bare scoring function and the bare pure decision, same machine, same run."""
    from lending_underwriting.adapters.model_store import ModelRegistry
    from lending_underwriting.adapters.policy_file import load_policy_book
    from lending_underwriting.domain.decision import DecisionInputs, decide
    from lending_underwriting.domain.features import features
    from lending_underwriting.domain.model import BorrowerExposure
    from lending_underwriting.service_layer.decisions import application_from
    from lending_underwriting.testing import bureau_report

    book, card = load_policy_book(), ModelRegistry.from_directory().current
    apps = [application_from(application(f"base-{i:012d}", i)) for i in range(200)]
    report = bureau_report()
    inputs = [DecisionInputs(a, report, BorrowerExposure(), date(2025, 3, 3),
                             datetime(2025, 3, 3, tzinfo=UTC)) for a in apps]
    values = [features(a, report, BorrowerExposure()) for a in apps]
    out: dict[str, Any] = {}
    for name, fn, n in (("score", lambda i: card.score(values[i % 200]), iterations),
                        ("decide", lambda i: decide(inputs[i % 200], book, card),
                         max(200, iterations // 20))):
        timings = []
        for i in range(n):
            began = time.perf_counter()
            fn(i)
            timings.append((time.perf_counter() - began) * 1000)
        out[name] = {"calls": n, "per_s": round(1000 / statistics.mean(timings)),
                     "ms": _percentiles(timings)}
    return out


async def main(args: Any) -> dict[str, Any]:
    infra = Infra()
    await asyncio.to_thread(infra.up, ())
    tmp = Path(infra.s.local / "bench")
    tmp.mkdir(parents=True, exist_ok=True)
    baseline = baselines(args.iterations)
    paced = await run(infra, args.rate, int(args.rate * args.seconds), tmp,
                      args.bureau_latency_ms, args.profile, args.concurrency)
    burst = await run(infra, None, args.burst, tmp, args.bureau_latency_ms,
                      concurrency=args.concurrency)
    # Below the goal's rate: where the latency stands while there is capacity to spare.
    below = [await run(infra, rate, int(rate * args.sweep_seconds), tmp,
                       args.bureau_latency_ms, concurrency=args.concurrency)
             for rate in args.sweep]
    report = {"settings": {k: str(v) for k, v in vars(args).items() if k != "json_out"},
              "baseline": baseline, "paced": paced, "burst": burst, "below": below,
              "goal": {"rate": 200, "p99_ms": 20}}
    report["goals"] = goals(report)
    return report


def goals(report: dict[str, Any]) -> list[dict[str, str]]:
    p, b = report["paced"], report["baseline"]
    p99 = p["consumed_to_published_ms"]["p99"]
    within = [r["rate"] for r in report.get("below", [])
              if r["consumed_to_published_ms"]["p99"] <= 20]
    knee = f"; p99 <= 20 ms up to {max(within):g}/s offered" if within else ""
    return [{
        "benchmark": "underwriting",
        # Issue 19 replaced this one-hop goal with the end-to-end decision latency (bench_e2e).
        "goal": "- (one hop, consumed -> published; the goal is end to end: e2e)",
        "measured": f"p99 {p99:,.1f} ms at {p['rate']:g}/s offered, "
                    f"{p['decisions_per_s']:,.0f} decisions/s; burst "
                    f"{report['burst']['decisions_per_s']:,.0f}/s "
                    f"(bare score() {b['score']['per_s']:,}/s, "
                    f"decide() {b['decide']['per_s']:,}/s){knee}",
        "met": "-",
    }]


def table(report: dict[str, Any]) -> str:
    b, p, u = report["baseline"], report["paced"], report["burst"]
    c, e = p["consumed_to_published_ms"], p["sent_to_published_ms"]
    lines = [
        "## Underwriting: decisions",
        "",
        f"Paced at {p['rate']:g} applications/s for {p['applications']} applications "
        f"(personal-credit, varied amounts, terms and incomes; bureau simulator over HTTP "
        f"with {p['bureau_latency_ms']:g} ms added latency); burst of {u['applications']}. "
        f"Consumer concurrency: {p['consumer_concurrency']} lanes. 'Consumed' is when the "
        f"consumer fetched the record from Kafka.",
        "",
        "| what | per second | p50 ms | p90 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
        f"| baseline: bare scorecard `score()` | {b['score']['per_s']:,} | "
        f"{b['score']['ms']['p50']:.3f} | {b['score']['ms']['p90']:.3f} | "
        f"{b['score']['ms']['p99']:.3f} | {b['score']['ms']['max']:.3f} |",
        f"| pure `decide()` (rules, score, price, schedule, APR) | {b['decide']['per_s']:,} | "
        f"{b['decide']['ms']['p50']:.2f} | {b['decide']['ms']['p90']:.2f} | "
        f"{b['decide']['ms']['p99']:.2f} | {b['decide']['ms']['max']:.2f} |",
        f"| service at {p['rate']:g}/s: consumed -> decision published | "
        f"{p['decisions_per_s']:,.0f} | {c['p50']:.1f} | {c['p90']:.1f} | {c['p99']:.1f} | "
        f"{c['max']:.1f} |",
        f"| service at {p['rate']:g}/s: sent by intake -> decision published | | "
        f"{e['p50']:.1f} | {e['p90']:.1f} | {e['p99']:.1f} | {e['max']:.1f} |",
        f"| service, burst: consumed -> published | {u['decisions_per_s']:,.0f} | "
        f"{u['consumed_to_published_ms']['p50']:.1f} | {u['consumed_to_published_ms']['p90']:.1f}"
        f" | {u['consumed_to_published_ms']['p99']:.1f} | "
        f"{u['consumed_to_published_ms']['max']:.1f} |",
        "",
        f"CPU of the service process (consumer, decisions, relay) per decision: "
        f"{p['service_cpu_ms_per_decision']:.2f} ms paced, "
        f"{u['service_cpu_ms_per_decision']:.2f} ms in the burst.",
        "",
        "Below the goal's rate, the same service and bench:",
        "",
        "| offered | decided per second | consumed -> published p50 / p90 / p99 ms | "
        "service CPU per decision |",
        "|---:|---:|---:|---:|",
        *(f"| {b['rate']:g}/s | {b['decisions_per_s']:,.0f} | "
          f"{b['consumed_to_published_ms']['p50']:.1f} / "
          f"{b['consumed_to_published_ms']['p90']:.1f} / "
          f"{b['consumed_to_published_ms']['p99']:.1f} | "
          f"{b['service_cpu_ms_per_decision']:.2f} ms |" for b in report.get("below", [])),
        "",
        "Goal: p99 <= 20 ms at 200 applications/s (consumed -> published). 'Published' is the "
        "broker's acknowledgement of the decision event, after the outbox relay picked it up.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--sweep", type=lambda v: [float(r) for r in v.split(",") if r],
                        default=[50.0, 100.0, 150.0],
                        help="lower paced rates also measured, comma-separated ('' for none)")
    parser.add_argument("--sweep-seconds", type=float, default=10)
    parser.add_argument("--bureau-latency-ms", type=float, default=0.0,
                        help="the simulator's added latency per report (its default: 0)")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--profile", help="cProfile the service process of the paced run")
    parser.add_argument("--concurrency", type=int,
                        help="the service's consumer lanes (default: its setting)")
    arguments = parser.parse_args()
    result = asyncio.run(main(arguments))
    print(table(result))
    if arguments.json_out:
        arguments.json_out.write_text(json.dumps(result, indent=2, default=str))

