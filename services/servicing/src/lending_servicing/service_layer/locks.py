"""The locks between the day close, the calendar and the loan projection.

The close rewrites loans (and installments it reminds of) set-based, one slice of the book
(see adapters/close_partitions.py) per transaction; a consumer applying a payment rewrites one
loan. Without a common order the two could deadlock on row locks, or the close could read a
loan half-way through a payment. So: a close transaction holds its slice's advisory lock
exclusively, every projection write holds its loan's slice lock shared. Projection writes
never wait for each other; they wait only for a close of their own slice.

Whoever holds several slice locks takes them in ascending slice order: the close (its
group of slices), a holiday (all of them), and the consumer, whose one transaction per
batch applies events of many loans. Its batches are handled sorted by slice
(``lock_order``, given to the consumer by bootstrap.py), so the shared locks come in
ascending order too. Out of order, a batch holding slice 5 and asking for 2 and a close
holding 2 and asking for 5 would deadlock. Each handler locks only its own event's loan
(the event's key), which is what the sort is by.

The calendar lock orders what changes the calendar: choosing the day to close, recording
it closed, declaring a holiday. A holiday also moves installments of every slice, so it
takes every slice lock after the calendar lock; nothing takes them in another order.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lending_servicing.adapters.close_partitions import PARTITIONS, partition_of

CALENDAR_LOCK = 7_400_004  # one bigint key
SLICE_LOCK = 7_400_005  # (int, slice): PostgreSQL keeps two-int keys apart from bigint ones


async def lock_calendar(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CALENDAR_LOCK})


async def lock_slices_for_close(session: AsyncSession,
                                parts: Iterable[int] = range(PARTITIONS)) -> None:
    """Exclusively, until commit: ``parts`` (default: every slice), in ascending order
    whatever the caller's, so that two holders of several never deadlock."""
    for part in sorted(parts):
        await session.execute(text("SELECT pg_advisory_xact_lock(:k, :p)"),
                              {"k": SLICE_LOCK, "p": part})


def lock_order(loan_id: str) -> int:
    """A consumer batch's sort key (``lending_messaging.ports.LockOrder``): the slice."""
    return partition_of(loan_id)


async def lock_for_projection(session: AsyncSession, loan_id: str) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock_shared(:k, :p)"),
                          {"k": SLICE_LOCK, "p": partition_of(loan_id)})
