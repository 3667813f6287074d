"""The PostgreSQL event store: one stream per loan, append-only, optimistic concurrency.

Appends are one INSERT per batch (arrays unnested), whatever the number of streams in it;
with ``outbox=`` the integration events go into the platform outbox in the same statement
(a data-modifying CTE: one round trip for both, the store being its own outbox).
A writer that read version N and appends N+1 while another writer already committed N+1
gets a unique violation on (stream_id, version): ``ConcurrencyConflictError``. It never
overwrites; the caller reloads and retries (service_layer/ledger.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
import orjson
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lending_events import Envelope
from lending_messaging.outbox import outbox_insert, outbox_values
from lending_platform.database import asyncpg_sql

UNIQUE_STREAM_VERSION = "events_stream_version_key"


class ConcurrencyConflictError(Exception):
    """Another writer appended to the stream since it was read."""


class SqlExecutor(Protocol):
    async def execute(self, statement: Any, parameters: Any = ..., /) -> Any: ...


@dataclass(frozen=True, slots=True)
class NewEvent:
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredEvent:
    position: int
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]


_INSERT_EVENTS = (
    "INSERT INTO events (stream_id, version, type, data) "
    "SELECT s, v, t, CAST(d AS jsonb) FROM unnest(CAST(:streams AS text[]), "
    "CAST(:versions AS int[]), CAST(:types AS text[]), CAST(:datas AS text[])) "
    "WITH ORDINALITY AS e(s, v, t, d, n) ORDER BY n RETURNING position"
)
_APPEND = text(_INSERT_EVENTS)
# The events' integration events in the same statement, by lending_messaging.outbox's own
# INSERT (``outbox_values`` order; WITH ORDINALITY keeps the caller's order, so outbox
# positions, hence publication order, follow it).
_OUTBOX_PARAMS = ("topic", "keys", "ids", "event_types", "payloads", "traceparents",
                  "content_type")
_APPEND_WITH_OUTBOX = text(
    f"WITH appended AS ({_INSERT_EVENTS}), published AS ("
    f"{outbox_insert(*(f':{name}' for name in _OUTBOX_PARAMS))}) "
    "SELECT position FROM appended"
)
_SNAPSHOT = text(
    "SELECT version, CAST(state AS text) FROM snapshots WHERE stream_id = :s "
    "ORDER BY version DESC LIMIT 1"
)
_STREAM = text(
    "SELECT position, version, type, CAST(data AS text) FROM events "
    "WHERE stream_id = :s AND version > :v ORDER BY version"
)
_SNAPSHOTS_MANY = text(
    "SELECT DISTINCT ON (stream_id) stream_id, version, CAST(state AS text) FROM snapshots "
    "WHERE stream_id = ANY(CAST(:ids AS text[])) ORDER BY stream_id, version DESC"
)
_STREAMS_MANY = text(
    "SELECT e.stream_id, e.position, e.version, e.type, CAST(e.data AS text) FROM events e "
    "JOIN unnest(CAST(:ids AS text[]), CAST(:after AS int[])) AS w(id, after) "
    "ON e.stream_id = w.id AND e.version > w.after ORDER BY e.stream_id, e.version"
)
_SAVE_SNAPSHOTS = text(
    "INSERT INTO snapshots (stream_id, version, state) SELECT * FROM unnest("
    "CAST(:ids AS text[]), CAST(:versions AS int[]), CAST(:states AS jsonb[])) "
    "ON CONFLICT DO NOTHING"
)
_READ_ALL = text(
    "SELECT position, stream_id, version, type, CAST(data AS text) FROM events "
    "WHERE position > :after ORDER BY position LIMIT :limit"
)


_DRIVER_SQL = {id(_APPEND): asyncpg_sql(_APPEND),
               id(_APPEND_WITH_OUTBOX): asyncpg_sql(_APPEND_WITH_OUTBOX)}


async def _driver_connection(conn: Any) -> asyncpg.Connection | None:
    """The asyncpg connection under an AsyncSession or AsyncConnection (None otherwise)."""
    if isinstance(conn, AsyncSession):
        conn = await conn.connection()
    if not isinstance(conn, AsyncConnection):
        return None
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    if not isinstance(driver, asyncpg.Connection):
        return None
    if conn.in_transaction() and not driver.is_in_transaction():
        # SQLAlchemy sends BEGIN lazily, with its first statement: a statement sent to
        # asyncpg before that would commit on its own, outside the caller's transaction.
        # So BEGIN now, through SQLAlchemy's adapter (which then knows it has begun), or
        # leave the statement to SQLAlchemy if the adapter is not the one we know.
        begin = getattr(raw.dbapi_connection, "_start_transaction", None)
        if begin is None:
            return None
        await begin()
        if not driver.is_in_transaction():
            return None
    return driver


@dataclass(frozen=True, slots=True)
class LoadedStream:
    snapshot: dict[str, Any] | None
    events: list[StoredEvent]


class PostgresEventStore:
    async def append(
        self, conn: SqlExecutor, new: Sequence[NewEvent],
        outbox: tuple[str, Sequence[Envelope]] | None = None,
    ) -> list[int]:
        """Appends in the caller's transaction; returns the global positions, in order.
        ``outbox=(topic, envelopes)`` also writes those integration events (stamped from
        the message context, as ``add_many_to_outbox`` does) in the same statement."""
        if not new:
            return []
        params: dict[str, Any] = {
            "streams": [e.stream_id for e in new], "versions": [e.version for e in new],
            "types": [e.type for e in new],
            "datas": [orjson.dumps(e.data).decode() for e in new],
        }
        statement = _APPEND
        if outbox is not None and outbox[1]:
            statement = _APPEND_WITH_OUTBOX
            _, values = outbox_values(outbox[1], outbox[0])
            params.update(zip(_OUTBOX_PARAMS, values, strict=True))
        driver = await _driver_connection(conn)
        if driver is None:
            try:
                result = await conn.execute(statement, params)
            except IntegrityError as exc:
                if UNIQUE_STREAM_VERSION in str(exc.orig):
                    raise ConcurrencyConflictError(str(exc.orig)) from exc
                raise
            return sorted(result.scalars())
        # the hot path: straight to asyncpg on the caller's connection (same transaction),
        # without SQLAlchemy's per-statement work
        sql, names = _DRIVER_SQL[id(statement)]
        try:
            rows = await driver.fetch(sql, *(params[n] for n in names))
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == UNIQUE_STREAM_VERSION:
                raise ConcurrencyConflictError(str(exc)) from exc
            raise
        return sorted(r[0] for r in rows)

    async def load(self, conn: SqlExecutor, stream_id: str) -> LoadedStream:
        row = (await conn.execute(_SNAPSHOT, {"s": stream_id})).first()
        snapshot = orjson.loads(row[1]) if row else None
        rows = await conn.execute(_STREAM, {"s": stream_id, "v": row[0] if row else 0})
        return LoadedStream(snapshot, [
            StoredEvent(r[0], stream_id, r[1], r[2], orjson.loads(r[3])) for r in rows
        ])

    async def load_many(self, conn: SqlExecutor, ids: Sequence[str]) -> dict[str, LoadedStream]:
        """Several streams in two round trips (the day close loads its batches this way)."""
        snaps = {
            r[0]: (r[1], orjson.loads(r[2]))
            for r in await conn.execute(_SNAPSHOTS_MANY, {"ids": list(ids)})
        }
        after = [snaps[i][0] if i in snaps else 0 for i in ids]
        found: dict[str, list[StoredEvent]] = {i: [] for i in ids}
        for r in await conn.execute(_STREAMS_MANY, {"ids": list(ids), "after": after}):
            found[r[0]].append(StoredEvent(r[1], r[0], r[2], r[3], orjson.loads(r[4])))
        return {
            i: LoadedStream(snaps[i][1] if i in snaps else None, found[i]) for i in ids
        }

    async def save_snapshots(
        self, conn: SqlExecutor, states: Sequence[tuple[str, int, dict[str, Any]]]
    ) -> None:
        if states:
            await conn.execute(_SAVE_SNAPSHOTS, {
                "ids": [s[0] for s in states], "versions": [s[1] for s in states],
                "states": [orjson.dumps(s[2]).decode() for s in states],
            })

    async def read_all(
        self, conn: SqlExecutor, after: int = 0, limit: int = 10_000
    ) -> list[StoredEvent]:
        rows = await conn.execute(_READ_ALL, {"after": after, "limit": limit})
        return [StoredEvent(r[0], r[1], r[2], r[3], orjson.loads(r[4])) for r in rows]
