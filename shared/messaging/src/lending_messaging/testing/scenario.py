"""Building blocks for the integration tests: a counter service's tables, outbox writes,
child processes that can be killed at a crash point."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lending_events import Envelope
from lending_messaging.outbox import add_many_to_outbox
from lending_messaging.relay import OutboxRelay


async def create_counter_tables(engine: AsyncEngine) -> None:
    """The 'other service': a counter per loan and a log of applied event ids."""
    async with engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE loan_counters (loan_id text PRIMARY KEY, events int NOT NULL)")
        )
        await conn.execute(text("CREATE TABLE applied (event_id text NOT NULL)"))


async def count_loan_effect(session: Any, envelope: Envelope) -> None:
    """The counter service's handler: bump the loan's counter, log the event id."""
    await session.execute(
        text(
            "INSERT INTO loan_counters (loan_id, events) VALUES (:loan, 1) "
            "ON CONFLICT (loan_id) DO UPDATE SET events = loan_counters.events + 1"
        ),
        {"loan": envelope.subject},
    )
    await session.execute(text("INSERT INTO applied (event_id) VALUES (:id)"), {"id": envelope.id})


async def applied_ids(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(text("SELECT event_id FROM applied"))).scalars())


async def loan_counters(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(text("SELECT loan_id, events FROM loan_counters"))
        return {r.loan_id: r.events for r in rows}


async def outbox_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM outbox"))).scalar() or 0)


def loan_events(loans: int, per_loan: int, event_type: str = "PaymentApplied") -> list[Envelope]:
    """Interleaved: loan-0 #1, loan-1 #1, ..., loan-0 #2, ...; data.seq numbers each loan's."""
    return [
        Envelope(source="test", type=event_type, subject=f"loan-{n}", data={"seq": seq})
        for seq in range(1, per_loan + 1)
        for n in range(loans)
    ]


async def write_through_outbox(
    engine: AsyncEngine, topic: str, events: list[Envelope], per_tx: int = 10
) -> None:
    for i in range(0, len(events), per_tx):
        async with engine.begin() as conn:
            await add_many_to_outbox(conn, events[i : i + per_tx], topic)


async def drain_outbox(relay: OutboxRelay) -> int:
    published = 0
    while n := await relay.relay_once():
        published += n
    return published


# The script lives beside the tests (an editable, src-layout install).
CHILD = Path(__file__).resolve().parents[3] / "tests" / "messaging_child.py"


async def run_child(*args: str, wait_seconds: float = 60.0) -> tuple[int, dict[str, Any]]:
    """Runs tests/messaging_child.py; returns (exit code, the stats it printed or {})."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(CHILD), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), wait_seconds)
    except TimeoutError:
        proc.kill()
        raise
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"child failed ({proc.returncode}): {err.decode()[-2000:]}")
    return proc.returncode or 0, json.loads(lines[-1]) if lines else {}
