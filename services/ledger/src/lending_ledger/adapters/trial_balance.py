"""The trial balance without scanning the journal: running totals per currency and account.

Every posting statement (adapters/journal.py) inserts its sums into ``trial_balance_deltas``
in the transaction that posts the entries. Updating one running-total row per account there
instead would make every ledger transaction wait on the same few rows until it commits, and
take them after its loans' locks, out of the one lock order; inserted rows are nobody's to
wait on. ``fold`` moves committed deltas into ``trial_balance`` (a delete and an upsert in one
transaction, so a reader sees each delta in exactly one of the two tables), and a reader sums
the totals and whatever is not folded yet: exact at every moment, and as cheap as the number
of accounts plus the deltas of the last few seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

Executor = AsyncConnection | AsyncSession

# SKIP LOCKED: two folders (replicas) take disjoint deltas; the totals rows they both update
# are upserted in (currency, account) order, so neither waits on the other in a cycle.
_FOLD = text(
    "WITH moved AS (DELETE FROM trial_balance_deltas WHERE delta_id IN ("
    "SELECT delta_id FROM trial_balance_deltas ORDER BY delta_id LIMIT :limit "
    "FOR UPDATE SKIP LOCKED) RETURNING currency, account, debit, credit) "
    "INSERT INTO trial_balance (currency, account, debit, credit) "
    "SELECT currency, account, sum(debit), sum(credit) FROM moved "
    "GROUP BY currency, account ORDER BY currency, account "
    "ON CONFLICT (currency, account) DO UPDATE SET "
    "debit = trial_balance.debit + excluded.debit, "
    "credit = trial_balance.credit + excluded.credit"
)

# One statement, one snapshot: a fold that commits meanwhile is seen whole or not at all.
_READ = text(
    "SELECT currency, account, sum(debit) AS debit, sum(credit) AS credit FROM ("
    "SELECT currency, account, debit, credit FROM trial_balance UNION ALL "
    "SELECT currency, account, debit, credit FROM trial_balance_deltas) AS t "
    "GROUP BY currency, account ORDER BY currency, account"
)

_SCAN = text(
    "SELECT e.currency, l.account, sum(l.debit) AS debit, sum(l.credit) AS credit "
    "FROM journal_lines l JOIN journal_entries e USING (entry_id) "
    "GROUP BY e.currency, l.account ORDER BY e.currency, l.account"
)


async def fold(conn: Executor, limit: int = 50_000) -> int:
    """Folds up to ``limit`` committed deltas into the totals; returns how many totals rows
    changed (0: nothing was waiting)."""
    moved = await conn.execute(_FOLD, {"limit": limit})
    return int(moved.rowcount)  # type: ignore[attr-defined]


async def maintained(conn: Executor) -> Sequence[Row[Any]]:
    """(currency, account, debit, credit) from the running totals, in that order."""
    return (await conn.execute(_READ)).all()


async def scanned(conn: Executor) -> Sequence[Row[Any]]:
    """The same from the whole journal: what the totals must equal."""
    return (await conn.execute(_SCAN)).all()


async def rebuild(conn: Executor) -> None:
    """Totals from a full scan, deltas emptied: run in a transaction that locks the journal
    against new postings first (``loanctl ledger rebuild`` does)."""
    await conn.execute(text("LOCK TABLE journal_entries, journal_lines IN SHARE MODE"))
    await conn.execute(text("TRUNCATE trial_balance, trial_balance_deltas"))
    await conn.execute(text(
        "INSERT INTO trial_balance (currency, account, debit, credit) "
        "SELECT e.currency, l.account, sum(l.debit), sum(l.credit) "
        "FROM journal_lines l JOIN journal_entries e USING (entry_id) "
        "GROUP BY e.currency, l.account"))


async def differences(conn: AsyncConnection) -> list[str]:
    """Where the running totals differ from a full scan of the journal. Run it in one
    REPEATABLE READ transaction, so that postings committed meanwhile cannot raise a false
    alarm (both reads then see the same snapshot)."""
    kept = {(r.currency, r.account): (int(r.debit), int(r.credit))
            for r in await maintained(conn)}
    scan = {(r.currency, r.account): (int(r.debit), int(r.credit))
            for r in await scanned(conn)}
    return [
        f"trial balance totals for account {account} in {currency}: kept debit/credit "
        f"{kept.get((currency, account), (0, 0))}, journal "
        f"{scan.get((currency, account), (0, 0))}"
        for currency, account in sorted(set(kept) | set(scan))
        if kept.get((currency, account), (0, 0)) != scan.get((currency, account), (0, 0))
    ]
