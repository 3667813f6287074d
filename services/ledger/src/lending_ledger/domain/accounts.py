"""The chart of accounts and the one rule that makes every entry balance.

Each loan's position in every account is a function of the loan account's state
(``LoanAccount.balances``); an event's journal entry is the difference of that position
before and after the event. The position of one loan always sums to zero, so the difference
of two positions does too: every entry balances by construction, and ``check_balanced``
asserts it anyway. Amounts are signed integer minor units, debit positive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from lending_ledger.domain.errors import UnbalancedEntryError


class Account(StrEnum):
    SETTLEMENT_CASH = "1000-settlement-cash"
    PRINCIPAL_RECEIVABLE = "1100-principal-receivable"
    INTEREST_RECEIVABLE = "1110-interest-receivable"
    FEE_RECEIVABLE = "1120-fee-receivable"
    PENALTY_RECEIVABLE = "1130-penalty-receivable"
    BORROWER_CREDIT_BALANCES = "2100-borrower-credit-balances"
    INTEREST_INCOME = "4000-interest-income"
    FEE_INCOME = "4010-fee-income"
    PENALTY_INCOME = "4020-penalty-income"
    RECOVERIES_INCOME = "4100-recoveries-income"
    WRITE_OFF_EXPENSE = "5000-write-off-expense"
    WAIVER_EXPENSE = "5010-waiver-expense"


ACCOUNT_KIND = {
    Account.SETTLEMENT_CASH: "asset",
    Account.PRINCIPAL_RECEIVABLE: "asset",
    Account.INTEREST_RECEIVABLE: "asset",
    Account.FEE_RECEIVABLE: "asset",
    Account.PENALTY_RECEIVABLE: "asset",
    Account.BORROWER_CREDIT_BALANCES: "liability",
    Account.INTEREST_INCOME: "income",
    Account.FEE_INCOME: "income",
    Account.PENALTY_INCOME: "income",
    Account.RECOVERIES_INCOME: "income",
    Account.WRITE_OFF_EXPENSE: "expense",
    Account.WAIVER_EXPENSE: "expense",
}

Position = dict[Account, int]


@dataclass(frozen=True, slots=True)
class Posting:
    account: Account
    amount: int  # minor units, debit positive, credit negative

    @property
    def debit(self) -> int:
        return self.amount if self.amount > 0 else 0

    @property
    def credit(self) -> int:
        return -self.amount if self.amount < 0 else 0


def check_balanced(postings: Iterable[Posting], what: str = "entry") -> None:
    total = sum(p.amount for p in postings)
    if total != 0:
        raise UnbalancedEntryError(f"{what} is off by {total} minor units")


def difference(before: Mapping[Account, int], after: Mapping[Account, int]) -> list[Posting]:
    """The entry that moves a position from ``before`` to ``after``, in chart order."""
    postings = [
        Posting(account, after.get(account, 0) - before.get(account, 0))
        for account in Account
        if after.get(account, 0) != before.get(account, 0)
    ]
    check_balanced(postings)
    return postings


def add_positions(into: dict[str, int], postings: Iterable[Posting]) -> None:
    for p in postings:
        into[p.account.value] = into.get(p.account.value, 0) + p.amount
