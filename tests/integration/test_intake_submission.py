"""A partner submits applications: validated, idempotent, and announced on Kafka exactly as the
committed schema says, with no identity data in clear."""

import asyncio
import json
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from lending_intake.adapters.orm import applications
from lending_platform.testing import running

from .intake_helpers import (
    NATIONAL_ID,
    application_body,
    auth,
    find_record,
    make_partner,
    new_key,
    topic_tail,
)

pytestmark = pytest.mark.integration
SCHEMAS = Path(__file__).parents[2] / "shared" / "events" / "schemas"


async def _count_applications(app) -> int:
    async with app.state.runtime.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(applications))).scalar_one()


async def test_a_submission_is_accepted_and_published_matching_its_committed_schema(
    service_app, kafka_bootstrap
):
    app = service_app("intake")
    async with running(app) as client, topic_tail(kafka_bootstrap, "lending.intake.v1") as tail:
        partner = await make_partner(app)
        response = await client.post("/v1/applications", json=application_body(),
                                     headers=auth(partner.api_key, new_key()))
        assert response.status_code == 202, response.text
        app_id = response.json()["id"]
        assert response.headers["Location"] == f"/v1/applications/{app_id}"
        assert response.json()["status"] == "submitted"

        raw = await find_record(tail, app_id, "ApplicationSubmitted")
        envelope = json.loads(raw)
        envelope_schema = json.loads((SCHEMAS / "Envelope.v1.json").read_text())
        schema = json.loads((SCHEMAS / "ApplicationSubmitted.v1.json").read_text())
        jsonschema.validate(envelope, envelope_schema)
        jsonschema.validate(envelope["data"], schema)
        assert envelope["subject"] == app_id and envelope["data"]["loan_id"] == app_id
        assert envelope["data"]["partner_id"] == partner.principal_id
        assert envelope["data"]["requested_amount"] == "5000.00"
        assert envelope["data"]["documents_complete"] is True
        assert NATIONAL_ID.encode() not in raw and b"Li Wei" not in raw

        view = await client.get(f"/v1/applications/{app_id}", headers=auth(partner.api_key))
        assert view.status_code == 200
        assert view.json()["status"] == "submitted"
        assert view.json()["requested"]["amount"] == "5000.00"


async def test_the_same_key_and_body_replays_the_original_response(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        headers = auth(partner.api_key, new_key())
        first = await client.post("/v1/applications", json=application_body(), headers=headers)
        again = await client.post("/v1/applications", json=application_body(), headers=headers)
        assert first.status_code == again.status_code == 202
        assert again.json() == first.json()
        assert again.headers["Location"] == first.headers["Location"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert await _count_applications(app) == 1


async def test_the_same_key_with_another_body_is_refused(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        headers = auth(partner.api_key, new_key())
        assert (await client.post("/v1/applications", json=application_body(),
                                  headers=headers)).status_code == 202
        other = application_body(purpose="education")
        refused = await client.post("/v1/applications", json=other, headers=headers)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"].endswith("/idempotency-key-reused")
        assert await _count_applications(app) == 1


async def test_keys_are_per_partner(service_app):
    app = service_app("intake")
    async with running(app) as client:
        first, second = await make_partner(app), await make_partner(app)
        key = new_key()
        one = await client.post("/v1/applications", json=application_body(),
                                headers=auth(first.api_key, key))
        two = await client.post("/v1/applications", json=application_body(),
                                headers=auth(second.api_key, key))
        assert one.status_code == two.status_code == 202
        assert one.json()["id"] != two.json()["id"]


async def test_concurrent_duplicates_create_one_application(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        headers = auth(partner.api_key, new_key())
        responses = await asyncio.gather(*(
            client.post("/v1/applications", json=application_body(), headers=headers)
            for _ in range(12)))
        assert {r.status_code for r in responses} == {202}
        assert len({r.json()["id"] for r in responses}) == 1
        assert await _count_applications(app) == 1


async def test_a_missing_idempotency_key_is_named(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        response = await client.post("/v1/applications", json=application_body(),
                                     headers=auth(partner.api_key))
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["header.Idempotency-Key"]


async def test_shape_errors_name_every_invalid_field_by_path(service_app):
    app = service_app("intake")
    body = application_body()
    body["requested"]["amount"] = 5000.0  # a JSON number: money must be a string
    body["applicant"]["email"] = "not-an-email"
    body["applicant"]["address"].pop("country")
    body["documents"][1]["type"] = "selfie"
    body["security"] = {"type": "collateral", "kind": "vehicle"}
    async with running(app) as client:
        partner = await make_partner(app)
        response = await client.post("/v1/applications", json=body,
                                     headers=auth(partner.api_key, new_key()))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"requested.amount", "applicant.email", "applicant.address.country",
            "documents.1.type", "security.collateral.description",
            "security.collateral.estimated_value"} <= fields


async def test_product_and_policy_rules_name_every_broken_field(service_app):
    app = service_app("intake")
    body = application_body(purpose="gambling", security={"type": "none"})
    body["requested"] = {"amount": "90000.00", "currency": "CNY", "term": 48,
                         "frequency": "weekly"}
    body["applicant"]["date_of_birth"] = "2015-01-01"
    async with running(app) as client:
        partner = await make_partner(app)
        response = await client.post("/v1/applications", json=body,
                                     headers=auth(partner.api_key, new_key()))
        assert response.status_code == 422, response.text
        errors = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert set(errors) == {"requested.amount", "requested.term", "requested.frequency",
                               "purpose", "applicant.date_of_birth"}
        assert "50000.00" in errors["requested.amount"]
        assert "18" in errors["applicant.date_of_birth"]
        assert await _count_applications(app) == 0
        # nothing was stored under the key: the corrected body may reuse it
        unknown = await client.post(
            "/v1/applications", json=application_body(product_code="payday-loan"),
            headers=auth(partner.api_key, new_key()))
        assert [e["field"] for e in unknown.json()["errors"]] == ["product_code"]


async def test_the_catalogue_lists_the_four_product_families(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        response = await client.get("/v1/products", headers=auth(partner.api_key))
    assert response.status_code == 200
    catalogue = response.json()
    assert {p["family"] for p in catalogue["items"]} == {
        "personal_credit", "micro_business", "consumer_instalment", "supply_chain"}
    receivables = next(p for p in catalogue["items"] if p["family"] == "supply_chain")
    assert receivables["term"] == {"unit": "day", "min": 30, "max": 120}
    assert receivables["frequencies"] == ["at_maturity"]
    assert "gambling" in catalogue["prohibited_purposes"]
