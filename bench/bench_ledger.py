"""Benchmark: the ledger's event store beside the `eventsourcing` library's PostgreSQL
recorder (psycopg 3), on the same server, in the same run, with the same event payloads.

    .venv/bin/python bench/bench_ledger.py --json-out bench/results/ledger.json

Workloads (the same for both contenders):
- append: WRITERS concurrent writers, each transaction appends PER_TX events to one loan's
  stream (optimistic version check), then again with BATCH loans per transaction (as the
  day close and a consumer batch write). Ours also writes the integration events to the outbox
  in the same transaction (the store is its own outbox); the peer's ApplicationRecorder
  serialises its notification ids with a table lock. "ours, events only" omits the outbox.
  Our engine is the services' (lending_platform.database.create_engine: it pings a pooled
  connection only after it has been idle 10 s, so, like the peer's pool, not at every
  checkout).
- load: a 1,000-event loan (booking, payout, accruals, payments) folded into the real
  LoanAccount, without a snapshot and with one 25 events back (snapshots every 50).
- rebuild: every event of LOANS loans read in order and folded into its account (the peer
  reads its notification log); "ours, full" is `loanctl ledger rebuild` including the
  projection and snapshot writes; "fold in memory" folds the same events already in memory
  (decoded JSON text -> accounts), the ceiling the database read leaves.
Each figure is the median of REPEATS runs. The JSON has a "goals" list (bench/run_all.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
)
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

import lending_ledger
from lending_devstack import Infra
from lending_events import Envelope
from lending_ledger.adapters.event_store import NewEvent, PostgresEventStore
from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.domain.snapshots import restore, snapshot
from lending_ledger.service_layer import maintenance
from lending_ledger.service_layer.ledger import LoanLedger
from lending_ledger.testing import built_terms
from lending_platform.database import create_engine, upgrade_to_head_async

WRITERS, PER_TX, APPEND_EVENTS, BATCH = 8, 10, 40_000, 10
LOANS, EVENTS_PER_LOAN, LONG_LOAN, REPEATS = 2_000, 50, 1_000, 3
MIGRATIONS = Path(lending_ledger.__file__).parent / "migrations"


def loan_history(n_events: int) -> list[tuple[str, dict[str, Any]]]:
    """A real loan's events: booked, paid out, then daily accruals and small payments."""
    account = LoanAccount("bench")
    account.book(terms=built_terms("5000.00", "0.24", 36, start=date(2025, 1, 1)),
                 decision_id="d", offer_id="o", applicant_id="a", partner_id="p",
                 booked_on=date(2025, 1, 1), disbursement_method="bank_transfer",
                 disbursement_account="acct")
    account.record_disbursement(disbursement_id="bench", value_date=date(2025, 1, 1),
                                provider_reference="po")
    day = date(2025, 1, 1)
    while len(account.pending) < n_events:
        day += timedelta(days=1)
        account.accrue(day)
        if day.day in (1, 15):
            account.receive_payment(payment_id=f"p{day}", amount=9_000, value_date=day,
                                    received_at=f"{day}T09:00:00Z", method="card")
    return [(c.event.type, c.event.to_data()) for c in account.pending[:n_events]]


def median(values: list[float]) -> float:
    return statistics.median(values)


# --- ours ---------------------------------------------------------------------------------
async def ours_append(engine: AsyncEngine, payload: dict[str, Any], with_outbox: bool,
                      loans_per_tx: int = 1) -> float:
    store = PostgresEventStore()
    per_writer = APPEND_EVENTS // WRITERS // PER_TX // loans_per_tx
    envelope = Envelope(source="/lending/ledger", type="PaymentApplied", subject="x",
                        data=payload)

    async def writer() -> None:
        for _ in range(per_writer):
            streams = [f"loan-{uuid.uuid4().hex[:12]}" for _ in range(loans_per_tx)]
            outbox = ("lending.ledger.v1", [
                envelope.model_copy(update={"id": str(uuid.uuid4()), "subject": s})
                for s in streams for _ in range(PER_TX)]) if with_outbox else None
            async with engine.begin() as conn:
                # as LoanLedger.save: the events and their outbox rows in one statement
                await store.append(conn, [NewEvent(s, v, "PaymentApplied", payload)
                                          for s in streams for v in range(1, PER_TX + 1)],
                                   outbox=outbox)

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    return per_writer * WRITERS * PER_TX * loans_per_tx / (time.perf_counter() - started)


