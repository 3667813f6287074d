"""The HTTP API through the real app (lifespan, migrations, auth, problem details) on a real
PostgreSQL; Kafka is not needed: background workers are off and ledger events arrive
through the in-memory harness on the same database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from lending_events.credentials import CredentialIssued
from lending_platform.credentials import new_api_key, record_issued
from lending_platform.testing import running
from lending_servicing.config import Settings
from lending_servicing.entrypoints.app import create_app
from lending_servicing.testing import contract_terms, disbursed, loan_booked, payment_applied

from .servicing_support import Servicing

pytestmark = pytest.mark.integration
START = date(2025, 1, 15)


class Api:
    def __init__(self, client: httpx.AsyncClient, servicing: Servicing) -> None:
        self.client = client
        self.servicing = servicing
        self.keys: dict[str, str] = {}

    async def key(self, principal_id: str, kind: str = "partner", role: str = "partner") -> str:
        issued = new_api_key()
        async with self.servicing.runtime.sessions() as session, session.begin():
            await record_issued(session, CredentialIssued(
                principal_id=principal_id, principal_kind=kind, principal_name=principal_id,
                role=role, key_id=issued.key_id, key_sha256=issued.sha256,
                issued_at=datetime.now(UTC)))
        return issued.api_key

    async def pay(self, key: str, loan_id: str, idempotency_key: str | None = None,
                  **body: object) -> httpx.Response:
        payload = {"amount": "310.00", "currency": "EUR", "value_date": "2025-02-01",
                   "channel": "mobile_money", "external_reference": "mm-1", **body}
        headers = {"Authorization": f"Bearer {key}"}
        if idempotency_key is not False:
            headers["Idempotency-Key"] = idempotency_key or f"idem-{uuid.uuid4()}"
        return await self.client.post(f"/v1/loans/{loan_id}/payments", json=payload,
                                      headers=headers)

    async def get(self, key: str, path: str, **params: str) -> httpx.Response:
        return await self.client.get(path, params=params,
                                     headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    app = create_app(Settings(database_url=database_url, run_background_workers=False,
                              credential_max_staleness_seconds=0,
                              log_json=False, kafka_bootstrap_servers="127.0.0.1:1",
                              initial_business_date=START))
    async with running(app) as client:
        servicing = await Servicing.start(database_url, migrate=False,
                                          initial_business_date=START)
        terms = contract_terms(start=START)
        await servicing.ledger(loan_booked("loan-1", terms, partner_id="acme"),
                               disbursed("loan-1", terms),
                               loan_booked("loan-2", terms, partner_id="acme"))
        await servicing.close(date(2025, 1, 31))
        yield Api(client, servicing)
        await servicing.stop()


async def test_a_payment_is_received_once_per_idempotency_key(api: Api) -> None:
    key = await api.key("acme")
    first = await api.pay(key, "loan-1", "idem-000001")
    assert first.status_code == 202, first.text
    again = await api.pay(key, "loan-1", "idem-000001")
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    [received] = await api.servicing.data("PaymentReceived")
    assert received["payment_id"] == first.json()["payment_id"]
    assert (received["amount"], received["currency"], received["method"],
            received["processor_reference"], received["value_date"]) == (
        "310.00", "EUR", "mobile_money", "mm-1", "2025-02-01")
    other = await api.pay(key, "loan-1", "idem-000001", amount="300.00")
    assert other.status_code == 422 and other.json()["type"].endswith("idempotency-key-reused")


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"amount": "0.00"}, 422, "amount"),
    ({"amount": "-5.00"}, 422, "amount"),
    ({"amount": "10.5"}, 422, "amount"),
    ({"value_date": "2025-02-02"}, 422, "value_date"),  # after the business date
    ({"currency": "USD", "amount": "310.00"}, 409, None),
])
async def test_a_payment_that_cannot_be_right_gets_a_clear_problem(
        api: Api, body: dict, status: int, field: str | None) -> None:
    response = await api.pay(await api.key("acme"), "loan-1", **body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    if field:
        assert [e["field"] for e in problem["errors"]] == [field]
    else:
        assert problem["type"].endswith("currency-mismatch") and "EUR" in problem["detail"]
    assert await api.servicing.data("PaymentReceived") == []


async def test_payments_need_an_active_loan_of_the_calling_partner(api: Api) -> None:
    acme, other = await api.key("acme"), await api.key("globex")
    booked_only = await api.pay(acme, "loan-2")
    assert booked_only.status_code == 409
    assert booked_only.json()["type"].endswith("loan-not-active")
    assert (await api.pay(other, "loan-1")).status_code == 404
    assert (await api.pay(acme, "no-such-loan")).status_code == 404
    operator = await api.key("ops-1", "operator", "servicer")
    assert (await api.pay(operator, "loan-1")).status_code == 403
    assert (await api.pay("lk_nope", "loan-1")).status_code == 401
    assert (await api.pay(acme, "loan-1", idempotency_key=False)).status_code == 422


async def test_the_loan_shows_its_schedule_standing_and_days_past_due(api: Api) -> None:
    key = await api.key("acme")
    await api.servicing.close(date(2025, 2, 20))
    loan = (await api.get(key, "/v1/loans/loan-1")).json()
    assert (loan["as_of"], loan["business_date"]) == ("2025-02-20", "2025-02-21")
    assert loan["days_past_due"] == 5 and loan["bucket"] == "dpd_1_30"
    assert [i["status"] for i in loan["installments"]] == ["missed", "upcoming", "upcoming"]
    assert loan["overdue_amount"] == "310.00"
    assert loan["next_due"] == {"installment_number": 1, "due_date": "2025-02-15",
                                "amount_due": "310.00"}
    await api.servicing.ledger(payment_applied("loan-1", "p1", "EUR", 40_000,
                                               date(2025, 2, 21), 50_000))
    loan = (await api.get(key, "/v1/loans/loan-1")).json()
    assert loan["days_past_due"] == 0
    assert [i["status"] for i in loan["installments"]] == ["paid", "partially_paid", "upcoming"]
    assert loan["installments"][1]["paid"] == "90.00"
    assert loan["outstanding"]["principal"] == "500.00"
    assert (await api.get(await api.key("globex"), "/v1/loans/loan-1")).status_code == 404
    collector = await api.key("ops-2", "operator", "collector")
    assert (await api.get(collector, "/v1/loans/loan-1")).status_code == 200


async def test_a_loan_booked_after_the_last_close_reads_its_bucket_from_its_days_past_due(
        api: Api) -> None:
    """Issue 17 (4): no close has looked at this loan yet, so the bucket the close last
    published for it is still `current`; the read must not show it beside 61 days late."""
    key = await api.key("acme")
    terms = contract_terms(start=date(2024, 11, 1))  # due 1 Dec, 1 Jan, 1 Feb
    await api.servicing.ledger(loan_booked("late-1", terms, partner_id="acme"),
                               disbursed("late-1", terms))
    loan = (await api.get(key, "/v1/loans/late-1")).json()
    assert loan["as_of"] == "2025-01-31"
    assert [i["status"] for i in loan["installments"]] == ["missed", "missed", "upcoming"]
    assert (loan["days_past_due"], loan["bucket"], loan["overdue_amount"]) == (
        61, "dpd_61_90", "620.00")
    st = (await api.get(key, "/v1/loans/late-1/statement")).json()
    assert (st["days_past_due"], st["bucket"], st["overdue_amount"]) == (
        61, "dpd_61_90", "620.00")
    page = await api.get(key, "/v1/loans/late-1/statement", format="html")
    assert "61 (dpd_61_90)" in page.text


async def test_a_payment_that_cures_a_loan_reads_current_and_publishes_the_cure_at_once(
        api: Api) -> None:
    key = await api.key("acme")
    await api.servicing.close(date(2025, 2, 20))
    late = (await api.get(key, "/v1/loans/loan-1")).json()
    assert (late["days_past_due"], late["bucket"]) == (5, "dpd_1_30")
    await api.servicing.ledger(payment_applied("loan-1", "p1", "EUR", 31_000,
                                               date(2025, 2, 21), 59_000))
    cured = (await api.get(key, "/v1/loans/loan-1")).json()
    assert (cured["days_past_due"], cured["bucket"], cured["overdue_amount"]) == (
        0, "current", "0.00")
    [published] = await api.servicing.sql("SELECT bucket FROM loans WHERE loan_id = 'loan-1'")
    assert published.bucket == "current"  # not left to the next close: other views follow
    cure = (await api.servicing.data("DelinquencyChanged"))[-1]
    assert (cure["as_of"], cure["previous_bucket"], cure["bucket"], cure["days_past_due"],
            cure["delinquent_since"]) == ("2025-02-20", "dpd_1_30", "current", 0, None)
    await api.servicing.close(date(2025, 2, 21))  # which has nothing more to say
    assert len(await api.servicing.data("DelinquencyChanged")) == 2


async def test_the_statement_lists_movements_as_json_and_as_a_printable_page(api: Api) -> None:
    key = await api.key("acme")
    await api.servicing.ledger(payment_applied("loan-1", "p1", "EUR", 31_000,
                                               date(2025, 2, 14), 59_000))
    await api.servicing.close(date(2025, 3, 1))
    st = (await api.get(key, "/v1/loans/loan-1/statement", **{"from": "2025-02-01",
                                                              "to": "2025-02-28"})).json()
    assert (st["opening_principal_balance"], st["closing_principal_balance"]) == (
        "900.00", "590.00")
    assert [(line["date"], line["kind"], line["amount"]) for line in st["lines"]] == [
        ("2025-02-14", "payment", "310.00")]
    assert st["paid_in_period"] == "310.00"
    assert [i["number"] for i in st["installments_due"]] == [1]
    page = await api.get(key, "/v1/loans/loan-1/statement", format="html")
    assert page.headers["content-type"].startswith("text/html")
    assert "Payment received" in page.text and "590.00" in page.text
    assert "<script" not in page.text


async def test_the_day_close_endpoint_is_for_servicers_and_admins(api: Api) -> None:
    servicer = await api.key("ops-1", "operator", "servicer")
    collector = await api.key("ops-2", "operator", "collector")
    body = {"as_of": "2025-02-03"}
    denied = await api.client.post("/v1/admin/business-day/close", json=body,
                                   headers={"Authorization": f"Bearer {collector}"})
    assert denied.status_code == 403
    partner = await api.key("acme")
    assert (await api.client.post("/v1/admin/business-day/close", json=body, headers={
        "Authorization": f"Bearer {partner}"})).status_code == 403
    closed = await api.client.post("/v1/admin/business-day/close", json=body,
                                   headers={"Authorization": f"Bearer {servicer}"})
    assert closed.status_code == 200, closed.text
    assert [d["business_date"] for d in closed.json()["closed"]] == [
        "2025-02-01", "2025-02-02", "2025-02-03"]
    again = await api.client.post("/v1/admin/business-day/close", json=body,
                                  headers={"Authorization": f"Bearer {servicer}"})
    assert again.json()["closed"] == [] and again.json()["business_date"] == "2025-02-04"
    calendar = (await api.get(servicer, "/v1/admin/business-day")).json()
    assert calendar["last_closed"] == "2025-02-03"


async def test_metrics_report_when_the_last_business_day_closed(api: Api) -> None:
    before = datetime.now(UTC).timestamp()
    await api.servicing.close(date(2025, 2, 1))
    response = await api.client.get("/metrics")
    [line] = [x for x in response.text.splitlines()
              if x.startswith("lending_day_close_last_completed_timestamp_seconds ")]
    assert float(line.split()[1]) >= before - 1


async def test_closing_ahead_of_the_wall_clock_takes_an_admin_and_the_override(api: Api) -> None:
    servicer = {"Authorization": f"Bearer {await api.key('ops-1', 'operator', 'servicer')}"}
    admin = {"Authorization": f"Bearer {await api.key('boss-1', 'operator', 'admin')}"}
    ahead = (datetime.now(UTC).date() + timedelta(days=3650)).isoformat()
    close = "/v1/admin/business-day/close"
    refused = await api.client.post(close, json={"as_of": ahead}, headers=servicer)
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["as_of"]
    forbidden = await api.client.post(close, json={"as_of": ahead, "allow_future_date": True},
                                      headers=servicer)
    assert forbidden.status_code == 403, forbidden.text
    assert forbidden.json()["errors"] == [{"field": "allow_future_date",
                                           "message": "admins only"}]
    end = await api.client.post(close, json={"as_of": "9999-12-31", "allow_future_date": True},
                                headers=admin)
    assert end.status_code == 422, end.text
    assert [e["field"] for e in end.json()["errors"]] == ["as_of"]
    calendar = (await api.client.get("/v1/admin/business-day", headers=servicer)).json()
    assert calendar["last_closed"] == "2025-01-31"  # the fixture's close, nothing since
    allowed = await api.client.post(close, json={"as_of": "2025-02-02",
                                                 "allow_future_date": True}, headers=admin)
    assert allowed.status_code == 200, allowed.text
    rows = await api.servicing.sql("SELECT closed_by FROM business_days "
                                   "WHERE business_date > '2025-01-31'")
    assert [r.closed_by for r in rows] == ["boss-1", "boss-1"]
