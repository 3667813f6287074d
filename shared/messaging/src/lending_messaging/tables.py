"""The outbox and inbox tables (SQLAlchemy Core), shared by every service's database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    LargeBinary,
    MetaData,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.types import UserDefinedType

metadata = MetaData()


class Xid8(UserDefinedType[Any]):
    """PostgreSQL's 64-bit transaction id (never wraps around, unlike ``xid``)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


def outbox_columns() -> list[Column[Any]]:
    """Fresh Column objects: used by the Table below and by Alembic's ``op.create_table``."""
    return [
        Column("position", BigInteger, Identity(always=False), primary_key=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("event_id", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        # The writing transaction's id: the relay publishes a row only once every
        # transaction older than the oldest still running one has finished (see relay.py).
        Column("tx_id", Xid8, nullable=False, server_default=text("pg_current_xact_id()")),
        Column(
            "created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")
        ),
    ]


def inbox_columns() -> list[Column[Any]]:
    return [
        Column("consumer_group", Text, primary_key=True),
        Column("event_id", Text, primary_key=True),
        Column(
            "handled_at", DateTime(timezone=True), nullable=False, server_default=text("now()")
        ),
    ]


outbox = Table("outbox", metadata, *outbox_columns())
inbox = Table("inbox", metadata, *inbox_columns())


OUTBOX_CHANNEL = "lending_outbox"
"""The channel a transaction that wrote outbox rows notifies at commit: the relay LISTENs."""

# One notification per statement, not per row, and PostgreSQL folds a transaction's equal
# notifications into one, delivered at commit (never for a rollback).
NOTIFY_ON_OUTBOX_WRITES = (
    "CREATE OR REPLACE FUNCTION lending_outbox_written() RETURNS trigger LANGUAGE plpgsql "
    f"AS $$ BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $$",
    "CREATE OR REPLACE TRIGGER outbox_written AFTER INSERT ON outbox "
    "FOR EACH STATEMENT EXECUTE FUNCTION lending_outbox_written()",
)
STOP_NOTIFYING_OUTBOX_WRITES = (
    "DROP TRIGGER IF EXISTS outbox_written ON outbox",
    "DROP FUNCTION IF EXISTS lending_outbox_written()",
)


async def create_tables(engine: AsyncEngine) -> None:
    """Creates both tables if missing (tests and benchmarks; services use migrations)."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        for statement in NOTIFY_ON_OUTBOX_WRITES:
            await conn.exec_driver_sql(statement)
