"""Writes journal entries: one statement for any number of entries and their lines, and the
trial balance's deltas for them (adapters/trial_balance.py) in the same statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text

from lending_ledger.adapters.event_store import SqlExecutor
from lending_ledger.domain.accounts import Posting, check_balanced


@dataclass(frozen=True, slots=True)
class EntryToPost:
    loan_id: str | None  # None: an aggregate posting over many loans
    position: int | None
    event_type: str
    business_date: date
    currency: str
    postings: Sequence[Posting]
    loans: int = 1


# Identity values are handed out in insertion order within the statement, so numbering the
# returned entry ids in order pairs each entry with its lines (joined on that number). The
# deltas CTE runs whether or not anything reads it (PostgreSQL runs every data-modifying CTE).
_POST = text(
    "WITH d AS (INSERT INTO trial_balance_deltas (currency, account, debit, credit) "
    "SELECT * FROM unnest(CAST(:d_currencies AS text[]), CAST(:d_accounts AS text[]), "
    "CAST(:d_debits AS bigint[]), CAST(:d_credits AS bigint[]))), "
    "e AS (INSERT INTO journal_entries "
    "(loan_id, position, event_type, business_date, currency, loans) "
    "SELECT l, p, t, d, c, k FROM unnest(CAST(:loans AS text[]), CAST(:positions AS bigint[]), "
    "CAST(:types AS text[]), CAST(:dates AS date[]), CAST(:currencies AS text[]), "
    "CAST(:counts AS int[])) WITH ORDINALITY AS x(l, p, t, d, c, k, n) ORDER BY n "
    "RETURNING entry_id), "
    "numbered AS (SELECT entry_id, row_number() OVER (ORDER BY entry_id) AS n FROM e) "
    "INSERT INTO journal_lines (entry_id, line_no, account, debit, credit) "
    "SELECT numbered.entry_id, y.line_no, y.account, y.debit, y.credit FROM unnest("
    "CAST(:line_entry AS bigint[]), CAST(:line_no AS smallint[]), CAST(:accounts AS text[]), "
    "CAST(:debits AS bigint[]), CAST(:credits AS bigint[])) AS y(n, line_no, account, debit, "
    "credit) JOIN numbered ON numbered.n = y.n"
)


async def post_entries(conn: SqlExecutor, entries: Sequence[EntryToPost]) -> None:
    """Posts entries with at least one line (an event that moves no money posts nothing)."""
    entries = [e for e in entries if e.postings]
    if not entries:
        return
    params: dict[str, list[object]] = {k: [] for k in (
        "loans", "positions", "types", "dates", "currencies", "counts", "line_entry",
        "line_no", "accounts", "debits", "credits", "d_currencies", "d_accounts", "d_debits",
        "d_credits")}
    sums: dict[tuple[str, str], list[int]] = {}
    for n, entry in enumerate(entries, start=1):
        check_balanced(entry.postings, f"{entry.event_type} of {entry.loan_id}")
        params["loans"].append(entry.loan_id)
        params["positions"].append(entry.position)
        params["types"].append(entry.event_type)
        params["dates"].append(entry.business_date)
        params["currencies"].append(entry.currency)
        params["counts"].append(entry.loans)
        for line_no, posting in enumerate(entry.postings, start=1):
            params["line_entry"].append(n)
            params["line_no"].append(line_no)
            params["accounts"].append(posting.account.value)
            params["debits"].append(posting.debit)
            params["credits"].append(posting.credit)
            total = sums.setdefault((entry.currency, posting.account.value), [0, 0])
            total[0] += posting.debit
            total[1] += posting.credit
    for (currency, account), (debit, credit) in sorted(sums.items()):
        params["d_currencies"].append(currency)
        params["d_accounts"].append(account)
        params["d_debits"].append(debit)
        params["d_credits"].append(credit)
    await conn.execute(_POST, params)
