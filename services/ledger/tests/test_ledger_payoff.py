"""Paying a loan off against a quote (contract sample: EUR 1000.00, 12% 30/360, three
monthly installments from 15 Jan 2025, 5% late fee, 24% penalty after 3 days): the payment
settles the loan on its value date, the unearned interest leaves the schedule without an
entry, the excess is credit, the quote binds for interest, fees and penalties only, and a
reversal that leaves the loan owing puts it back on its full schedule."""

from __future__ import annotations

from datetime import date, timedelta

from lending_ledger.domain.accounts import Account, check_balanced
from lending_ledger.domain.contract import INTEREST
from lending_ledger.domain.loan_account import ACTIVE, CLOSED, LoanAccount
from lending_ledger.domain.payoff import QuotedPayoff
from lending_ledger.domain.restructure import RestructureRequest
from lending_ledger.domain.snapshots import restore, snapshot
from lending_ledger.service_layer.integration import integration_events
from lending_ledger.testing import disbursed

MARCH_1 = date(2025, 3, 1)


def quote(account: LoanAccount, as_of: date, days: int = 7, qid: str = "pq-1") -> QuotedPayoff:
    """What servicing quotes: the payoff on the last valid day."""
    valid_until = as_of + timedelta(days=days)
    owed = account.payoff_on(valid_until)
    return QuotedPayoff(qid, sum(owed), owed[0], valid_until)


def pay(account: LoanAccount, payment_id: str, amount: int, on: date,
        q: QuotedPayoff | None = None) -> None:
    account.receive_payment(payment_id=payment_id, amount=amount, value_date=on,
                            received_at=f"{on}T10:00:00Z", method="bank_transfer", quote=q)


def types(account: LoanAccount) -> list[str]:
    return [c.event.type for c in account.pending]


def journal(account: LoanAccount) -> dict[Account, int]:
    totals: dict[Account, int] = {}
    for change in account.pending:
        check_balanced(change.postings, change.event.type)
        for p in change.postings:
            totals[p.account] = totals.get(p.account, 0) + p.amount
    return {a: v for a, v in totals.items() if v}


def replayed(account: LoanAccount) -> LoanAccount:
    fresh = LoanAccount(account.loan_id)
    for version, change in enumerate(account.pending, start=1):
        fresh.apply_stored(change.event.type, change.event.to_data(), version)
    return fresh


def test_paying_the_quote_on_its_day_settles_the_loan_and_no_unearned_interest_is_paid():
    account = disbursed()
    account.accrue(date(2025, 2, 28))
    q = quote(account, MARCH_1, days=0)
    # 1000.00 + #1's 10.00 + 16/30 of #2's 6.70 (30/360) + 17.00 late fee + 2.38 penalty
    assert (q.total, q.principal) == (100000 + 1000 + 357 + 1700 + 238, 100000)
    pay(account, "p1", q.total, MARCH_1, q)
    assert types(account)[-3:] == ["PayoffAccepted", "PaymentApplied", "LoanClosed"]
    accepted, applied, closed = (c.event for c in account.pending[-3:])
    assert accepted.removed == [[2, INTEREST, 670 - 357], [3, INTEREST, 337]]
    assert accepted.accrued_interest == 67 and accepted.waived == []
    assert applied.payoff_outcome == "settled" and applied.overpayment == 0
    assert (closed.reason, closed.closed_on) == ("prepaid", "2025-03-01")
    assert account.status == CLOSED and account.receivables() == (0, 0, 0, 0)
    assert account.outstanding_total() == 0 and account.credit == 0
    # only what was earned is income; the removed 6.50 never touched an account
    assert journal(account)[Account.INTEREST_INCOME] == -(1000 + 357)
    assert journal(account) == {a: v for a, v in account.position().items() if v}
    assert sum(account.position().values()) == 0
    assert all(sum(d) == sum(p) for d, p in zip(account.due, account.paid, strict=True))