async def ours_load(engine: AsyncEngine, history: list[tuple[str, dict[str, Any]]]) -> dict:
    store, ledger = PostgresEventStore(), LoanLedger()
    plain, snapped = f"long-{uuid.uuid4().hex[:8]}", f"long-{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        for stream in (plain, snapped):
            await store.append(conn, [NewEvent(stream, v, t, d)
                                      for v, (t, d) in enumerate(history, start=1)])
        at = len(history) - 25
        folded = LoanAccount(snapped)
        for v, (t, d) in enumerate(history[:at], start=1):
            folded.apply_stored(t, d, v)
        await store.save_snapshots(conn, [(snapped, at, snapshot(folded))])
    sessions = async_sessionmaker(engine)
    out = {}
    for name, stream in (("without_snapshot", plain), ("with_snapshot", snapped)):
        times = []
        for _ in range(30):
            async with sessions() as session:
                started = time.perf_counter()
                account = await ledger.load(session, stream)
                times.append(time.perf_counter() - started)
            assert account is not None and account.version == len(history)
        out[name] = median(times) * 1000
    return out


async def ours_seed(engine: AsyncEngine, history: list[tuple[str, dict[str, Any]]]) -> None:
    store = PostgresEventStore()
    for first in range(0, LOANS, 100):
        async with engine.begin() as conn:
            await store.append(conn, [
                NewEvent(f"r-{n:06d}", v, t, d)
                for n in range(first, first + 100) for v, (t, d) in enumerate(history, start=1)])


async def ours_fold(engine: AsyncEngine) -> float:
    started, events = time.perf_counter(), 0
    async for account in maintenance.replay_streams(engine):
        events += account.version
    return events / (time.perf_counter() - started)


def fold_in_memory(history: list[tuple[str, dict[str, Any]]]) -> float:
    rows = [(f"r-{n:06d}", v, t, json.dumps(d)) for n in range(LOANS)
            for v, (t, d) in enumerate(history, start=1)]
    started, current = time.perf_counter(), None
    for stream_id, version, type_, data in rows:
        if current is None or current.loan_id != stream_id:
            current = LoanAccount(stream_id)
        current.apply_stored(type_, orjson.loads(data), version)
    return len(rows) / (time.perf_counter() - started)


async def ours_full_rebuild(engine: AsyncEngine) -> float:
    total = await maintenance.count_events(engine)
    started = time.perf_counter()
    await maintenance.rebuild(engine)
    return total / (time.perf_counter() - started)


# --- the peer: eventsourcing's PostgreSQL recorders -----------------------------------------
def peer_datastore(url: str, pool: int) -> PostgresDatastore:
    parts = urlsplit(url.replace("+asyncpg", ""))
    return PostgresDatastore(parts.path.lstrip("/"), parts.hostname or "127.0.0.1",
                             parts.port or 5432, parts.username or "postgres",
                             parts.password or "", pool_size=pool, max_overflow=0)


def peer_append(recorder: PostgresApplicationRecorder, state: bytes,
                loans_per_tx: int = 1) -> float:
    per_writer = APPEND_EVENTS // WRITERS // PER_TX // loans_per_tx

    def writer() -> None:
        for _ in range(per_writer):
            streams = [uuid.uuid4() for _ in range(loans_per_tx)]
            recorder.insert_events([StoredEvent(s, v, "PaymentApplied", state)
                                    for s in streams for v in range(1, PER_TX + 1)])

    started = time.perf_counter()
    with ThreadPoolExecutor(WRITERS) as pool:
        for future in [pool.submit(writer) for _ in range(WRITERS)]:
            future.result()
    return per_writer * WRITERS * PER_TX * loans_per_tx / (time.perf_counter() - started)


