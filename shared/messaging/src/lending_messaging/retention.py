"""Pruning the inbox: an event's id is needed only while the event can still arrive again.

An event arrives again from its topic (kept 30 days, deploy/k8s/base/kafka/topics.yaml) or
when an operator replays it from the topic's dead-letter twin (kept 90 days); a replayed
dead letter may be replayed twice. After that the inbox row guards nothing, and without
pruning the table only grows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

LONGEST_REDELIVERY = timedelta(days=90)  # the dead-letter topics' retention
# Beyond it, with a margin, so every possible redelivery still meets its row.
INBOX_RETENTION = timedelta(days=120)

# Batches by physical row address: each is one short transaction, so the prune never holds
# many locks, a long snapshot (which would hold every outbox relay on the server back) or a
# huge WAL burst. Old rows sit at the start of the heap, where the scan begins.
_PRUNE = text(
    "DELETE FROM inbox WHERE ctid = ANY(ARRAY("
    "SELECT ctid FROM inbox WHERE handled_at < :cutoff LIMIT :batch))"
)


async def prune_inbox(
    engine: AsyncEngine, older_than: timedelta = INBOX_RETENTION, *, batch_size: int = 10_000,
    now: datetime | None = None,
) -> int:
    """Deletes inbox rows handled before ``now - older_than``; returns how many."""
    if older_than < LONGEST_REDELIVERY:
        raise ValueError(f"an inbox kept {older_than.days} days would let an event replayed "
                         f"from a dead-letter topic (kept {LONGEST_REDELIVERY.days} days) "
                         "take effect twice")
    cutoff = (now or datetime.now(UTC)) - older_than
    pruned = 0
    while True:
        async with engine.begin() as conn:
            deleted = (await conn.execute(_PRUNE, {"cutoff": cutoff, "batch": batch_size}))
        count = int(deleted.rowcount)
        pruned += count
        if count < batch_size:
            return pruned
