"""Offers are priced as of the business date servicing's day close owns, never the wall
clock's: the fake clock here reads 2025-03-03 while the book's business date is a year on."""

from __future__ import annotations

from datetime import date

from lending_events.servicing import BusinessDayClosed
from lending_underwriting.service_layer import queries
from lending_underwriting.service_layer.referrals import DecideReferral, decide_referral
from lending_underwriting.testing import TODAY, TOKEN, event_of, submitted

CLOSED = date(2026, 3, 19)
OPEN = date(2026, 3, 20)  # the business date after the close: a year ahead of the clock


def closed(business_date: date = CLOSED, next_business_date: date = OPEN) -> BusinessDayClosed:
    return BusinessDayClosed(calendar_id="main", business_date=business_date,
                             next_business_date=next_business_date)


async def test_an_offer_made_after_a_day_close_is_priced_from_the_business_date(wired):
    await wired.deliver(closed())
    await wired.deliver(submitted())
    (approved,) = wired.published("LoanApproved")
    assert approved.terms.start_date == OPEN
    assert approved.terms.first_due_date == date(2026, 4, 20)
    assert all(row.due_date > OPEN for row in approved.terms.schedule)


async def test_before_the_first_day_close_an_offer_starts_on_todays_utc_date(wired):
    await wired.deliver(submitted())
    (approved,) = wired.published("LoanApproved")
    assert approved.terms.start_date == TODAY


async def test_a_late_or_repeated_day_close_never_moves_the_business_date_back(wired):
    await wired.deliver(closed())
    await wired.deliver(closed(date(2026, 3, 10), date(2026, 3, 11)))  # an old one, late
    await wired.deliver(submitted())
    assert wired.published("LoanApproved")[0].terms.start_date == OPEN


async def test_an_application_waiting_for_documents_is_priced_when_they_arrive(wired):
    await wired.deliver(submitted(documents_complete=False, missing_documents=["income_proof"]))
    await wired.deliver(closed())
    await wired.deliver(event_of("DocumentsReceived", "app-unit-1"))
    assert wired.published("LoanApproved")[0].terms.start_date == OPEN


async def test_an_underwriters_approval_is_priced_from_the_business_date_of_the_approval(wired):
    wired.bureau.down = True
    await wired.deliver(submitted())
    referral_id = wired.published("ApplicationReferred")[0].referral_id
    await wired.deliver(closed())
    await decide_referral(wired.uw, DecideReferral(referral_id, True, "op-ann", "verified"))
    approved = wired.published("LoanApproved")[0]
    assert approved.terms.start_date == OPEN and approved.terms.first_due_date > OPEN


async def test_a_loan_refused_at_disbursement_no_longer_counts_as_exposure(wired):
    await wired.deliver(submitted("app-a"))
    terms = wired.published("LoanApproved")[0].terms
    await wired.deliver(event_of("LoanBooked", "app-a", terms=terms, currency="CNY",
                                 net_disbursement="19800.00"))
    assert (await queries.exposure(wired.uw, TOKEN, "CNY")).active_loans == 1
    await wired.deliver(event_of("DisbursementFailed", "app-a", currency="CNY",
                                 amount="19800.00", failure_code="apr_outside_tolerance",
                                 retryable=False))
    seen = await queries.exposure(wired.uw, TOKEN, "CNY")
    assert (seen.active_loans, seen.outstanding) == (0, 0)
