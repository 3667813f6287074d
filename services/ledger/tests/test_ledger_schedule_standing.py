"""What the ledger says is paid toward the schedule, next due and days past due: figures
servicing's view of the same loan must agree with (issue #18). The ledger counts what is
paid toward the installments as the contract states them, oldest first (loanmath.next_due),
and takes days past due from servicing's delinquency, never from its own installments."""

from __future__ import annotations

from datetime import date

from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.domain.snapshots import read_model, restore, snapshot
from lending_ledger.service_layer.integration import integration_events
from lending_ledger.service_layer.queries import days_past_due
from lending_ledger.testing import built_terms, disbursed


def pay(account: LoanAccount, payment_id: str, amount: int, on: date) -> None:
    account.receive_payment(payment_id=payment_id, amount=amount, value_date=on,
                            received_at=f"{on}T10:00:00Z", method="bank_transfer")


def test_the_next_due_counts_a_partial_payment_against_the_oldest_installment_first():
    account = disbursed()
    pay(account, "pay-1", 1500, date(2025, 3, 20))  # interest of #1 and of #2 by allocation
    view = read_model(account)
    # servicing's rule: 15.00 paid toward the schedule leaves 340.02 - 15.00 of the first
    assert view["next_due"] == {"installment_number": 1, "due_date": "2025-02-15",
                                "amount_due": "325.02"}
    assert view["paid_to_schedule"] == "15.00"
    [applied] = integration_events(account, account.pending[-1])
    assert str(applied.paid_to_schedule) == "15.00"


def test_a_late_fee_takes_what_was_paid_of_its_installments_scheduled_fee_first():
    account = disbursed(built_terms(installment_fee="5.00"))
    first = account.contract.installments[0]
    stated = first.principal + first.interest + first.fee
    pay(account, "pay-1", stated - 100, first.due_date)  # 1.00 short: #1 is missed
    assert account.paid_to_schedule() == stated - 100
    account.accrue(date(2025, 3, 1))
    [fee] = [c for c in account.pending if c.event.type == "FeeCharged"]
    # the fees paid on #1 pay its late fee before its own fee: less is paid to the schedule
    paid = stated - 100 - min(first.fee, fee.event.amount)
    assert fee.paid_to_schedule == paid == account.paid_to_schedule()
    [charged] = integration_events(account, fee)
    assert charged.paid_to_schedule is not None and charged.outstanding is not None
    assert restore(snapshot(account)).paid_to_schedule() == paid


def test_the_ledgers_days_past_due_are_servicings_from_its_delinquency_start():
    account = disbursed()
    account.accrue(date(2025, 3, 1))  # #1 (due 2025-02-15) unpaid on the ledger's books
    status = read_model(account)["status"]
    # servicing rates the loan current (e.g. within its arrears tolerance): so does the ledger
    assert days_past_due(status, None, date(2025, 3, 1)) == 0
    assert days_past_due(status, date(2025, 2, 17), date(2025, 3, 1)) == 12
    assert days_past_due("closed", date(2025, 2, 17), date(2025, 3, 1)) == 0
