"""At disbursement the schedule is anchored to the day the money goes out, and the APR
recomputed on it must stay within the Regulation Z tolerance of the disclosed one, or the
loan is refused before any payout."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from lending_events.ledger import Disbursed, DisbursementFailed
from lending_ledger.domain.anchoring import AprTolerance, anchor
from lending_ledger.domain.loan_account import (
    ACTIVE,
    APR_OUTSIDE_TOLERANCE,
    BOOKED,
    DISBURSEMENT_FAILED,
    LoanAccount,
)
from lending_ledger.domain.snapshots import read_model, restore, snapshot
from lending_ledger.service_layer.integration import integration_events
from lending_ledger.testing import booked, built_terms

PRICED_ON = date(2026, 3, 2)  # the wall clock's day when the offer was priced
PAID_OUT_ON = date(2027, 3, 20)  # the business date when the money went out
TOLERANCE = AprTolerance()


def pay_out(account: LoanAccount, on: date) -> None:
    account.request_payout(disbursement_id=account.loan_id, value_date=on, tolerance=TOLERANCE)
    account.record_disbursement(disbursement_id=account.loan_id, value_date=on,
                                provider_reference="po-1")


def replayed(account: LoanAccount) -> LoanAccount:
    fresh = LoanAccount(account.loan_id)
    for version, change in enumerate(account.pending, start=1):
        fresh.apply_stored(change.event.type, change.event.to_data(), version)
    return fresh


def test_a_loan_paid_out_a_year_after_its_offer_was_priced_is_current_at_birth():
    account = booked(built_terms(start=PRICED_ON, term=12))
    pay_out(account, PAID_OUT_ON)
    c = account.contract
    assert c is not None and c.start_date == PAID_OUT_ON
    assert c.installments[0].due_date == date(2027, 4, 20)
    assert all(row.due_date > PAID_OUT_ON for row in c.installments)
    nxt = account.next_due()
    assert nxt is not None and (nxt.installment_number, nxt.due_date) == (1, date(2027, 4, 20))


def test_the_anchored_schedule_keeps_the_principal_rate_count_and_fee_of_the_contract():
    terms = built_terms(start=PRICED_ON, term=12)
    account = booked(terms)
    pay_out(account, PAID_OUT_ON)
    anchored = account.terms
    assert anchored is not None
    assert [anchored[k] for k in ("principal", "annual_rate", "fees", "product_code")] == [
        terms[k] for k in ("principal", "annual_rate", "fees", "product_code")]
    assert len(anchored["schedule"]) == 12
    assert anchored["start_date"] == "2027-03-20" and anchored["maturity_date"] == "2028-03-20"
    payout = account.pending[-1]
    assert payout.event.type == "LoanDisbursed" and payout.event.amount == 118000


def test_the_payout_publishes_the_anchored_terms_for_every_service_that_holds_the_schedule():
    account = booked(built_terms(start=PRICED_ON, term=12))
    pay_out(account, PAID_OUT_ON)
    (published,) = integration_events(account, account.pending[-1])
    assert isinstance(published, Disbursed) and published.terms is not None
    assert published.value_date == PAID_OUT_ON == published.terms.start_date
    assert published.terms.schedule[0].due_date == date(2027, 4, 20)


def test_a_loan_paid_out_on_its_priced_start_keeps_its_schedule_exactly():
    terms = built_terms(start=PAID_OUT_ON, term=12)
    account = booked(terms)
    pay_out(account, PAID_OUT_ON)
    assert account.terms == terms
    assert [c.event.type for c in account.pending] == [
        "LoanBooked", "PayoutRequested", "LoanDisbursed"]


def test_replaying_or_restoring_an_anchored_loan_gives_the_anchored_schedule():
    account = booked(built_terms(start=PRICED_ON, term=12))
    pay_out(account, PAID_OUT_ON)
    account.accrue(date(2027, 5, 3))
    account.receive_payment(payment_id="pay-1", amount=10000, value_date=date(2027, 5, 3),
                            received_at="2027-05-03T10:00:00Z", method="bank_transfer")
    fresh = replayed(account)
    assert snapshot(fresh) == snapshot(account)
    assert read_model(fresh) == read_model(account)
    assert snapshot(restore(snapshot(account))) == snapshot(account)
    assert fresh.contract == account.contract


def test_a_payout_requested_is_paid_on_its_date_even_after_a_day_close():
    account = booked(built_terms(start=PRICED_ON, term=12))
    account.request_payout(disbursement_id="loan-1", value_date=PAID_OUT_ON, tolerance=TOLERANCE)
    account.request_payout(disbursement_id="loan-1", value_date=PAID_OUT_ON + timedelta(days=1),
                           tolerance=TOLERANCE)  # a retry after a close: the date stands
    assert account.payout_on == PAID_OUT_ON
    assert snapshot(restore(snapshot(account))) == snapshot(account)


def test_an_apr_beyond_the_regulation_z_tolerance_refuses_the_payout_before_any_money_moves():
    # Priced on a month end, 30/360: the first period is 28 days (Jan 31 - Feb 28). Paid out
    # the next day, the first period is a whole 30-day month: more interest, an APR about
    # 0.3 of a point above the disclosed one, beyond the 1/8 point of a regular transaction.
    terms = built_terms("5000.00", "0.23", 12, start=date(2027, 1, 31))
    account = booked(terms)
    account.request_payout(disbursement_id="loan-1", value_date=date(2027, 2, 1),
                           tolerance=TOLERANCE)
    assert account.status == DISBURSEMENT_FAILED and account.payout_on is None
    refused = account.pending[-1]
    assert refused.event.type == "DisbursementFailed" and refused.postings == []
    (published,) = integration_events(account, refused)
    assert isinstance(published, DisbursementFailed)
    assert published.failure_code == APR_OUTSIDE_TOLERANCE and published.retryable is False
    assert "2027-02-01" in (published.failure_message or "")


def test_the_same_breach_is_accepted_with_a_wider_configured_tolerance():
    account = booked(built_terms("5000.00", "0.23", 12, start=date(2027, 1, 31)))
    account.request_payout(disbursement_id="loan-1", value_date=date(2027, 2, 1),
                           tolerance=AprTolerance(Decimal("0.01"), Decimal("0.01")))
    assert account.status == BOOKED and account.payout_on == date(2027, 2, 1)


def test_a_disclosed_apr_that_does_not_match_the_booked_schedule_is_refused_even_on_the_day():
    terms = {**built_terms(start=PAID_OUT_ON), "apr": "0.1500"}
    account = booked(terms)
    account.request_payout(disbursement_id="loan-1", value_date=PAID_OUT_ON, tolerance=TOLERANCE)
    assert account.status == DISBURSEMENT_FAILED


def test_declining_payments_are_an_irregular_transaction_with_the_quarter_point_tolerance():
    terms = built_terms(start=PRICED_ON, term=6)
    assert anchor(terms, PAID_OUT_ON).tolerance == Decimal("0.00125")
    declining = anchor({**terms, "amortization": "equal_principal"}, PAID_OUT_ON)
    assert not declining.regular and declining.tolerance == Decimal("0.0025")


def test_a_disbursed_loan_accrues_from_its_payout_not_from_the_priced_start():
    account = booked(built_terms(start=PRICED_ON, term=12))
    pay_out(account, PAID_OUT_ON)
    account.accrue(PAID_OUT_ON + timedelta(days=1))
    accrued = account.pending[-1].event
    assert accrued.type == "InterestAccrued"
    assert accrued.accrued_from == "2027-03-21" and accrued.interest > 0
    assert account.status == ACTIVE
