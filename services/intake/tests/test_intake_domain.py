"""The application's status machine and the product rules, without any I/O."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from lending_intake.adapters.catalogue import load_catalogue
from lending_intake.domain.application import Application, Offer, Status
from lending_intake.domain.errors import OfferUnavailableError, TransitionNotAllowedError
from lending_intake.domain.rules import Requested, check_application
from lending_intake.domain.webhooks import next_wait, signature, verify
from lending_platform.credentials import Principal, RateLimiter

NOW = datetime(2025, 1, 14, 9, 30, tzinfo=UTC)
CATALOGUE = load_catalogue()


def _offer(offer_id: str = "offer-1", expires: timedelta = timedelta(days=7)) -> Offer:
    return Offer(offer_id, "dec-1", NOW + expires, {"apr": "0.2"}, "h" * 64)


def _approved() -> Application:
    app = Application.submit("app-1", "ptn-1", "personal-credit", [], NOW)
    app.approve(_offer(), {"outcome": "approved", "reasons": []}, NOW)
    return app


def test_an_application_missing_documents_waits_for_them() -> None:
    app = Application.submit("app-1", "ptn-1", "personal-credit", ["income_proof"], NOW)
    assert app.status == Status.DOCUMENTS_PENDING
    app.receive_documents([], NOW)
    assert app.status == Status.SUBMITTED
    assert [c.status for c in app.changes] == [Status.DOCUMENTS_PENDING, Status.SUBMITTED]


def test_a_signed_offer_must_be_current_unexpired_and_as_disclosed() -> None:
    app = _approved()
    with pytest.raises(OfferUnavailableError) as superseded:
        app.accept_offer("offer-0", "h" * 64, {}, NOW)
    assert superseded.value.reason == "superseded"
    with pytest.raises(OfferUnavailableError) as mismatch:
        app.accept_offer("offer-1", "x" * 64, {}, NOW)
    assert mismatch.value.reason == "disclosure_mismatch"
    with pytest.raises(OfferUnavailableError) as expired:
        app.accept_offer("offer-1", "h" * 64, {}, NOW + timedelta(days=8))
    assert expired.value.reason == "expired" and app.status == Status.EXPIRED


def test_an_offer_the_sweep_expired_is_refused_as_expired_and_stays_expired() -> None:
    app = _approved()
    app.expire(NOW + timedelta(days=8))
    assert app.status == Status.EXPIRED and app.changes[-1].reasons == ("offer_expired",)
    with pytest.raises(OfferUnavailableError) as refused:
        app.accept_offer("offer-1", "h" * 64, {}, NOW + timedelta(days=9))
    assert refused.value.reason == "expired"
    app.approve(_offer("offer-2"), {"outcome": "approved", "reasons": []}, NOW)
    assert app.status == Status.EXPIRED  # a late re-pricing does not reopen it


def test_an_accepted_offer_moves_on_to_disbursed_and_cannot_then_be_withdrawn() -> None:
    app = _approved()
    app.accept_offer("offer-1", "h" * 64, {"device_id": "d"}, NOW)
    app.mark_disbursed(NOW)
    assert app.status == Status.DISBURSED
    with pytest.raises(TransitionNotAllowedError):
        app.withdraw(NOW)


def test_a_late_decision_does_not_reopen_a_withdrawn_application() -> None:
    app = Application.submit("app-1", "ptn-1", "personal-credit", [], NOW)
    app.withdraw(NOW)
    app.approve(_offer(), {"outcome": "approved"}, NOW)
    assert app.status == Status.WITHDRAWN and app.offer is None


def test_the_rules_report_every_broken_limit() -> None:
    req = Requested("micro-business", Decimal("1000.00"), "EUR", 60, "daily", "gambling",
                    date(2010, 1, 1), "receivable")
    _, errors = check_application(CATALOGUE, req, date(2025, 1, 1))
    assert {f for f, _ in errors} == {
        "requested.currency", "requested.amount", "requested.term", "requested.frequency",
        "purpose", "applicant.date_of_birth", "security.type"}


def test_webhook_signatures_verify_only_for_the_same_secret_body_and_time() -> None:
    header = signature("whsec_a", 1_700_000_000, b"{}")
    assert verify("whsec_a", header, b"{}", 1_700_000_010)
    assert not verify("whsec_b", header, b"{}", 1_700_000_010)
    assert not verify("whsec_a", header, b"{ }", 1_700_000_010)
    assert not verify("whsec_a", header, b"{}", 1_700_009_999)
    assert [next_wait(n) for n in (1, 2, 7, 30)] == [10, 30, 7200, 7200]


def test_the_rate_limiter_allows_a_second_of_burst_then_says_when_to_retry() -> None:
    clock = [0.0]
    limiter = RateLimiter(lambda: clock[0])
    partner = Principal("ptn-1", "partner", "p", "partner", "k1", rate_limit_per_second=2)
    assert [limiter.retry_after(partner) for _ in range(2)] == [None, None]
    wait = limiter.retry_after(partner)
    assert wait is not None and 0 < wait <= 0.5
    clock[0] += 0.5
    assert limiter.retry_after(partner) is None


def test_a_payout_refused_for_good_ends_the_signed_application_with_the_reason() -> None:
    app = _approved()
    app.accept_offer("offer-1", "h" * 64, {}, NOW)
    app.fail_disbursement("apr_outside_tolerance", NOW)
    assert app.status == Status.DISBURSEMENT_FAILED and app.is_final()
    assert app.changes[-1].previous == Status.OFFER_ACCEPTED
    assert app.changes[-1].reasons == ("apr_outside_tolerance",)
    app.mark_disbursed(NOW)  # nothing moves it on: no money went out
    assert app.status == Status.DISBURSEMENT_FAILED