def test_accrual_recognises_nothing_after_a_payoff():
    account = disbursed()
    q = quote(account, MARCH_1)
    pay(account, "p1", q.total, MARCH_1, q)
    before = len(account.pending)
    account.accrue(date(2025, 6, 1))
    assert len(account.pending) == before and account.receivables() == (0, 0, 0, 0)


def test_paying_the_quote_before_its_last_valid_day_leaves_the_difference_as_credit():
    account = disbursed()
    q = quote(account, MARCH_1)  # to 8 March: more interest than earned by 1 March
    owed_on_the_day = sum(account.payoff_on(MARCH_1))
    pay(account, "p1", q.total + 500, MARCH_1, q)
    assert account.status == CLOSED
    assert account.credit == q.total + 500 - owed_on_the_day > 500
    assert account.position()[Account.BORROWER_CREDIT_BALANCES] == -account.credit
    assert journal(account) == {a: v for a, v in account.position().items() if v}


def test_a_payment_below_the_quote_is_an_ordinary_payment_and_says_so():
    account = disbursed()
    q = quote(account, MARCH_1)
    pay(account, "p1", q.total - 1, MARCH_1, q)
    assert "PayoffAccepted" not in types(account)
    applied = account.pending[-1].event
    assert (applied.payoff_quote_id, applied.payoff_outcome) == ("pq-1", "below_quote")
    assert account.status == ACTIVE and account.outstanding_total() > 0
    [published] = integration_events(account, account.pending[-1])
    assert published.payoff_outcome == "below_quote" and published.payoff_waived is None


def test_a_quote_paid_after_its_validity_is_an_ordinary_payment():
    account = disbursed()
    q = quote(account, MARCH_1)
    pay(account, "p1", q.total, q.valid_until + timedelta(days=1), q)
    assert account.pending[-1].event.payoff_outcome == "quote_expired"
    assert account.status == ACTIVE


def test_a_late_fee_charged_after_the_quote_is_waived_because_the_quote_binds():
    account = disbursed()
    q = quote(account, date(2025, 2, 14), days=7)  # before #1 falls due: no late fee in it
    account.accrue(date(2025, 2, 20))  # #1 overdue: 17.00 late fee and penalty interest
    over = sum(account.payoff_on(date(2025, 2, 20))) - q.total
    assert over > 1700
    pay(account, "p1", q.total, date(2025, 2, 20), q)
    accepted = next(c.event for c in account.pending if c.event.type == "PayoffAccepted")
    assert sum(line[2] for line in accepted.waived) == over
    assert account.status == CLOSED and account.receivables() == (0, 0, 0, 0)
    assert account.position()[Account.WAIVER_EXPENSE] == over
    published = integration_events(account, account.pending[-2])[0]
    assert published.payoff_outcome == "settled" and published.payoff_waived is not None
    assert journal(account) == {a: v for a, v in account.position().items() if v}


def test_the_quote_does_not_bind_principal_a_bounced_payment_it_counted_on_is_owed():
    account = disbursed()
    pay(account, "p1", 34002, date(2025, 2, 15))
    q = quote(account, MARCH_1)
    account.reverse_payment(payment_id="p1", reversal_id="r1", reason="bounced", on=MARCH_1)
    pay(account, "p2", q.total, MARCH_1, q)
    assert account.pending[-1].event.payoff_outcome == "principal_above_quote"
    assert account.status == ACTIVE and "PayoffAccepted" not in types(account)


def test_reversing_the_settling_payment_reopens_the_loan_on_its_full_schedule():
    account = disbursed()
    due_before = [list(row) for row in account.due]
    q = quote(account, MARCH_1)
    pay(account, "p1", q.total, MARCH_1, q)
    account.reverse_payment(payment_id="p1", reversal_id="r1", reason="bounced",
                            on=date(2025, 3, 3))
    assert types(account)[-2:] == ["PayoffWithdrawn", "PaymentReversed"]
    assert account.status == ACTIVE and account.closed_on is None and account.payoff is None
    assert account.due == due_before and account.paid_total == [0, 0, 0, 0]
    account.accrue(date(2025, 3, 10))  # accrual resumes where the schedule says
    assert account.receivables()[INTEREST] == account._interest_earned(date(2025, 3, 10))
    assert journal(account) == {a: v for a, v in account.position().items() if v}
    assert snapshot(replayed(account)) == snapshot(account)


