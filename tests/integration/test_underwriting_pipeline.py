"""Underwriting on the real PostgreSQL and Kafka, with the bureau simulator on a real port:
an ApplicationSubmitted on intake's topic becomes ScoreComputed and then exactly one
decision on underwriting's topic, keyed by the loan id, however often it is delivered."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from lending_events import parse_event
from lending_events.samples import SAMPLE_DATA
from lending_messaging.tables import inbox
from lending_underwriting.adapters.orm import decisions
from lending_underwriting.testing import event_of, submitted

from .underwriting_support import (
    TopicReader,
    bureau_simulator,
    operator_key,
    publish,
    running_underwriting,
    underwriting_app,
    wait_until,
)

pytestmark = pytest.mark.integration
DECISIONS = {"LoanApproved", "ApplicationDeclined", "ApplicationReferred"}


def application(token_prefix: str = "sim-prime", **changes):
    loan_id = f"app-{uuid.uuid4().hex[:16]}"
    token = f"{token_prefix}-{uuid.uuid4().hex}"
    return loan_id, token, submitted(loan_id, identity_hash=token, **changes)


@pytest.fixture
def bureau():
    with bureau_simulator() as (url, sim):
        yield url, sim


async def _decision_rows(app, loan_id: str) -> int:
    async with app.state.runtime.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(decisions)
                                     .where(decisions.c.application_id == loan_id)))


async def test_an_application_is_approved_once_with_full_terms_even_when_redelivered(
        service_app, kafka_bootstrap, bureau):
    app = underwriting_app(service_app, bureau[0])
    loan_id, _, event = application()
    reader = await TopicReader(kafka_bootstrap).start()
    try:
        async with running_underwriting(app) as client:
            (envelope,) = await publish(kafka_bootstrap, event)
            await publish(kafka_bootstrap, envelope)  # the same event again: a redelivery
            await publish(kafka_bootstrap, event)  # the same application, a new event id
            _score, decision = await reader.wait_for(loan_id, 2)
            await reader.settle()
            mine = [e for e in reader.seen if e.subject == loan_id]
            assert [e.type for e in mine] == ["ScoreComputed", "LoanApproved"]
            assert decision.causationid == envelope.id
            approved = parse_event(decision)
            assert approved.terms.principal == D("20000.00")
            assert approved.terms.apr <= D("0.24") and len(approved.terms.schedule) == 12
            assert await _decision_rows(app, loan_id) == 1
            headers = await operator_key(app)
            stored = (await client.get(f"/v1/decisions/{loan_id}", headers=headers)).json()
            assert stored["outcome"] == "approved"
            assert stored["inputs"]["bureau"]["report_id"].startswith("br-")
            rerun = (await client.post(f"/v1/decisions/{loan_id}/rerun",
                                       headers=headers)).json()
            assert rerun["same_result"], rerun["differences"]
            missing = await client.get("/v1/decisions/app-nope", headers=headers)
            assert missing.status_code == 404
            assert missing.headers["content-type"] == "application/problem+json"
    finally:
        await reader.stop()


async def test_a_bureau_outage_refers_and_an_underwriter_decides_with_a_note(
        service_app, kafka_bootstrap, bureau):
    url, sim = bureau
    sim.outage = True
    app = underwriting_app(service_app, url)
    loan_id, _, event = application()
    reader = await TopicReader(kafka_bootstrap).start()
    try:
        async with running_underwriting(app) as client:
            await publish(kafka_bootstrap, event)
            _, referred = await reader.wait_for(loan_id, 2)
            assert referred.type == "ApplicationReferred"
            referral_id = parse_event(referred).referral_id
            underwriter = await operator_key(app)
            servicer = await operator_key(app, role="servicer")
            queue = (await client.get("/v1/referrals", headers=underwriter)).json()["items"]
            assert referral_id in [r["referral_id"] for r in queue]
            url_decide = f"/v1/referrals/{referral_id}/decision"
            assert (await client.post(url_decide, json={"outcome": "approve"},
                                      headers=underwriter)).status_code == 422
            assert (await client.post(url_decide, json={"outcome": "approve", "note": "ok!"},
                                      headers=servicer)).status_code == 403
            assert (await client.post(url_decide, json={"outcome": "approve", "note": "ok!"}
                                      )).status_code == 401
            done = await client.post(url_decide, headers=underwriter, json={
                "outcome": "approve", "note": "bureau down; called the employer"})
            assert done.status_code == 200, done.text
            assert done.json()["status"] == "approved"
            again = await client.post(url_decide, headers=underwriter, json={
                "outcome": "decline", "note": "changed my mind"})
            assert again.status_code == 409
            _, _, approved = await reader.wait_for(loan_id, 3)
            manual = parse_event(approved)
            assert manual.event_type == "LoanApproved"
            assert manual.decision_mode.value == "manual" and manual.reviewer_id.startswith("op-")
    finally:
        await reader.stop()


async def test_the_exposure_view_follows_the_ledger_and_servicing_on_kafka(
        service_app, kafka_bootstrap, bureau):
    app = underwriting_app(service_app, bureau[0])
    loan_id, token, event = application()
    reader = await TopicReader(kafka_bootstrap).start()
    try:
        async with running_underwriting(app) as client:
            await publish(kafka_bootstrap, event)
            _, approved = await reader.wait_for(loan_id, 2)
            terms = parse_event(approved).terms
            # In life a loan is booked long before it is delinquent; the two events come on
            # different topics with no order between them, so publish them in that order.
            (booked,) = await publish(
                kafka_bootstrap,
                event_of("LoanBooked", loan_id, terms=terms, currency="CNY",
                         net_disbursement="19800.00"))

            async def booked_handled() -> bool:
                async with app.state.runtime.engine.connect() as conn:
                    return bool(await conn.scalar(
                        select(func.count()).select_from(inbox)
                        .where(inbox.c.event_id == booked.id)))

            await wait_until(booked_handled)
            await publish(
                kafka_bootstrap,
                event_of("DelinquencyChanged", loan_id, currency="CNY", days_past_due=15,
                         overdue_amount="1700.00", outstanding_principal="18600.00"))
            headers = await operator_key(app)

            async def seen():
                body = (await client.get(f"/v1/exposure/{token}", headers=headers)).json()
                return body["exposure"] if body["exposure"]["worst_days_past_due"] else None

            exposure = await wait_until(seen)
            assert exposure["active_loans"] == 1 and exposure["outstanding"] == "18600.00"
            second = submitted(f"app-{uuid.uuid4().hex[:16]}", identity_hash=token,
                               consent_given_at=SAMPLE_DATA["ApplicationSubmitted"][
                                   "consent_given_at"])
            await publish(kafka_bootstrap, second)
            _, declined = await reader.wait_for(second.loan_id, 2)
            assert declined.type == "ApplicationDeclined"
            assert "delinquent_loan_with_us" in parse_event(declined).reason_codes
    finally:
        await reader.stop()
