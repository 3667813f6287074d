# ruff: noqa: ASYNC110, ASYNC240  (a benchmark script: polling and small file writes are fine)
"""Benchmark: the reliable path (outbox → relay → Kafka → consumer runner with inbox)
beside a raw aiokafka produce/consume loop on the same broker, same event size and
partitions, in the same run.

    .venv/bin/python bench/bench_messaging.py --events 50000 --json-out FILE

The consumer side runs in its own process in both paths (as a consuming service would);
latency is wall clock from the producing transaction's commit (raw: from send) to the
consumer's handling, both on this machine's clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from lending_devstack import Infra
from lending_devstack.topics import ensure_topics
from lending_events import Envelope
from lending_messaging import (
    ConsumerRunner,
    KafkaEventPublisher,
    OutboxRelay,
    add_many_to_outbox,
    create_tables,
)
from lending_messaging.context import new_context, use_context
from lending_messaging.outbox import wire_headers

PER_TX, LOANS = 100, 5000
WARMUP = 200  # events through the whole path before timing starts, in both paths


def envelopes(n: int) -> list[Envelope]:
    return [
        Envelope(source="bench", type="PaymentApplied", subject=f"loan-{i % LOANS}",
                 data={"amount": "125.00", "currency": "EUR", "n": i})
        for i in range(n)
    ]


# --- consumer processes ----------------------------------------------------------------
def reliable_consumer(db_url: str, bootstrap: str, topic: str, n: int, concurrency: int,
                      ready: Any, out: str, max_records: int) -> None:
    async def main() -> None:
        engine = create_async_engine(db_url, pool_size=4)
        handled: dict[str, float] = {}

        async def count(session: Any, batch: Sequence[Envelope]) -> None:
            """The trivial effect, set-based: one upsert per batch, counting per loan."""
            per_loan = Counter(e.subject for e in batch)
            await session.execute(
                text("INSERT INTO counters SELECT * FROM unnest("
                     "CAST(:l AS text[]), CAST(:n AS int[])) ON CONFLICT (loan_id) "
                     "DO UPDATE SET n = counters.n + excluded.n"),
                {"l": list(per_loan), "n": list(per_loan.values())})
            now = time.time()
            handled.update((e.id, now) for e in batch)

        runner = ConsumerRunner(bootstrap, f"bench-{uuid.uuid4().hex[:6]}", [topic],
                                async_sessionmaker(engine), None, batch_handler=count,
                                max_records=max_records, concurrency=concurrency)
        task = asyncio.create_task(runner.run())
        while runner.stats.handled < n and not task.done():
            if runner.stats.handled >= WARMUP:
                ready.set()
            await asyncio.sleep(0.01)
        runner.stop()
        await task
        Path(out).write_text(json.dumps(handled))
        await engine.dispose()

    asyncio.run(main())


def raw_consumer(bootstrap: str, topic: str, n: int, ready: Any, out: str,
                 max_records: int) -> None:
    async def main() -> None:
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap,
                                    group_id=f"raw-{uuid.uuid4().hex[:6]}",
                                    enable_auto_commit=False, auto_offset_reset="earliest",
                                    fetch_max_wait_ms=100,
                                    max_partition_fetch_bytes=4 * 1024 * 1024)
        await consumer.start()
        got: dict[str, float] = {}
        while len(got) < n:
            if len(got) >= WARMUP:
                ready.set()
            batches = await consumer.getmany(timeout_ms=200, max_records=max_records)
            now = time.time()
            for records in batches.values():
                for r in records:
                    got[dict(r.headers)["ce_id"].decode()] = now
            if batches:
                await consumer.commit()
        await consumer.stop()
        Path(out).write_text(json.dumps(got))

    asyncio.run(main())


def spawn(target: Any, *args: Any) -> tuple[Any, Any]:
    """Starts a consumer process; its ``ready`` event is set once it has handled the warm-up
    events, so group joins and first fetches happen before the clock starts."""
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=target, args=(*args[:-2], ready, *args[-2:]))
    proc.start()
    return proc, ready


async def warmed_up(ready: Any) -> None:
    if not await asyncio.get_running_loop().run_in_executor(None, ready.wait, 120):
        raise RuntimeError("the consumer did not handle the warm-up events")


def summarise(sent: dict[str, float], handled: dict[str, float], first: float) -> dict[str, float]:
    latencies = sorted(handled[i] - sent[i] for i in sent)
    elapsed = max(handled.values()) - first
    return {
        "events_per_s": len(sent) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
        "seconds": elapsed,
    }


# --- the two paths -----------------------------------------------------------------------
async def reliable_run(db_urls: tuple[str, str], bootstrap: str, topic: str, n: int, args: Any,
                       tmp: Path) -> dict[str, float]:
    """Producer service database and consumer service database, as in production."""
    db_url, consumer_db_url = db_urls
    writers = args.writers
    engine = create_async_engine(db_url, pool_size=writers + 2)
    warmup, events = envelopes(WARMUP), envelopes(n)
    out = tmp / f"reliable-{topic}.json"
    proc, ready = spawn(reliable_consumer, consumer_db_url, bootstrap, topic, WARMUP + n,
                        args.consumer_concurrency, str(out), args.max_records)
    publisher = KafkaEventPublisher(bootstrap, linger_ms=args.linger_ms,
                                    max_batch_size=args.max_batch_size)
    await publisher.start()
    relay = OutboxRelay(engine, publisher, batch_size=args.relay_batch, poll_interval=0.005)
    relay_task = asyncio.create_task(relay.run())
    committed: dict[str, float] = {}
    async with engine.begin() as conn:
        await add_many_to_outbox(conn, warmup, topic)
    await warmed_up(ready)

    async def writer(mine: list[Envelope]) -> None:
        for i in range(0, len(mine), PER_TX):
            chunk = mine[i : i + PER_TX]
            # as in a service, every write happens while handling a request or a message
            with use_context(new_context()):
                async with engine.begin() as conn:
                    await add_many_to_outbox(conn, chunk, topic)
            now = time.time()
            committed.update((e.id, now) for e in chunk)

    first = time.time()
    await asyncio.gather(*(writer(events[w::writers]) for w in range(writers)))
    written = time.time() - first
    while relay.published < WARMUP + n:
        await asyncio.sleep(0.005)
    relayed = time.time() - first
    await asyncio.get_running_loop().run_in_executor(None, proc.join, 300)
    print(f"  reliable: written {written:.2f}s relayed {relayed:.2f}s "
          f"handled {time.time() - first:.2f}s", file=sys.stderr, flush=True)
    relay.stop()
    await relay_task
    await publisher.stop()
    await engine.dispose()
    return summarise(committed, json.loads(out.read_text()), first)


async def raw_run(bootstrap: str, topic: str, n: int, args: Any, tmp: Path) -> dict[str, float]:
    warmup, events = envelopes(WARMUP), envelopes(n)
    out = tmp / f"raw-{topic}.json"
    proc, ready = spawn(raw_consumer, bootstrap, topic, WARMUP + n, str(out), args.max_records)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=args.linger_ms,
                                max_batch_size=args.max_batch_size)
    await producer.start()
    await asyncio.gather(*[
        await producer.send(topic, e.to_bytes(), key=e.subject.encode(),
                            headers=[(k, v.encode()) for k, v in wire_headers(e).items()])
        for e in warmup
    ])
    await warmed_up(ready)
    sent: dict[str, float] = {}
    first = time.time()
    for i in range(0, n, args.relay_batch):
        futures = []
        for e in events[i : i + args.relay_batch]:
            headers = [(k, v.encode()) for k, v in wire_headers(e).items()]
            sent[e.id] = time.time()
            futures.append(await producer.send(topic, e.to_bytes(), key=e.subject.encode(),
                                               headers=headers))
        await asyncio.gather(*futures)
    await producer.stop()
    await asyncio.get_running_loop().run_in_executor(None, proc.join, 300)
    return summarise(sent, json.loads(out.read_text()), first)


async def main(args: Any) -> dict[str, Any]:
    infra = Infra()
    await asyncio.to_thread(infra.up, ())
    dbs = [f"bench_messaging_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for db in dbs:
        infra.postgres.ensure_database(db)
        engine = create_async_engine(infra.s.database_url(db))
        await create_tables(engine)
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE counters (loan_id text PRIMARY KEY, n int)"))
        await engine.dispose()
    db_urls = (infra.s.database_url(dbs[0]), infra.s.database_url(dbs[1]))
    bootstrap = infra.s.kafka_bootstrap
    tmp = Path(infra.s.local / "bench")
    tmp.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, float]]] = {"reliable": [], "raw": []}
    try:
        for _ in range(args.repeats):
            topics = [f"bench.{kind}.{uuid.uuid4().hex[:8]}" for kind in ("raw", "reliable")]
            await ensure_topics(bootstrap, args.partitions, topics + [t + ".dlq" for t in topics])
            results["raw"].append(await raw_run(bootstrap, topics[0], args.events, args, tmp))
            results["reliable"].append(
                await reliable_run(db_urls, bootstrap, topics[1], args.events, args, tmp)
            )
    finally:
        for db in dbs:
            infra.postgres.drop_database(db)
    medians = {
        kind: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        for kind, runs in results.items()
    }
    return {
        "events": args.events, "repeats": args.repeats, "partitions": args.partitions,
        "event_bytes": len(envelopes(1)[0].to_bytes()),
        "settings": {k: v for k, v in vars(args).items() if k != "json_out"},
        "runs": results, "median": medians,
        "ratio": medians["reliable"]["events_per_s"] / medians["raw"]["events_per_s"],
    } | {"goals": goals(medians)}


def goals(m: dict[str, dict[str, float]]) -> list[dict[str, str]]:
    reliable, raw = m["reliable"]["events_per_s"], m["raw"]["events_per_s"]
    return [
        {"benchmark": "messaging, reliable path", "goal": ">= 5,000 events/s",
         "measured": f"{reliable:,.0f} events/s", "met": "yes" if reliable >= 5000 else "no"},
        {"benchmark": "messaging, reliable / raw", "goal": ">= 0.5",
         "measured": f"{reliable / raw:.2f} (raw {raw:,.0f}/s)",
         "met": "yes" if reliable / raw >= 0.5 else "no"},
    ]


def table(report: dict[str, Any]) -> str:
    m = report["median"]
    lines = [
        "## Reliable messaging: outbox -> relay -> Kafka -> consumer with inbox",
        "",
        "Beside a raw aiokafka produce/consume loop (acks=all, idempotent) on the same broker, "
        "same event size and partitions; both paths warmed up first. Goal: the reliable path "
        ">= 5,000 events/s end to end and >= 0.5 of raw throughput.",
        "",
        f"events={report['events']} repeats={report['repeats']} "
        f"writers={report['settings']['writers']} (transactions of 100 events) "
        f"consumer lanes={report['settings']['consumer_concurrency']} "
        f"partitions={report['partitions']} event={report['event_bytes']} B",
        "",
        "| path | events/s (median) | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for kind in ("raw", "reliable"):
        r = m[kind]
        lines.append(f"| {kind} | {r['events_per_s']:,.0f} | {r['p50_ms']:.1f} | "
                     f"{r['p99_ms']:.1f} |")
    lines.append(f"\nreliable / raw throughput: {report['ratio']:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=6)
    # concurrent writing transactions of 100 events each (4 gave no better ratio here)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--relay-batch", type=int, default=2000)
    # lanes of the consuming runner; its handler is set-based, so on 2 cores fewer, larger
    # transactions beat many small ones (8, the services' default, cost PostgreSQL ~60%
    # more CPU here for the same events)
    parser.add_argument("--consumer-concurrency", type=int, default=2)
    parser.add_argument("--max-records", type=int, default=2000)
    parser.add_argument("--linger-ms", type=int, default=5)
    parser.add_argument("--max-batch-size", type=int, default=512 * 1024)
    parser.add_argument("--json-out", type=Path)
    arguments = parser.parse_args()
    report = asyncio.run(main(arguments))
    print(table(report))
    if arguments.json_out:
        arguments.json_out.write_text(json.dumps(report, indent=2))