def test_reversing_a_payment_the_payoff_counted_on_puts_the_loan_back_on_its_schedule():
    account = disbursed()
    pay(account, "p1", 34002, date(2025, 2, 15))
    account.accrue(date(2025, 2, 28))
    q = quote(account, MARCH_1)
    pay(account, "p2", q.total, MARCH_1, q)
    assert account.status == CLOSED
    account.reverse_payment(payment_id="p1", reversal_id="r1", reason="bounced",
                            on=date(2025, 3, 3))
    assert types(account)[-2:] == ["PayoffWithdrawn", "PaymentReversed"]
    assert account.status == ACTIVE and account.outstanding_total() > 0
    assert journal(account) == {a: v for a, v in account.position().items() if v}


def test_reversing_a_payment_that_came_after_the_payoff_keeps_the_loan_settled():
    account = disbursed()
    q = quote(account, MARCH_1)
    pay(account, "p1", q.total, MARCH_1, q)
    credit = account.credit
    pay(account, "p2", 5000, date(2025, 3, 2))  # late in flight: all credit
    account.reverse_payment(payment_id="p2", reversal_id="r2", reason="duplicate",
                            on=date(2025, 3, 3))
    assert "PayoffWithdrawn" not in types(account)
    assert account.status == CLOSED and account.credit == credit


def test_a_payoff_backdated_before_the_last_accrual_reverses_the_interest_after_it():
    account = disbursed()
    q = quote(account, MARCH_1)
    account.accrue(date(2025, 3, 14))  # the ledger ran ahead of the payment's value date
    pay(account, "p1", q.total, MARCH_1, q)
    accepted = next(c.event for c in account.pending if c.event.type == "PayoffAccepted")
    assert accepted.accrued_interest < 0  # 13 days of #2's interest recognised, now undone
    assert account.status == CLOSED and account.receivables() == (0, 0, 0, 0)
    assert journal(account)[Account.INTEREST_INCOME] == -(1000 + 357)
    assert snapshot(replayed(account)) == snapshot(account)


def test_a_restructured_loan_is_paid_off_on_its_new_schedule():
    account = disbursed()
    account.accrue(date(2025, 3, 1))
    account.restructure(RestructureRequest(
        restructure_id="rst-1", request_id="rr-1", kind="reschedule",
        effective_date=date(2025, 3, 1), currency="EUR", new_installment_count=6))
    q = quote(account, date(2025, 4, 10))
    owed = sum(account.payoff_on(date(2025, 4, 10)))
    assert owed < sum(account.due_total) - sum(account.paid_total)  # future interest is off
    pay(account, "p1", q.total, date(2025, 4, 10), q)
    assert account.status == CLOSED and account.receivables() == (0, 0, 0, 0)
    assert account.credit == q.total - owed
    assert journal(account) == {a: v for a, v in account.position().items() if v}
    assert snapshot(replayed(account)) == snapshot(account)
    assert snapshot(restore(snapshot(account))) == snapshot(account)


def test_a_second_payment_against_the_same_quote_is_credit_on_the_closed_loan():
    account = disbursed()
    q = quote(account, MARCH_1)
    pay(account, "p1", q.total, MARCH_1, q)
    credit = account.credit
    pay(account, "p2", q.total, MARCH_1, q)
    assert account.pending[-1].event.payoff_outcome == "loan_not_active"
    assert account.status == CLOSED and account.credit == credit + q.total


def test_a_written_off_loan_takes_a_quote_payment_as_a_recovery():
    account = disbursed()
    q = quote(account, MARCH_1)
    account.write_off(write_off_id="wo-1", request_id=None, effective_date=MARCH_1,
                      reason="policy_dpd_reached", days_past_due=0)
    pay(account, "p1", q.total, MARCH_1, q)
    assert account.pending[-1].event.type == "RecoveryReceived"
    assert account.position()[Account.RECOVERIES_INCOME] == -q.total
