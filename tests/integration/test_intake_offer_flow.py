"""Underwriting's decisions reach intake over Kafka; the borrower signs the disclosed offer,
which intake announces as OfferAccepted; expired and superseded offers are refused."""

from datetime import UTC, datetime, timedelta

import pytest

from lending_events.samples import sample_event
from lending_platform.testing import running

from .intake_helpers import (
    application_body,
    approval,
    auth,
    eventually,
    find_record,
    make_partner,
    new_key,
    publish,
    topic_tail,
)

pytestmark = pytest.mark.integration
UNDERWRITING = "/lending/underwriting"


def _signature(offer: dict, **overrides) -> dict:
    return {"offer_id": offer["offer_id"], "terms_version": "2025-01",
            "accepted_at": datetime.now(UTC).isoformat(),
            "disclosure_sha256": offer["disclosure_sha256"], "ip_address": "203.0.113.7",
            "device_id": "device-42", **overrides}


async def _submitted(client, key) -> str:
    response = await client.post("/v1/applications", json=application_body(),
                                 headers=auth(key, new_key()))
    assert response.status_code == 202
    return response.json()["id"]


async def _in_status(client, key, app_id, status) -> dict:
    async def check():
        body = (await client.get(f"/v1/applications/{app_id}", headers=auth(key))).json()
        return body if body["status"] == status else None
    return await eventually(check, within=30)


async def test_an_approved_offer_is_disclosed_signed_and_announced(service_app, kafka_bootstrap):
    app = service_app("intake")
    async with running(app) as client, topic_tail(kafka_bootstrap, "lending.intake.v1") as tail:
        partner = await make_partner(app)
        app_id = await _submitted(client, partner.api_key)
        await publish(kafka_bootstrap, approval(app_id), UNDERWRITING)
        view = await _in_status(client, partner.api_key, app_id, "approved")
        offer = view["offer"]
        assert offer["apr"] == "0.2728" and offer["total_repayable"] == "1020.07"
        assert len(offer["schedule"]) == 3 and offer["total_interest"] == "20.07"
        assert view["decision"]["outcome"] == "approved"

        wrong = await client.post(f"/v1/applications/{app_id}/offer/acceptance",
                                  json=_signature(offer, disclosure_sha256="0" * 64),
                                  headers=auth(partner.api_key))
        assert wrong.status_code == 409
        signed = await client.post(f"/v1/applications/{app_id}/offer/acceptance",
                                   json=_signature(offer), headers=auth(partner.api_key))
        assert signed.status_code == 200, signed.text
        assert signed.json()["status"] == "offer_accepted"
        raw = await find_record(tail, app_id, "OfferAccepted")
        assert offer["offer_id"].encode() in raw and b"dec-1" in raw

        disbursed = sample_event("Disbursed").model_copy(update={"loan_id": app_id})
        await publish(kafka_bootstrap, disbursed, "/lending/ledger")
        await _in_status(client, partner.api_key, app_id, "disbursed")
        late = await client.post(f"/v1/applications/{app_id}/withdrawal", json={},
                                 headers=auth(partner.api_key))
        assert late.status_code == 409


async def test_a_superseded_offer_cannot_be_accepted(service_app, kafka_bootstrap):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        app_id = await _submitted(client, partner.api_key)
        await publish(kafka_bootstrap, approval(app_id, decision_id="dec-a"), UNDERWRITING)
        first = (await _in_status(client, partner.api_key, app_id, "approved"))["offer"]
        await publish(kafka_bootstrap, approval(app_id, decision_id="dec-b"), UNDERWRITING)

        async def repriced():
            body = (await client.get(f"/v1/applications/{app_id}",
                                     headers=auth(partner.api_key))).json()
            return body["offer"] if body["offer"]["offer_id"] != first["offer_id"] else None

        await eventually(repriced, within=30)
        refused = await client.post(f"/v1/applications/{app_id}/offer/acceptance",
                                    json=_signature(first), headers=auth(partner.api_key))
        assert refused.status_code == 409
        assert refused.json()["type"].endswith("/offer-superseded")


async def test_an_expired_offer_is_refused_and_the_application_expires(
    service_app, kafka_bootstrap
):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        app_id = await _submitted(client, partner.api_key)
        await publish(kafka_bootstrap, approval(app_id, expires_in=timedelta(seconds=2)),
                      UNDERWRITING)
        offer = (await _in_status(client, partner.api_key, app_id, "approved"))["offer"]
        await _in_status(client, partner.api_key, app_id, "expired")
        refused = await client.post(f"/v1/applications/{app_id}/offer/acceptance",
                                    json=_signature(offer), headers=auth(partner.api_key))
        assert refused.status_code == 409
        assert refused.json()["type"].endswith("/offer-expired")
        listed = await client.get("/v1/applications", params={"status": "expired"},
                                  headers=auth(partner.api_key))
        assert [a["id"] for a in listed.json()["items"]] == [app_id]


async def test_a_decline_shows_its_reasons_in_words(service_app, kafka_bootstrap):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        app_id = await _submitted(client, partner.api_key)
        declined = sample_event("ApplicationDeclined").model_copy(update={
            "loan_id": app_id, "reason_codes": ["debt_to_income_too_high", "brand_new_code"]})
        await publish(kafka_bootstrap, declined, UNDERWRITING)
        view = await _in_status(client, partner.api_key, app_id, "declined")
        reasons = view["decision"]["reasons"]
        assert [r["code"] for r in reasons] == ["debt_to_income_too_high", "brand_new_code"]
        assert "income" in reasons[0]["description"]
        assert reasons[1]["description"]


async def test_missing_documents_hold_the_application_until_they_arrive(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        body = application_body()
        body["documents"] = body["documents"][:1]
        created = await client.post("/v1/applications", json=body,
                                    headers=auth(partner.api_key, new_key()))
        assert created.json()["status"] == "documents_pending"
        path = created.headers["Location"]
        view = (await client.get(path, headers=auth(partner.api_key))).json()
        assert view["missing_documents"] == ["income_proof"]
        added = await client.post(f"{path}/documents", headers=auth(partner.api_key), json={
            "documents": [{"type": "income_proof", "sha256": "c" * 64,
                           "uri": "https://files.example.com/p.pdf"}]})
        assert added.status_code == 200
        assert added.json()["status"] == "submitted" and added.json()["missing_documents"] == []


async def test_a_partner_may_withdraw_before_disbursement(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        app_id = await _submitted(client, partner.api_key)
        withdrawn = await client.post(f"/v1/applications/{app_id}/withdrawal", json={},
                                      headers=auth(partner.api_key))
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        again = await client.post(f"/v1/applications/{app_id}/withdrawal", json={},
                                  headers=auth(partner.api_key))
        assert again.status_code == 409
