"""The book in sixteen fixed slices, so a day close runs as short transactions, several at
once, and a payment waits only for the slice that holds its loan.

A loan's slice is the low four bits of the last byte of the MD5 of its id: the same in SQL
(stored, generated columns on loans and installments, so the close's partial indexes lead
with it) and in Python (for the projection's lock). MD5, not ``hashtext``: its value is
fixed by its definition, not by the PostgreSQL version that stored it. Changing the count
is a migration.
"""

from __future__ import annotations

import hashlib

PARTITIONS = 16
SQL = "CAST(get_byte(decode(md5(loan_id), 'hex'), 15) & 15 AS smallint)"


def partition_of(loan_id: str) -> int:
    return hashlib.md5(loan_id.encode()).digest()[15] & (PARTITIONS - 1)