def peer_load(events: PostgresAggregateRecorder, snaps: PostgresAggregateRecorder,
              history: list[tuple[str, dict[str, Any]]]) -> dict[str, float]:
    plain, snapped = uuid.uuid4(), uuid.uuid4()
    for stream in (plain, snapped):
        events.insert_events([StoredEvent(stream, v, t, json.dumps(d).encode())
                              for v, (t, d) in enumerate(history, start=1)])
    at = len(history) - 25
    folded = LoanAccount(str(snapped))
    for v, (t, d) in enumerate(history[:at], start=1):
        folded.apply_stored(t, d, v)
    snaps.insert_events([StoredEvent(snapped, at, "Snapshot",
                                     json.dumps(snapshot(folded)).encode())])

    def load(stream: uuid.UUID, use_snapshot: bool) -> LoanAccount:
        account, after = LoanAccount(str(stream)), None
        if use_snapshot:
            found = snaps.select_events(stream, desc=True, limit=1)
            if found:
                account, after = restore(json.loads(found[0].state)), found[0].originator_version
        for e in events.select_events(stream, gt=after):
            account.apply_stored(e.topic, json.loads(e.state), e.originator_version)
        return account

    out = {}
    for name, stream, use in (("without_snapshot", plain, False), ("with_snapshot", snapped, True)):
        times = []
        for _ in range(30):
            started = time.perf_counter()
            account = load(stream, use)
            times.append(time.perf_counter() - started)
            assert account.version == len(history)
        out[name] = median(times) * 1000
    return out


def peer_seed(recorder: PostgresApplicationRecorder, history: list[tuple[str, dict]]) -> None:
    encoded = [(t, json.dumps(d).encode()) for t, d in history]
    for first in range(0, LOANS, 100):
        recorder.insert_events([
            StoredEvent(uuid.UUID(int=n + 1), v, t, s)
            for n in range(first, first + 100) for v, (t, s) in enumerate(encoded, start=1)])


def peer_fold(recorder: PostgresApplicationRecorder) -> float:
    started, events, start = time.perf_counter(), 0, 1
    accounts: dict[Any, LoanAccount] = {}
    while True:
        page = recorder.select_notifications(start, 10_000)
        if not page:
            break
        for n in page:
            account = accounts.get(n.originator_id)
            if account is None:
                account = accounts[n.originator_id] = LoanAccount(str(n.originator_id))
            account.apply_stored(n.topic, json.loads(n.state), n.originator_version)
            events += 1
        start = page[-1].id + 1
    return events / (time.perf_counter() - started)


# --- the run ------------------------------------------------------------------------------
async def run(ours_url: str, peer_url: str, ours_rebuild_url: str,
              peer_rebuild_url: str) -> dict[str, Any]:
    """Appends and loads in one pair of databases, the rebuild in another (clean) pair."""
    engine = create_engine(ours_url, pool_size=WRITERS + 2)
    rebuild_engine = create_engine(ours_rebuild_url, pool_size=2)
    peer = peer_datastore(peer_url, WRITERS + 2)
    peer_rebuild = peer_datastore(peer_rebuild_url, 2)
    try:
        for url in (ours_url, ours_rebuild_url):
            await upgrade_to_head_async(MIGRATIONS, url)
        app_recorder = PostgresApplicationRecorder(peer, events_table_name="stored_events")
        app_recorder.create_table()
        rebuild_recorder = PostgresApplicationRecorder(peer_rebuild,
                                                       events_table_name="stored_events")
        rebuild_recorder.create_table()
        agg = PostgresAggregateRecorder(peer, events_table_name="loan_events")
        agg.create_table()
        snaps = PostgresAggregateRecorder(peer, events_table_name="loan_snapshots")
        snaps.create_table()
        history = loan_history(EVENTS_PER_LOAN)
        payload = next(d for t, d in history if t == "PaymentApplied")
        state = json.dumps(payload).encode()
        loop = asyncio.get_running_loop()
        result: dict[str, Any] = {"append": {}, "load_ms": {}, "rebuild": {}}
        appends: dict[str, list[float]] = {
            "ours": [], "ours_events_only": [], "peer": [], "ours_batched": [],
            "peer_batched": []}
        for _ in range(REPEATS):
            appends["ours"].append(await ours_append(engine, payload, True))
            appends["ours_events_only"].append(await ours_append(engine, payload, False))
            appends["peer"].append(await loop.run_in_executor(None, peer_append, app_recorder,
                                                              state))
            appends["ours_batched"].append(await ours_append(engine, payload, True, BATCH))
            appends["peer_batched"].append(await loop.run_in_executor(
                None, peer_append, app_recorder, state, BATCH))
        result["append"] = {k: median(v) for k, v in appends.items()}
        long = loan_history(LONG_LOAN)
        result["load_ms"] = {"ours": await ours_load(engine, long),
                             "peer": await loop.run_in_executor(None, peer_load, agg, snaps,
                                                                long)}
        await ours_seed(rebuild_engine, history)
        await loop.run_in_executor(None, peer_seed, rebuild_recorder, history)
        folds: dict[str, list[float]] = {"ours": [], "peer": [], "ours_full": [],
                                         "fold_in_memory": []}
        for _ in range(REPEATS):
            folds["fold_in_memory"].append(fold_in_memory(history))
            folds["ours"].append(await ours_fold(rebuild_engine))
            folds["peer"].append(await loop.run_in_executor(None, peer_fold, rebuild_recorder))
            folds["ours_full"].append(await ours_full_rebuild(rebuild_engine))
        result["rebuild"] = {k: median(v) for k, v in folds.items()}
        result["rebuild"]["events_in_store"] = await maintenance.count_events(rebuild_engine)
        result["goals"] = goals(result)
        return result
    finally:
        await engine.dispose()
        await rebuild_engine.dispose()
        peer.close()
        peer_rebuild.close()


