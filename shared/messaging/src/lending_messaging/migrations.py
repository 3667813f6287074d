"""Helpers each service's Alembic migration 0001 calls: ``upgrade(op)`` / ``downgrade(op)``.

    from lending_messaging import migrations

    def upgrade() -> None:
        migrations.upgrade(op)
"""

from __future__ import annotations

import re
from typing import Any

from lending_messaging.tables import (
    NOTIFY_ON_OUTBOX_WRITES,
    STOP_NOTIFYING_OUTBOX_WRITES,
    inbox_columns,
    outbox_columns,
)

# A session idle inside a transaction keeps the oldest-running-transaction horizon
# back, and the relay publishes nothing newer than that horizon: end such sessions.
IDLE_IN_TRANSACTION_TIMEOUT = "60s"


def upgrade(op: Any, idle_in_transaction_timeout: str | None = IDLE_IN_TRANSACTION_TIMEOUT) -> None:
    if idle_in_transaction_timeout and not re.fullmatch(
        r"\d+\s*(ms|s|min|h)?", idle_in_transaction_timeout
    ):
        raise ValueError(f"not a PostgreSQL duration: {idle_in_transaction_timeout!r}")
    op.create_table("outbox", *outbox_columns())
    op.create_table("inbox", *inbox_columns())
    if idle_in_transaction_timeout:
        op.execute(
            "DO $$ BEGIN EXECUTE format("
            "'ALTER DATABASE %I SET idle_in_transaction_session_timeout = %L', "
            f"current_database(), '{idle_in_transaction_timeout}'); END $$"
        )


def keep_outbox_pages(op: Any) -> None:
    """The outbox is a queue: the relay deletes what it has published. VACUUM would then
    cut the emptied pages off the table's end, under a lock that stops writers and the
    relay for that moment, and the next burst (a day close writes a million events) would
    grow the file again page by page: ~2 of a close's 12 s here. Kept, they cost disk the
    size of the largest burst, reused by the next."""
    op.execute("ALTER TABLE outbox SET (vacuum_truncate = false)")


def release_outbox_pages(op: Any) -> None:
    op.execute("ALTER TABLE outbox RESET (vacuum_truncate)")


def notify_outbox_writes(op: Any) -> None:
    """A transaction that wrote outbox rows notifies the relay at commit (LISTEN/NOTIFY), so
    a writer in any process wakes it at once and the relay need not poll fast."""
    for statement in NOTIFY_ON_OUTBOX_WRITES:
        op.execute(statement)


def stop_notifying_outbox_writes(op: Any) -> None:
    for statement in STOP_NOTIFYING_OUTBOX_WRITES:
        op.execute(statement)


def downgrade(op: Any) -> None:
    op.drop_table("inbox")
    op.drop_table("outbox")
