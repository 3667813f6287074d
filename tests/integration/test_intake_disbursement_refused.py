"""A signed offer the ledger refuses to pay out for good (the APR on the schedule anchored to
the payout date is beyond the disclosure tolerance) ends the application in
``disbursement_failed``, and the partner's webhook says why: a new offer is needed."""

from datetime import UTC, datetime

import pytest

from lending_events.samples import sample_event
from lending_platform.testing import running

from .intake_helpers import (
    application_body,
    approval,
    auth,
    eventually,
    make_partner,
    new_key,
    publish,
)

pytestmark = pytest.mark.integration


def refused(loan_id: str, *, retryable: bool) -> object:
    return sample_event("DisbursementFailed").model_copy(update={
        "loan_id": loan_id, "disbursement_id": loan_id, "retryable": retryable,
        "failure_code": "apr_outside_tolerance" if not retryable else "provider_unavailable",
        "failure_message": "the APR on the schedule anchored to 2027-02-01 is 0.2423, the "
                           "disclosed APR 0.2399"})


async def test_a_payout_refused_for_an_apr_beyond_tolerance_ends_the_application(
        service_app, kafka_bootstrap):
    app = service_app("intake", webhook_allowed_hosts="127.0.0.1")  # hooks on loopback
    async with running(app) as client:
        partner = await make_partner(app, webhook_url="http://127.0.0.1:9/hooks")
        headers = auth(partner.api_key)
        created = await client.post("/v1/applications", json=application_body(),
                                    headers=auth(partner.api_key, new_key()))
        app_id = created.json()["id"]
        await publish(kafka_bootstrap, approval(app_id), "/lending/underwriting")

        async def status(wanted: str) -> dict | None:
            body = (await client.get(f"/v1/applications/{app_id}", headers=headers)).json()
            return body if body["status"] == wanted else None

        offer = (await eventually(lambda: status("approved"), within=30))["offer"]
        signed = await client.post(f"/v1/applications/{app_id}/offer/acceptance", headers=headers,
                                   json={"offer_id": offer["offer_id"], "terms_version": "2025-01",
                                         "accepted_at": datetime.now(UTC).isoformat(),
                                         "disclosure_sha256": offer["disclosure_sha256"],
                                         "ip_address": "203.0.113.7", "device_id": "device-42"})
        assert signed.status_code == 200, signed.text
        # a retryable failure leaves it signed (the ledger tries again); a final one ends it
        await publish(kafka_bootstrap, refused(app_id, retryable=True), "/lending/ledger")
        await publish(kafka_bootstrap, refused(app_id, retryable=False), "/lending/ledger")
        view = await eventually(lambda: status("disbursement_failed"), within=30)
        assert view["offer"]["offer_id"] == offer["offer_id"]  # what was signed, still shown

        async def webhook() -> list | None:
            log = (await client.get("/v1/webhook-deliveries", params={"application_id": app_id},
                                    headers=headers)).json()["items"]
            return [d["payload"]["data"] for d in log
                    if d["payload"]["data"]["status"] == "disbursement_failed"] or None

        [data] = await eventually(webhook, within=30)
        assert data["previous_status"] == "offer_accepted"
        assert data["reasons"] == ["apr_outside_tolerance"]
        listed = await client.get("/v1/applications", params={"status": "disbursement_failed"},
                                  headers=headers)
        assert [a["id"] for a in listed.json()["items"]] == [app_id]
