"""Restructures on the contract sample (EUR 1000.00, 12%, three monthly installments from
2025-01-15): reschedule, term extension, payment holiday, rate change, capitalised arrears,
waivers and settlements; refusals; the journal; replay; the published LoanRestructured."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from lending_events.ledger import LoanRestructured
from lending_ledger.domain.accounts import Account, check_balanced
from lending_ledger.domain.contract import FEE, INTEREST, PENALTY, PRINCIPAL
from lending_ledger.domain.errors import InvalidLoanStateError
from lending_ledger.domain.loan_account import ACTIVE, CLOSED, LoanAccount
from lending_ledger.domain.restructure import RestructureRequest, waive_in_order
from lending_ledger.domain.snapshots import read_model, restore, snapshot
from lending_ledger.service_layer.integration import integration_events
from lending_ledger.testing import disbursed

OVERDUE_ON = date(2025, 3, 20)  # installments 1 (Feb 15) and 2 (Mar 15) are past due


def request(**changes: object) -> RestructureRequest:
    base = RestructureRequest(restructure_id="rst-1", request_id="rr-1", kind="reschedule",
                              effective_date=OVERDUE_ON, currency="EUR")
    return replace(base, **changes)  # type: ignore[arg-type]


def pay(account: LoanAccount, payment_id: str, amount: int, on: date) -> None:
    account.receive_payment(payment_id=payment_id, amount=amount, value_date=on,
                            received_at=f"{on}T10:00:00Z", method="bank_transfer")


def overdue() -> LoanAccount:
    account = disbursed()
    pay(account, "p1", 10000, date(2025, 2, 15))
    account.accrue(OVERDUE_ON)  # late fees and penalty interest on #1 and #2
    return account


def replayed(account: LoanAccount) -> LoanAccount:
    fresh = LoanAccount(account.loan_id)
    for version, change in enumerate(account.pending, start=1):
        fresh.apply_stored(change.event.type, change.event.to_data(), version)
    return fresh


def published(account: LoanAccount) -> LoanRestructured:
    change = next(c for c in account.pending if c.event.type == "LoanRestructured")
    (event,) = integration_events(account, change)
    assert isinstance(event, LoanRestructured)
    return event


def test_capitalised_arrears_move_into_principal_and_the_rest_is_re_amortised():
    account = overdue()
    owed = account.receivables()
    assert owed[FEE] > 0 and owed[PENALTY] > 0
    account.restructure(request(new_installment_count=6, capitalize_arrears=True))
    change = account.pending[-1]
    e = change.event
    assert e.type == "LoanRestructured"
    assert e.capitalized[INTEREST] + e.capitalized[FEE] + e.capitalized[PENALTY] > 0
    assert e.previous[PRINCIPAL] == owed[PRINCIPAL]
    new_principal = owed[PRINCIPAL] + sum(e.capitalized)
    assert account.receivables() == (new_principal, 0, 0, 0)
    check_balanced(change.postings)
    postings = {p.account: p.amount for p in change.postings}
    assert postings[Account.PRINCIPAL_RECEIVABLE] == sum(e.capitalized)
    assert postings.get(Account.WAIVER_EXPENSE, 0) == 0
    nxt = account.next_due()  # cured by the new schedule: nothing due before its first
    assert nxt is not None and nxt.installment_number == 1 and nxt.due_date > OVERDUE_ON
    event = published(account)
    terms = event.new_terms
    assert len(terms.schedule) == 6 and terms.start_date == OVERDUE_ON
    assert terms.principal == Decimal(new_principal) / 100
    assert event.capitalized == Decimal(sum(e.capitalized)) / 100
    assert event.outstanding is not None
    assert event.outstanding.principal == Decimal(new_principal) / 100
    assert event.outstanding.interest == event.outstanding.penalties == Decimal("0.00")


def test_carried_arrears_fall_due_with_the_first_new_installment():
    account = overdue()
    owed = account.receivables()
    account.restructure(request())
    e = account.pending[-1].event
    base = account.schedule_base
    assert e.carried[1:] == [owed[INTEREST] + e.accrued_interest, owed[FEE], owed[PENALTY]]
    first = account.due[base]
    assert first[PENALTY] == owed[PENALTY]
    assert account.receivables()[1:] == (e.carried[INTEREST], e.carried[FEE], e.carried[PENALTY])
    row1 = published(account).new_terms.schedule[0]
    assert row1.fees == Decimal(owed[FEE] + owed[PENALTY]) / 100
    # remaining count: only installment 3 was still ahead
    assert len(published(account).new_terms.schedule) == 1


def test_a_payment_holiday_moves_the_first_due_date_and_paying_the_schedule_closes_the_loan():
    account = overdue()
    account.restructure(request(first_due_date=date(2025, 6, 20), new_installment_count=2,
                                capitalize_arrears=True))
    terms = published(account).new_terms
    assert terms.first_due_date == date(2025, 6, 20)
    nxt = account.next_due()
    assert nxt is not None and nxt.due_date == date(2025, 6, 20)
    for n, row in enumerate(terms.schedule):
        account.accrue(row.due_date)
        pay(account, f"h{n}", int(row.total * 100), row.due_date)
    assert account.status == CLOSED
    assert account.receivables() == (0, 0, 0, 0) and account.credit == 0
    assert account.pending[-1].event.reason == "repaid"
    position = account.position()
    assert sum(position.values()) == 0
    # all interest of the new schedule was recognised exactly once
    assert account.recognized_interest == (account.paid_total[INTEREST]
                                           + account.capitalized[INTEREST])


def test_a_rate_change_with_a_waiver_waives_penalties_then_fees_then_interest():
    account = overdue()
    owed = list(account.receivables())
    waive = owed[PENALTY] + owed[FEE] + 100
    account.restructure(request(kind="restructure", new_annual_rate=Decimal("0.05"),
                                waive_amount=waive, capitalize_arrears=True))
    e = account.pending[-1].event
    assert e.waived[PENALTY] == owed[PENALTY] and e.waived[FEE] == owed[FEE]
    assert e.waived[INTEREST] == 100 and e.waived[PRINCIPAL] == 0
    postings = {p.account: p.amount for p in account.pending[-1].postings}
    assert postings[Account.WAIVER_EXPENSE] == waive
    assert published(account).new_terms.annual_rate == Decimal("0.05")
    assert published(account).waived == Decimal(waive) / 100


def test_a_settlement_waives_everything_above_the_agreed_amount_and_closes_when_paid():
    account = overdue()
    account.restructure(request(kind="settlement", settlement_amount=50000,
                                first_due_date=date(2025, 4, 30)))
    e = account.pending[-1].event
    assert sum(e.previous) - sum(e.waived) == 50000
    assert account.receivables() == (50000, 0, 0, 0)
    pay(account, "settle", 50000, date(2025, 4, 10))
    closed = account.pending[-1].event
    assert closed.type == "LoanClosed" and closed.reason == "settled"


@pytest.mark.parametrize(("setup", "req", "message"), [
    ("closed", request(), "closed loan"),
    ("written_off", request(), "written_off loan"),
    ("overdue", request(currency="USD"), "currency"),
    ("overdue", request(effective_date=date(2025, 3, 1)), "effective_date"),
    ("overdue", request(new_annual_rate=Decimal("0.30")), "new_annual_rate"),
    ("overdue", request(kind="settlement"), "settlement_amount"),
    ("overdue", request(kind="settlement", settlement_amount=10**9), "settlement_amount"),
    ("overdue", request(waive_amount=10**9), "waive_amount"),
    ("overdue", request(first_due_date=OVERDUE_ON), "first_due_date"),
])
def test_impossible_requests_are_refused_naming_the_parameter(setup, req, message):
    account = overdue()
    if setup == "closed":
        pay(account, "all", 200000, OVERDUE_ON)
    elif setup == "written_off":
        account.write_off(write_off_id="wo", request_id=None, effective_date=OVERDUE_ON,
                          reason="policy_dpd_reached", days_past_due=30)
    before = len(account.pending)
    with pytest.raises(InvalidLoanStateError, match=message):
        account.restructure(req)
    assert len(account.pending) == before


def test_the_same_request_again_is_a_no_op():
    account = overdue()
    account.restructure(request(capitalize_arrears=True))
    count = len(account.pending)
    account.restructure(request(capitalize_arrears=True))
    assert len(account.pending) == count


def test_payments_from_before_the_restructure_are_final():
    account = overdue()
    account.restructure(request(new_installment_count=3))
    with pytest.raises(InvalidLoanStateError, match="value_date"):
        pay(account, "late", 1000, date(2025, 3, 1))
    with pytest.raises(InvalidLoanStateError, match="before a restructure"):
        account.reverse_payment(payment_id="p1", reversal_id="r", reason="bounced",
                                on=date(2025, 3, 25))


def test_a_backdated_payment_after_the_restructure_replays_only_the_new_payments():
    account = overdue()
    before = [list(line) for line in account.payments["p1"].lines]
    account.restructure(request(new_installment_count=3, capitalize_arrears=True))
    pay(account, "n2", 5000, date(2025, 5, 1))
    pay(account, "n1", 5000, date(2025, 4, 1))  # backdated between the cut and n2
    moved = [r["payment_id"] for r in account.pending[-1].event.reallocations]
    assert moved == ["n2"] and account.payments["p1"].lines == before
    assert min(account.receivables()) >= 0
    assert snapshot(replayed(account)) == snapshot(account)


def test_replay_snapshot_and_read_model_survive_two_restructures():
    account = overdue()
    account.restructure(request(new_installment_count=4))
    pay(account, "n1", 20000, date(2025, 4, 20))
    account.accrue(date(2025, 5, 25))
    account.restructure(request(request_id="rr-2", restructure_id="rst-2", kind="restructure",
                                effective_date=date(2025, 5, 25), new_installment_count=2,
                                new_annual_rate=Decimal("0.08"), capitalize_arrears=True))
    assert snapshot(replayed(account)) == snapshot(account)
    restored = restore(snapshot(account))
    assert snapshot(restored) == snapshot(account)
    assert restored.contract == account.contract
    assert account.status == ACTIVE
    view = read_model(account)
    assert view["balances"]["principal"] == read_model(restored)["balances"]["principal"]
    assert sum(account.position().values()) == 0


def test_waive_in_order_takes_penalties_fees_interest_then_principal():
    assert waive_in_order([1000, 50, 20, 10], 75) == [0, 45, 20, 10]
    assert waive_in_order([1000, 50, 20, 10], 1080) == [1000, 50, 20, 10]
