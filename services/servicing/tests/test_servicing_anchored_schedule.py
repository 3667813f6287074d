"""The ledger anchors a loan's schedule to the day the money goes out and says so on
Disbursed: servicing services that schedule, not the one booked (priced long before), so a
loan is never born delinquent; a loan refused at disbursement is cancelled."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lending_events.ledger import DisbursementFailed
from lending_servicing.testing import contract_terms, disbursed, loan_booked

from .servicing_support import Servicing

pytestmark = pytest.mark.integration
PRICED = date(2024, 1, 15)  # the offer's schedule starts here (a stale date)
PAID_OUT = date(2025, 1, 15)  # the business date the money went out


@pytest.fixture
async def servicing(database_url: str):
    app = await Servicing.start(database_url, initial_business_date=PAID_OUT)
    yield app
    await app.stop()


async def test_a_loan_paid_out_a_year_after_its_pricing_is_serviced_on_the_anchored_schedule(
        servicing):
    booked_terms = contract_terms(start=PRICED)
    anchored = contract_terms(start=PAID_OUT)
    payout = disbursed("loan-1", anchored)
    assert payout.value_date == PAID_OUT
    await servicing.ledger(loan_booked("loan-1", booked_terms),
                           payout.model_copy(update={"terms": anchored}))
    dues = await servicing.sql(
        "SELECT due_date FROM installments WHERE loan_id = 'loan-1' ORDER BY number")
    assert [d.due_date for d in dues] == [row.due_date for row in anchored.schedule]
    (loan,) = await servicing.sql(
        "SELECT status, start_date, maturity_date, disbursed_on FROM loans")
    assert (loan.status, loan.start_date, loan.disbursed_on) == ("active", PAID_OUT, PAID_OUT)
    assert loan.maturity_date == anchored.maturity_date
    await servicing.close(PAID_OUT)
    await servicing.close(anchored.first_due_date)
    assert await servicing.data("PaymentMissed") == []
    await servicing.close(anchored.first_due_date + timedelta(days=1))
    [missed] = await servicing.data("PaymentMissed")  # the anchored first installment
    assert missed["due_date"] == anchored.first_due_date.isoformat()


async def test_a_loan_refused_before_its_payout_is_cancelled_and_never_falls_due(servicing):
    terms = contract_terms(start=PAID_OUT)
    refused = DisbursementFailed(
        loan_id="loan-2", disbursement_id="loan-2", currency="EUR", amount=terms.principal,
        failure_code="apr_outside_tolerance", failure_message="a new offer is needed",
        attempt=1, retryable=False)
    await servicing.ledger(loan_booked("loan-2", terms), refused)
    (loan,) = await servicing.sql("SELECT status FROM loans WHERE loan_id = 'loan-2'")
    assert loan.status == "cancelled"
    await servicing.close(terms.maturity_date + timedelta(days=5))
    assert await servicing.data("PaymentMissed") == []


async def test_a_payout_on_the_priced_date_keeps_the_booked_schedule_rows(servicing):
    terms = contract_terms(start=PAID_OUT)
    await servicing.ledger(loan_booked("loan-3", terms))
    before = await servicing.sql("SELECT number, xmin::text AS x FROM installments ORDER BY 1")
    await servicing.ledger(disbursed("loan-3", terms).model_copy(update={"terms": terms}))
    after = await servicing.sql("SELECT number, xmin::text AS x FROM installments ORDER BY 1")
    assert after == before  # not rewritten: the anchored terms are the booked ones
    (loan,) = await servicing.sql("SELECT status FROM loans WHERE loan_id = 'loan-3'")
    assert loan.status == "active"
