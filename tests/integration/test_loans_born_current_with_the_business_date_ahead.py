"""With the business date closed a year ahead of the wall clock, a new loan is born current.

Underwriting, the ledger and servicing on their own PostgreSQL databases and the real Kafka,
with the credit bureau and the payout provider simulators on real ports. Servicing's day
close moves the business date a year past the wall clock's; then an application arrives (as
intake publishes it) and its offer is accepted (as intake announces it). The offer is priced
from the business date, the money goes out on it, the schedule is anchored to it: the first
installment falls due a month after the payout, as both the ledger's and servicing's APIs
show, the loan is current at birth, and the next day close misses nothing for it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from lending_events import topics
from lending_events.intake import DisbursementAccount, OfferAccepted
from lending_ledger.testing import issue_operator_key
from lending_platform.testing import running
from lending_underwriting.testing import submitted

from .intake_helpers import eventually, topic_tail
from .ledger_support import publish, start_simulator
from .test_collections_over_kafka import Tail
from .underwriting_support import bureau_simulator, operator_key

pytestmark = pytest.mark.integration


async def business_date_of(app: Any) -> date | None:
    async with app.state.runtime.engine.connect() as conn:
        return await conn.scalar(text("SELECT max(next_business_date) FROM business_dates"))


async def test_a_loan_made_with_the_business_date_a_year_ahead_is_current_at_birth(
        service_app: Any, kafka_bootstrap: str) -> None:
    today = datetime.now(UTC).date()  # the wall clock's
    closed = today + timedelta(days=364)
    loan_id = f"app-{uuid.uuid4().hex[:16]}"
    latest: dict[str, Any] = {"consumer_offset_reset": "latest"}
    with bureau_simulator() as (bureau_url, _), start_simulator() as payout_url:
        underwriting = service_app("underwriting", bureau_url=bureau_url, **latest)
        ledger = service_app("ledger", payout_url=payout_url, **latest)
        servicing = service_app("servicing", initial_business_date=closed, **latest)
        async with running(underwriting, from_now=True), \
                running(ledger, from_now=True) as ledger_api, \
                running(servicing, from_now=True) as servicing_api, \
                topic_tail(kafka_bootstrap, topics.UNDERWRITING) as uw_tail, \
                topic_tail(kafka_bootstrap, topics.LEDGER) as l_tail, \
                topic_tail(kafka_bootstrap, topics.SERVICING) as s_tail:
            servicer = await operator_key(servicing, "servicer")
            admin = await operator_key(servicing, "admin")  # closes ahead of the wall clock
            ledger_ops = {"Authorization": "Bearer " + await issue_operator_key(
                ledger.state.runtime.sessions)}

            # --- the day close moves the business date a year past the wall clock's
            close = await servicing_api.post("/v1/admin/business-day/close", headers=admin, json={
                "as_of": closed.isoformat(), "allow_future_date": True})
            assert close.status_code == 200, close.text
            business_date = date.fromisoformat(close.json()["business_date"])
            assert business_date == closed + timedelta(days=1) > today + timedelta(days=360)

            async def everyone_knows() -> bool:
                known = [await business_date_of(app) for app in (underwriting, ledger)]
                return known == [business_date, business_date]

            await eventually(everyone_knows, within=60)

            # --- an application, priced as of the business date, accepted at wall time
            await publish(kafka_bootstrap, submitted(
                loan_id, identity_hash=f"sim-prime-{uuid.uuid4().hex}"))
            approved = await Tail(uw_tail).find(loan_id, "LoanApproved", within=60)
            assert approved.terms.start_date == business_date
            assert approved.terms.first_due_date > business_date
            await publish(kafka_bootstrap, OfferAccepted(
                loan_id=loan_id, offer_id=f"offer-{loan_id}", decision_id=approved.decision_id,
                accepted_at=datetime.now(UTC), disbursement_account=DisbursementAccount(
                    method="bank_transfer", account_ref="tok_acct_42")))
            paid_out = await Tail(l_tail).find(loan_id, "Disbursed", within=60)
            assert paid_out.value_date == business_date
            assert paid_out.terms is not None
            assert paid_out.terms.first_due_date == approved.terms.first_due_date

            # --- the ledger's view: paid out on the business date, nothing due before it
            in_ledger = (await ledger_api.get(f"/v1/loans/{loan_id}", headers=ledger_ops)).json()
            assert in_ledger["disbursed_on"] == business_date.isoformat()
            assert date.fromisoformat(in_ledger["installments"][0]["due_date"]) > business_date
            assert in_ledger["days_past_due"] == 0

            # --- servicing's view: active, current, the first due date after the payout
            async def active() -> dict[str, Any] | None:
                got = await servicing_api.get(f"/v1/loans/{loan_id}", headers=servicer)
                return got.json() if got.status_code == 200 and \
                    got.json()["status"] == "active" else None

            loan = await eventually(active, within=60)
            assert (loan["days_past_due"], loan["bucket"], loan["overdue_amount"]) == (
                0, "current", "0.00")
            first_due = date.fromisoformat(loan["next_due"]["due_date"])
            assert first_due == paid_out.terms.first_due_date > business_date
            assert [i["status"] for i in loan["installments"]] == ["upcoming"] * len(
                loan["installments"])

            # --- the next day close misses nothing for it
            close = await servicing_api.post("/v1/admin/business-day/close", headers=admin, json={
                "as_of": business_date.isoformat(), "allow_future_date": True})
            assert close.status_code == 200, close.text
            assert [d["payments_missed"] for d in close.json()["closed"]] == [0]
            await Tail(s_tail).find(business_date.isoformat(), "BusinessDayClosed", within=30)
            after = (await servicing_api.get(f"/v1/loans/{loan_id}", headers=servicer)).json()
            assert (after["days_past_due"], after["bucket"]) == (0, "current")
