"""Loading loan accounts and saving what they recorded: the events, their journal entries,
the read model, snapshots and the integration events, all in the caller's transaction.

The ledger is its own outbox: the integration events derived from the appended events go
into the platform's ``outbox`` table in the same statement as the events. The outbox
relay publishes the longest prefix of rows whose transactions have all finished
(``tx_id < pg_snapshot_xmin``), in outbox position order, and deletes what it published, so
a transaction that commits late is never skipped and never overtaken by a later write to the
same loan (two writers of one loan are serialised by the unique (stream_id, version)).
``tests/integration/test_ledger_event_store.py`` delays commits at random to prove it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lending_events import to_envelope, topics
from lending_ledger.adapters.event_store import (
    ConcurrencyConflictError,
    LoadedStream,
    NewEvent,
    PostgresEventStore,
)
from lending_ledger.adapters.journal import EntryToPost, post_entries
from lending_ledger.domain.accounts import Account, Posting
from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.domain.snapshots import read_model, restore, snapshot
from lending_ledger.service_layer.integration import integration_events

SOURCE = "/lending/ledger"
log = logging.getLogger("lending.ledger")

Command = Callable[[LoanAccount], Awaitable[None] | None]

_UPSERT_VIEW = text(
    "INSERT INTO loan_accounts (loan_id, version, status, currency, view) "
    "SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:versions AS int[]), "
    "CAST(:statuses AS text[]), CAST(:currencies AS text[]), CAST(:views AS jsonb[])) "
    "ON CONFLICT (loan_id) DO UPDATE SET version = excluded.version, status = excluded.status, "
    "currency = excluded.currency, view = excluded.view, updated_at = now() "
    "WHERE loan_accounts.version < excluded.version"
)


def lock_order(loan_id: str) -> str:
    """Where a loan comes in the one order in which a transaction writing several loans
    writes them: the loan id, as Python orders strings (code points; the database's
    collation may order them otherwise). An append waits on the (stream, version) of a
    concurrent uncommitted append to the same loan, so two transactions appending to A and
    B in opposite orders deadlock. The consumer handles a batch in this order (bootstrap's
    ``lock_order``), the accrual appends its batch in it (``in_lock_order``)."""
    return loan_id


def in_lock_order(loan_ids: Sequence[str]) -> list[str]:
    return sorted(loan_ids, key=lock_order)


class UnknownLoanError(LookupError):
    """No loan account with this id (not booked, or not yet)."""


@dataclass
class LedgerStats:
    conflicts: int = 0
    appended: int = 0


@dataclass
class LoanLedger:
    store: PostgresEventStore = field(default_factory=PostgresEventStore)
    snapshot_every: int = 50
    max_attempts: int = 8
    stats: LedgerStats = field(default_factory=LedgerStats)

    # ------------------------------------------------------------------ loading
    def _rebuild(self, loan_id: str, loaded: LoadedStream) -> LoanAccount | None:
        if loaded.snapshot is None and not loaded.events:
            return None
        account = restore(loaded.snapshot) if loaded.snapshot else LoanAccount(loan_id)
        for e in loaded.events:
            account.apply_stored(e.type, e.data, e.version)
        return account

    async def load(self, session: AsyncSession, loan_id: str) -> LoanAccount | None:
        return self._rebuild(loan_id, await self.store.load(session, loan_id))

    async def load_many(self, session: AsyncSession, ids: Sequence[str]) -> list[LoanAccount]:
        loaded = await self.store.load_many(session, ids)
        accounts = [self._rebuild(i, loaded[i]) for i in ids]
        return [a for a in accounts if a is not None]

    # ------------------------------------------------------------------ commands
    async def execute(
        self, session: AsyncSession, loan_id: str, command: Command, *, create: bool = False
    ) -> LoanAccount:
        """Loads, runs ``command``, saves, inside a savepoint of the caller's transaction.
        When another writer appended first, rolls back to the savepoint, reloads and runs the
        command again on the fresh state (optimistic concurrency)."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                async with session.begin_nested():
                    account = await self.load(session, loan_id)
                    if account is None:
                        if not create:
                            raise UnknownLoanError(f"no loan account {loan_id}")
                        account = LoanAccount(loan_id)
                    outcome = command(account)
                    if inspect.isawaitable(outcome):
                        await outcome
                    await self.save(session, [account])
                return account
            except ConcurrencyConflictError:
                self.stats.conflicts += 1
                log.info("loan %s changed under us (attempt %d); retrying", loan_id, attempt)
                # jitter, so writers that collided once do not collide again in lockstep
                await asyncio.sleep(random.random() * 0.005 * attempt)
        raise ConcurrencyConflictError(f"loan {loan_id}: gave up after {self.max_attempts}")

    # ------------------------------------------------------------------ saving
    async def save(
        self, session: AsyncSession, accounts: Sequence[LoanAccount], *,
        aggregate_types: frozenset[str] = frozenset(),
    ) -> int:
        """Appends every pending change of ``accounts`` in one statement per table.
        Changes whose event type is in ``aggregate_types`` post one summed journal entry per
        currency and business date instead of one per loan (the day close)."""
        changes = [(a, c) for a in accounts for c in a.pending]
        if not changes:
            return 0
        envelopes = [
            to_envelope(event, source=SOURCE, businessdate=change.business_date)
            for account, change in changes for event in integration_events(account, change)
        ]
        positions = await self.store.append(session, [
            NewEvent(a.loan_id, c.version, c.event.type, c.event.to_data()) for a, c in changes
        ], outbox=(topics.LEDGER, envelopes))
        entries: list[EntryToPost] = []
        summed: dict[tuple[str, date, str], tuple[dict[Account, int], set[str]]] = {}
        for (account, change), position in zip(changes, positions, strict=True):
            assert account.contract is not None
            currency = account.contract.currency
            if change.event.type in aggregate_types:
                key = (currency, change.business_date, change.event.type)
                totals, loans = summed.setdefault(key, ({}, set()))
                for p in change.postings:
                    totals[p.account] = totals.get(p.account, 0) + p.amount
                loans.add(account.loan_id)
            else:
                entries.append(EntryToPost(account.loan_id, position, change.event.type,
                                           change.business_date, currency, change.postings))
        for (currency, day, type_), (totals, loans) in summed.items():
            postings = [Posting(a, v) for a, v in sorted(totals.items()) if v]
            entries.append(EntryToPost(None, None, type_, day, currency, postings, len(loans)))
        await post_entries(session, entries)
        await self._project(session, accounts)
        self.stats.appended += len(changes)
        for account in accounts:
            account.pending.clear()
        return len(changes)

    async def _project(self, session: AsyncSession, accounts: Sequence[LoanAccount]) -> None:
        params: dict[str, list[Any]] = {k: [] for k in ("ids", "versions", "statuses",
                                                         "currencies", "views")}
        snaps = []
        for a in accounts:
            if not a.pending:
                continue
            params["ids"].append(a.loan_id)
            params["versions"].append(a.version)
            params["statuses"].append(a.status)
            params["currencies"].append(a.contract.currency if a.contract else None)
            params["views"].append(_json(read_model(a)))
            first = a.version - len(a.pending) + 1
            if a.version // self.snapshot_every > (first - 1) // self.snapshot_every:
                snaps.append((a.loan_id, a.version, snapshot(a)))
        if params["ids"]:
            await session.execute(_UPSERT_VIEW, params)
        await self.store.save_snapshots(session, snaps)


def _json(value: Any) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))
