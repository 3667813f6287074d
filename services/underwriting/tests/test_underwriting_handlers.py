"""The service layer driven like the consumer drives it (composition root, in-memory fakes):
one ApplicationSubmitted -> ScoreComputed then exactly one decision, however often it comes."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from lending_events import to_envelope
from lending_underwriting.domain.errors import (
    NoOfferToApproveError,
    ReferralAlreadyDecidedError,
    ReferralNotFoundError,
)
from lending_underwriting.service_layer import queries
from lending_underwriting.service_layer.referrals import DecideReferral, decide_referral
from lending_underwriting.testing import TOKEN, event_of, submitted

DECISIONS = ("LoanApproved", "ApplicationDeclined", "ApplicationReferred")


async def test_an_application_is_scored_then_gets_exactly_one_decision(wired):
    await wired.deliver(submitted())
    events = wired.published()
    assert [e.event_type for e in events] == ["ScoreComputed", "LoanApproved"]
    score, approved = events
    assert approved.score_id == score.score_id and approved.risk_grade == score.risk_grade
    assert approved.terms.principal == D("20000.00") and approved.terms.apr <= D("0.24")
    assert approved.decision_mode.value == "automatic"


async def test_a_redelivered_event_changes_nothing(wired):
    envelope = to_envelope(submitted(), source="intake")
    await wired.publish(envelope)
    await wired.publish(envelope)  # the broker delivers the same event again
    assert len(wired.published(*DECISIONS)) == 1
    assert len(wired.bureau.calls) == 1


async def test_the_same_application_under_a_new_event_id_is_not_decided_twice(wired):
    await wired.deliver(submitted())
    await wired.deliver(submitted())  # intake re-emits: a new event id, the same loan
    assert len(wired.published(*DECISIONS)) == 1
    assert len(wired.published("ScoreComputed")) == 1


async def test_missing_required_documents_wait_and_their_arrival_decides(wired):
    await wired.deliver(submitted(documents_complete=False, missing_documents=["income_proof"]))
    assert wired.published() == []
    received = event_of("DocumentsReceived", "app-unit-1")
    await wired.deliver(received)
    assert [e.event_type for e in wired.published()] == ["ScoreComputed", "LoanApproved"]


async def test_a_bureau_outage_sends_the_application_to_the_referral_queue(wired):
    wired.bureau.down = True
    await wired.deliver(submitted())
    referred = wired.published("ApplicationReferred")[0]
    assert "bureau_unavailable" in referred.reason_codes
    open_ones = await queries.referrals(wired.uw, "open", 10)
    assert [r.referral_id for r in open_ones] == [referred.referral_id]


async def test_an_underwriter_approves_a_referral_once_with_a_note(wired):
    wired.bureau.down = True
    await wired.deliver(submitted())
    referral_id = wired.published("ApplicationReferred")[0].referral_id
    decided = await decide_referral(wired.uw, DecideReferral(
        referral_id, True, "op-ann", "bureau down; income verified by phone"))
    assert decided.status == "approved" and decided.reviewer_id == "op-ann"
    approved = wired.published("LoanApproved")[0]
    assert approved.decision_mode.value == "manual" and approved.reviewer_id == "op-ann"
    with pytest.raises(ReferralAlreadyDecidedError):
        await decide_referral(wired.uw, DecideReferral(referral_id, False, "op-bo", "no"))
    stored = await queries.decision(wired.uw, "app-unit-1")
    assert stored["final_outcome"] == "approved"
    assert stored["review"]["note"] == "bureau down; income verified by phone"
    with pytest.raises(ReferralNotFoundError):
        await decide_referral(wired.uw, DecideReferral("ref-nope", True, "op-ann", "ok"))


async def test_a_declined_referral_publishes_the_underwriters_reasons(wired):
    wired.bureau.down = True
    await wired.deliver(submitted())
    referral_id = wired.published("ApplicationReferred")[0].referral_id
    await decide_referral(wired.uw, DecideReferral(
        referral_id, False, "op-ann", "income proof looks edited", ("identity_not_verified",)))
    declined = wired.published("ApplicationDeclined")[0]
    assert declined.reason_codes == ["identity_not_verified"]
    assert declined.decision_mode.value == "manual"


async def test_a_failed_referral_decision_leaves_nothing_behind(wired, book):
    wired.bureau.down = True
    await wired.deliver(submitted())
    referral_id = wired.published("ApplicationReferred")[0].referral_id
    wired.uw.book = replace(book, products={})  # no price possible
    with pytest.raises(NoOfferToApproveError):
        await decide_referral(wired.uw, DecideReferral(referral_id, True, "op-ann", "go"))
    assert (await queries.referrals(wired.uw, "open", 10))[0].referral_id == referral_id
    assert wired.published("LoanApproved") == []


async def test_the_exposure_view_follows_the_ledger_and_servicing(wired):
    await wired.deliver(submitted("app-a"))
    terms = wired.published("LoanApproved")[0].terms
    booked = event_of("LoanBooked", "app-a", terms=terms, currency="CNY",
                      net_disbursement="19800.00")
    late = event_of("DelinquencyChanged", "app-a", currency="CNY", days_past_due=9,
                    overdue_amount="1500.00", outstanding_principal="18500.00")
    await wired.deliver(booked, late)
    seen = await queries.exposure(wired.uw, TOKEN, "CNY")
    assert (seen.active_loans, seen.outstanding, seen.worst_days_past_due) == (
        1, D("18500.00"), 9)
    await wired.deliver(submitted("app-b"))
    declined = wired.published("ApplicationDeclined")[0]
    assert declined.loan_id == "app-b" and "delinquent_loan_with_us" in declined.reason_codes
    closed = event_of("LoanClosed", "app-a", currency="CNY")
    await wired.deliver(closed)
    assert (await queries.exposure(wired.uw, TOKEN, "CNY")).active_loans == 0


async def test_an_open_offer_counts_as_exposure_for_the_next_application(wired):
    await wired.deliver(submitted("app-a", requested_amount="30000.00"),
                        submitted("app-b", requested_amount="30000.00"),
                        submitted("app-c", requested_amount="30000.00"))
    # Loans sit on different partitions, so which one comes third is the broker's business;
    # whichever it is finds two open offers and is declined for stacking.
    decided = wired.published(*DECISIONS)
    assert sorted(e.event_type for e in decided) == [
        "ApplicationDeclined", "LoanApproved", "LoanApproved"]
    declined = next(e for e in decided if e.event_type == "ApplicationDeclined")
    assert declined.reason_codes == ["stacking_detected"]


async def test_servicing_events_that_overtake_the_booking_are_applied_when_it_arrives(wired):
    await wired.deliver(submitted("app-a"))
    terms = wired.published("LoanApproved")[0].terms
    missed = event_of("PaymentMissed", "app-a", currency="CNY", days_past_due=4)
    late = event_of("DelinquencyChanged", "app-a", currency="CNY", days_past_due=9,
                    overdue_amount="1500.00", outstanding_principal="18500.00")
    await wired.deliver(missed)  # servicing's topic is not ordered with the ledger's
    await wired.deliver(late)
    early = await queries.exposure(wired.uw, TOKEN, "CNY")
    assert (early.active_loans, early.open_offers, early.worst_days_past_due) == (0, 1, 0)
    await wired.deliver(event_of("LoanBooked", "app-a", terms=terms, currency="CNY",
                                 net_disbursement="19800.00"))
    seen = await queries.exposure(wired.uw, TOKEN, "CNY")
    assert (seen.active_loans, seen.outstanding, seen.worst_days_past_due) == (
        1, D("18500.00"), 9)
    assert wired.store.state.parked_events == {}  # applied once, then gone


async def test_an_event_for_a_loan_we_never_offered_is_not_parked(wired):
    await wired.deliver(event_of("DelinquencyChanged", "app-elsewhere", currency="CNY",
                                 days_past_due=9, overdue_amount="1500.00",
                                 outstanding_principal="18500.00"))
    assert wired.store.state.parked_events == {}


async def test_the_bureau_is_asked_before_the_transaction_and_the_decision_uses_that_answer(
        wired):
    from contextlib import asynccontextmanager

    order: list[str] = []
    opens, asks = wired.consumer.inbox._session_factory, wired.bureau.report

    @asynccontextmanager
    async def transaction():
        order.append("transaction")
        async with opens() as tx:
            yield tx

    async def report(token, currency):
        order.append("bureau")
        return await asks(token, currency)

    wired.consumer.inbox._session_factory = transaction
    wired.bureau.report = report
    await wired.deliver(submitted("app-p"))
    assert order == ["bureau", "transaction"]  # asked once, and before
    assert wired.published("LoanApproved") and len(wired.uw.prefetched) == 0


async def test_no_prefetch_for_an_application_that_waits_for_documents_or_is_malformed(wired):
    from lending_underwriting.service_layer.prefetch import prefetcher, wanted

    product = wired.uw.book.product("personal-credit")
    waiting = submitted("app-w", missing_documents=list(product.required_documents) or ["x"],
                        documents_complete=False)
    await prefetcher(wired.uw)([to_envelope(waiting, source="intake")])
    assert wired.bureau.calls == [] or not product.required_documents
    assert wanted(wired.uw, {"loan_id": "a"}) is None
