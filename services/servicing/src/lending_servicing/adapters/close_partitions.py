"""The book in sixteen fixed slices, so a day close runs as short transactions, several at
once, and a payment waits only for the slice that holds its loan.

A loan's slice is the low four bits of the last byte of the MD5 of its id, in Python
(``partition_of``: the projection's lock, and the ``close_partition`` column it writes on
loans and installments as it inserts them, which leads the close's partial indexes) and in
SQL (``SQL``, for bulk loads). A plain column, not a generated one: PostgreSQL recompiled
a generated column's expression for every updated row. MD5, not ``hashtext``: its value is
fixed by its definition, not by the PostgreSQL version that stored it. Changing the count
is a migration.
"""

from __future__ import annotations

import hashlib

PARTITIONS = 16
SQL = "CAST(get_byte(decode(md5(loan_id), 'hex'), 15) & 15 AS smallint)"


def partition_of(loan_id: str) -> int:
    return hashlib.md5(loan_id.encode()).digest()[15] & (PARTITIONS - 1)
