"""The loan account on the contract sample: booking, payout, payments split as the contract
says, overpayment held as credit, closure, reversals, accrual, write-off and recovery."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending_events.ledger import RecoveryApplied
from lending_ledger.domain.accounts import Account
from lending_ledger.domain.errors import LoanAlreadyBookedError, UnknownPaymentError
from lending_ledger.domain.loan_account import ACTIVE, CLOSED, WRITTEN_OFF, LoanAccount
from lending_ledger.domain.snapshots import read_model, restore, snapshot
from lending_ledger.service_layer.integration import integration_events
from lending_ledger.testing import LOAN, booked, disbursed, sample_terms


def pay(account: LoanAccount, payment_id: str, amount: int, on: date) -> None:
    account.receive_payment(payment_id=payment_id, amount=amount, value_date=on,
                            received_at=f"{on}T10:00:00Z", method="bank_transfer")


def replayed(account: LoanAccount) -> LoanAccount:
    fresh = LoanAccount(account.loan_id)
    for version, change in enumerate(account.pending, start=1):
        fresh.apply_stored(change.event.type, change.event.to_data(), version)
    return fresh


def test_disbursing_a_booked_loan_pays_the_net_amount_and_books_the_withheld_fee_as_income():
    account = disbursed()
    payout = account.pending[-1]
    assert payout.event.type == "LoanDisbursed" and payout.event.amount == 98000
    amounts = {p.account: p.amount for p in payout.postings}
    assert amounts == {Account.SETTLEMENT_CASH: -98000, Account.PRINCIPAL_RECEIVABLE: 100000,
                       Account.FEE_INCOME: -2000}
    assert account.status == ACTIVE


def test_an_installment_paid_on_its_due_date_settles_it_interest_before_principal():
    account = disbursed()
    pay(account, "pay-1", 34002, date(2025, 2, 15))
    applied = account.pending[-1].event
    assert applied.type == "PaymentApplied"
    assert sorted(applied.lines) == [[1, 0, 33002], [1, 1, 1000]]
    assert applied.settled == [1] and applied.overpayment == 0
    assert account.receivables()[0] == 66998


def test_a_partial_payment_on_an_overdue_loan_pays_the_oldest_interest_first():
    account = disbursed()
    pay(account, "pay-1", 1500, date(2025, 3, 20))  # installments 1 and 2 are past due
    lines = account.pending[-1].event.lines
    assert lines == [[1, 1, 1000], [2, 1, 500]]  # interest of #1, then of #2, no principal


def test_paying_everything_and_more_closes_the_loan_and_keeps_the_rest_as_credit():
    account = disbursed()
    pay(account, "pay-1", 110000, date(2025, 4, 15))
    types = [c.event.type for c in account.pending]
    assert types[-2:] == ["PaymentApplied", "LoanClosed"]
    assert account.pending[-2].event.overpayment == 110000 - 102007
    assert account.status == CLOSED and account.credit == 7993
    assert account.position()[Account.BORROWER_CREDIT_BALANCES] == -7993


def test_a_duplicate_payment_id_is_applied_once():
    account = disbursed()
    pay(account, "pay-1", 34002, date(2025, 2, 15))
    pay(account, "pay-1", 34002, date(2025, 2, 15))
    assert [c.event.type for c in account.pending].count("PaymentApplied") == 1


def test_a_backdated_payment_moves_a_later_payment_off_the_installment_it_now_pays():
    account = disbursed()
    pay(account, "late", 34002, date(2025, 3, 15))    # pays #1 (past due), 0 of #2
    pay(account, "early", 34002, date(2025, 2, 15))   # value date before "late"
    applied = account.pending[-1].event
    assert sorted(applied.lines) == [[1, 0, 33002], [1, 1, 1000]]
    [moved] = applied.reallocations
    assert moved["payment_id"] == "late"
    assert sorted(moved["lines"]) == [[2, 0, 33332], [2, 1, 670]]
    assert account.paid[0] == [33002, 1000, 0, 0] and account.paid[1] == [33332, 670, 0, 0]


def test_a_reversal_undoes_the_split_and_reallocates_later_payments():
    account = disbursed()
    pay(account, "p1", 34002, date(2025, 2, 15))
    pay(account, "p2", 34002, date(2025, 3, 15))
    account.reverse_payment(payment_id="p1", reversal_id="r1", reason="bounced",
                            on=date(2025, 3, 17))
    reversed_ = account.pending[-1].event
    assert reversed_.type == "PaymentReversed" and reversed_.amount == 34002
    assert reversed_.reallocations[0]["payment_id"] == "p2"
    assert account.paid[0] == [33002, 1000, 0, 0] and account.paid[1] == [0, 0, 0, 0]
    with pytest.raises(UnknownPaymentError):
        account.reverse_payment(payment_id="nope", reversal_id="r2", reason="bounced",
                                on=date(2025, 3, 17))


def test_accrual_recognises_interest_by_day_and_penalties_after_the_grace_days():
    account = disbursed()
    account.accrue(date(2025, 1, 30))  # 15 of 30 days (30/360) of 10.00
    first = account.pending[-1].event
    assert first.type == "InterestAccrued" and first.interest == 500
    account.accrue(date(2025, 1, 30))  # the same date again: nothing
    assert account.pending[-1].event is first
    account.accrue(date(2025, 2, 20))  # #1 due 15 Feb, 3 grace days, 5% late fee
    kinds = [c.event.type for c in account.pending[-2:]]
    assert kinds == ["FeeCharged", "InterestAccrued"]
    assert account.pending[-2].event.amount == 1700  # 5% of 340.02, half-even
    assert account.pending[-1].event.penalties[0][0] == 1
    # the late fee is owed beside the schedule: installment 1 is unpaid as stated
    nxt = account.next_due()
    assert nxt is not None and (nxt.installment_number, nxt.due_date) == (1, date(2025, 2, 15))
    assert nxt.amount_due == 34002 and account.paid_to_schedule() == 0


def test_a_written_off_loan_takes_later_payments_as_recoveries():
    account = disbursed()
    account.accrue(date(2025, 6, 1))
    account.write_off(write_off_id="wo-1", request_id="r-1", effective_date=date(2025, 6, 1),
                      reason="policy_dpd_reached", days_past_due=106)
    assert account.status == WRITTEN_OFF and account.receivables() == (0, 0, 0, 0)
    pay(account, "rec-1", 5000, date(2025, 7, 1))
    assert account.pending[-1].event.type == "RecoveryReceived"
    assert account.position()[Account.RECOVERIES_INCOME] == -5000


def test_each_recovery_publishes_recovery_applied_with_the_running_total():
    account = disbursed()
    account.write_off(write_off_id="wo-1", request_id="r-1", effective_date=date(2025, 6, 1),
                      reason="policy_dpd_reached", days_past_due=106)
    pay(account, "rec-1", 5000, date(2025, 7, 1))
    pay(account, "rec-2", 2550, date(2025, 8, 1))
    pay(account, "rec-2", 2550, date(2025, 8, 1))  # a redelivery: no second recovery
    published = [e for c in account.pending for e in integration_events(account, c)
                 if isinstance(e, RecoveryApplied)]
    assert [(e.payment_id, e.amount, e.received_on) for e in published] == [
        ("rec-1", Decimal("50.00"), date(2025, 7, 1)),
        ("rec-2", Decimal("25.50"), date(2025, 8, 1))]
    assert [e.recovered_total for e in published] == [Decimal("50.00"), Decimal("75.50")]


def test_replaying_the_events_and_restoring_a_snapshot_give_the_same_state():
    account = disbursed()
    pay(account, "p1", 20000, date(2025, 2, 15))
    account.accrue(date(2025, 3, 1))
    pay(account, "p2", 20000, date(2025, 2, 1))
    assert snapshot(replayed(account)) == snapshot(account)
    assert snapshot(restore(snapshot(account))) == snapshot(account)
    view = read_model(account)
    principal = account.receivables()[0]
    assert view["balances"]["principal"] == f"{principal // 100}.{principal % 100:02d}"
    assert [i["number"] for i in view["installments"]] == [1, 2, 3]
    assert view["installments"][0]["settled"] is True


def test_booking_twice_with_another_decision_is_refused_but_the_same_one_is_a_no_op():
    account = booked()
    account.book(terms=sample_terms(), decision_id="dec-1", offer_id="offer-1",
                 applicant_id="a", partner_id="p", booked_on=date(2025, 1, 15),
                 disbursement_method="bank_transfer", disbursement_account="x")
    assert len(account.pending) == 1
    with pytest.raises(LoanAlreadyBookedError):
        account.book(terms=sample_terms(), decision_id="dec-2", offer_id="offer-1",
                     applicant_id="a", partner_id="p", booked_on=date(2025, 1, 15),
                     disbursement_method="bank_transfer", disbursement_account="x")
    assert account.loan_id == LOAN