def _goal(benchmark: str, ours: float, peer: float, floor: int) -> dict[str, str]:
    return {
        "benchmark": benchmark, "goal": f">= {floor:,} events/s and >= peer",
        "measured": f"{ours:,.0f}/s (eventsourcing {peer:,.0f}/s, {ours / peer:.2f}x)",
        "met": "yes" if ours >= floor and ours >= peer else "no",
    }


def goals(r: dict[str, Any]) -> list[dict[str, str]]:
    a, rb = r["append"], r["rebuild"]
    return [
        _goal(f"ledger append (1 loan x {PER_TX} events per tx, with outbox)", a["ours"],
              a["peer"], 10_000),
        _goal(f"ledger append ({BATCH} loans x {PER_TX} events per tx, with outbox)",
              a["ours_batched"], a["peer_batched"], 10_000),
        _goal("ledger rebuild (read + fold)", rb["ours"], rb["peer"], 100_000),
    ]


def markdown(r: dict[str, Any]) -> str:
    a, ld, rb = r["append"], r["load_ms"], r["rebuild"]
    lines = [
        "## Ledger event store vs eventsourcing (PostgreSQL recorder)",
        "",
        f"Same server, same payloads; {WRITERS} writers x {PER_TX} events per transaction "
        f"({APPEND_EVENTS:,} events), a {LONG_LOAN:,}-event loan, {LOANS:,} loans x "
        f"{EVENTS_PER_LOAN} events for the rebuild; medians of {REPEATS} runs (load: of 30).",
        "",
        "| measure | ledger | eventsourcing | ratio | goal |",
        "|---|---:|---:|---:|---|",
        f"| append, events/s (with outbox) | {a['ours']:,.0f} | {a['peer']:,.0f} | "
        f"{a['ours'] / a['peer']:.2f}x | >= 10,000 and >= peer |",
        f"| append, events/s (events only) | {a['ours_events_only']:,.0f} | {a['peer']:,.0f} | "
        f"{a['ours_events_only'] / a['peer']:.2f}x | |",
        f"| append, events/s ({BATCH} loans x {PER_TX} events per tx, with outbox) | "
        f"{a['ours_batched']:,.0f} | {a['peer_batched']:,.0f} | "
        f"{a['ours_batched'] / a['peer_batched']:.2f}x | >= 10,000 and >= peer |",
        f"| load 1,000-event loan, ms (no snapshot) | {ld['ours']['without_snapshot']:.1f} | "
        f"{ld['peer']['without_snapshot']:.1f} | "
        f"{ld['peer']['without_snapshot'] / ld['ours']['without_snapshot']:.2f}x faster | |",
        f"| load 1,000-event loan, ms (snapshot) | {ld['ours']['with_snapshot']:.1f} | "
        f"{ld['peer']['with_snapshot']:.1f} | "
        f"{ld['peer']['with_snapshot'] / ld['ours']['with_snapshot']:.2f}x faster | |",
        f"| rebuild (read + fold), events/s | {rb['ours']:,.0f} | {rb['peer']:,.0f} | "
        f"{rb['ours'] / rb['peer']:.2f}x | >= 100,000 and >= peer |",
        f"| rebuild incl. projection writes, events/s | {rb['ours_full']:,.0f} | - | - | |",
        f"| fold in memory (no database), events/s | {rb['fold_in_memory']:,.0f} | - | - | |",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    infra = Infra()
    infra.up(databases=())
    names = [f"bench_ledger_{uuid.uuid4().hex[:8]}" for _ in range(4)]
    for name in names:
        infra.postgres.ensure_database(name)
    try:
        result = asyncio.run(run(*(infra.s.database_url(n) for n in names)))
    finally:
        for name in names:
            infra.postgres.drop_database(name)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(result, indent=2))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
