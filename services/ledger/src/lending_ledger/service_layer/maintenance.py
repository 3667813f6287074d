"""`loanctl ledger rebuild|verify`: projections are disposable, the event store is not.

Both walk every stream in (stream_id, version) order with keyset pagination, one page of
events in memory at a time and at most ``flush_every`` finished accounts, so memory stays
bounded whatever the number of loans.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lending_ledger.adapters import trial_balance
from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.domain.snapshots import read_model, snapshot

Progress = Callable[[int], None]
# Read through the asyncpg connection itself: this loop is the rebuild's hot path.
_PAGE = (
    "SELECT stream_id, version, type, CAST(data AS text) FROM events "
    "WHERE (stream_id, version) > ($1, $2) ORDER BY stream_id, version LIMIT $3"
)


async def count_events(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(text("SELECT count(*) FROM events")) or 0)


async def replay_streams(
    engine: AsyncEngine, page_size: int = 20_000, progress: Progress | None = None
) -> AsyncIterator[LoanAccount]:
    """Every loan account rebuilt from its events alone, in stream id order."""
    after: tuple[str, int] = ("", 0)
    current: LoanAccount | None = None
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        page = await raw.prepare(_PAGE)
        while True:
            rows = await page.fetch(after[0], after[1], page_size)
            if not rows:
                break
            for stream_id, version, type_, data in rows:
                if current is None or current.loan_id != stream_id:
                    if current is not None:
                        yield current
                    current = LoanAccount(stream_id)
                current.apply_stored(type_, orjson.loads(data), version)
            after = (rows[-1][0], rows[-1][1])
            if progress:
                progress(len(rows))
    if current is not None:
        yield current


_WRITE_VIEWS = text(
    "INSERT INTO loan_accounts (loan_id, version, status, currency, view) "
    "SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:versions AS int[]), "
    "CAST(:statuses AS text[]), CAST(:currencies AS text[]), CAST(:views AS jsonb[]))"
)
_WRITE_SNAPSHOTS = text(
    "INSERT INTO snapshots (stream_id, version, state) SELECT * FROM unnest("
    "CAST(:ids AS text[]), CAST(:versions AS int[]), CAST(:states AS jsonb[]))"
)


async def rebuild(
    engine: AsyncEngine, *, snapshot_every: int = 50, flush_every: int = 1000,
    progress: Progress | None = None,
) -> int:
    """Drops the read model and the snapshots and writes them again from the events, and the
    trial balance's running totals from the journal; returns the number of loans. Runs in
    one transaction: readers see the old projections until it commits."""
    loans = 0
    async with engine.begin() as conn:
        await trial_balance.rebuild(conn)
        await conn.execute(text("TRUNCATE loan_accounts, snapshots"))
        batch: list[LoanAccount] = []

        async def flush() -> None:
            if not batch:
                return
            await conn.execute(_WRITE_VIEWS, {
                "ids": [a.loan_id for a in batch], "versions": [a.version for a in batch],
                "statuses": [a.status for a in batch],
                "currencies": [a.contract.currency if a.contract else None for a in batch],
                "views": [json.dumps(read_model(a)) for a in batch],
            })
            long = [a for a in batch if a.version >= snapshot_every]
            if long:
                await conn.execute(_WRITE_SNAPSHOTS, {
                    "ids": [a.loan_id for a in long], "versions": [a.version for a in long],
                    "states": [json.dumps(snapshot(a)) for a in long],
                })
            batch.clear()

        async for account in replay_streams(engine, progress=progress):
            batch.append(account)
            loans += 1
            if len(batch) >= flush_every:
                await flush()
        await flush()
    return loans


@dataclass
class Verification:
    events: int = 0
    loans: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


async def verify(
    engine: AsyncEngine, *, progress: Progress | None = None, max_differences: int = 20
) -> Verification:
    """Replays every stream and compares it with the read model; checks that every journal
    entry balances, that the trial balance nets to zero in every currency, that the
    journal's balance of every account equals the sum of the replayed loans' positions, and
    that the trial balance's running totals equal a full scan of the journal."""
    report = Verification()

    def differ(text_: str) -> None:
        if len(report.differences) < max_differences:
            report.differences.append(text_)

    expected: dict[tuple[str, str], int] = {}
    async with engine.connect() as conn:
        async for account in replay_streams(engine, progress=progress):
            report.loans += 1
            report.events += account.version
            row = (await conn.execute(text(
                "SELECT version, status, view FROM loan_accounts WHERE loan_id = :s"),
                {"s": account.loan_id})).first()
            if row is None:
                differ(f"loan {account.loan_id}: no read model (replayed version "
                       f"{account.version})")
            else:
                _compare(account, row, differ)
            if account.contract is not None:
                for acct, amount in account.position().items():
                    key = (account.contract.currency, acct.value)
                    expected[key] = expected.get(key, 0) + amount
        orphans = (await conn.execute(text(
            "SELECT loan_id FROM loan_accounts a WHERE NOT EXISTS "
            "(SELECT 1 FROM events e WHERE e.stream_id = a.loan_id) LIMIT 5"))).scalars().all()
        for loan_id in orphans:
            differ(f"loan {loan_id}: read model without events")
        for entry_id, debit, credit in (await conn.execute(text(
            "SELECT entry_id, sum(debit), sum(credit) FROM journal_lines GROUP BY entry_id "
            "HAVING sum(debit) <> sum(credit) ORDER BY entry_id LIMIT 5"))).all():
            differ(f"journal entry {entry_id}: debits {debit} != credits {credit}")
        journal: dict[tuple[str, str], int] = {}
        for currency, account_name, net in (await conn.execute(text(
            "SELECT e.currency, l.account, sum(l.debit - l.credit) FROM journal_lines l "
            "JOIN journal_entries e USING (entry_id) GROUP BY e.currency, l.account"))).all():
            journal[(currency, account_name)] = int(net)
    async with engine.connect() as conn:
        consistent = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with consistent.begin():
            for difference in await trial_balance.differences(consistent):
                differ(difference)
    for currency in sorted({c for c, _ in journal}):
        net = sum(v for (c, _), v in journal.items() if c == currency)
        if net:
            differ(f"trial balance in {currency} is off by {net} minor units")
    for key in sorted(set(expected) | set(journal)):
        if expected.get(key, 0) != journal.get(key, 0):
            differ(f"account {key[1]} in {key[0]}: journal {journal.get(key, 0)} != "
                   f"replayed loans {expected.get(key, 0)}")
    return report


def _compare(account: LoanAccount, row: Any, differ: Callable[[str], None]) -> None:
    if row.version != account.version:
        differ(f"loan {account.loan_id}: read model at version {row.version}, events at "
               f"{account.version}")
        return
    replayed = read_model(account)
    for key in sorted(set(replayed) | set(row.view)):
        if replayed.get(key) != row.view.get(key):
            differ(f"loan {account.loan_id}: {key} is {row.view.get(key)!r} in the read "
                   f"model but {replayed.get(key)!r} replayed")
            return
