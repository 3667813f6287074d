"""A partner's guarantor-secured micro-business application, with the guarantor's income,
goes in through intake's REST API and is decided by underwriting on that income: over the
real PostgreSQL and Kafka, intake's outbox to underwriting's inbox and back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lending_intake.config import Settings as IntakeSettings
from lending_intake.service_layer import credentials
from lending_intake.service_layer.context import IntakeContext
from lending_platform.testing import running
from lending_simulators.credit_bureau import report_for

from .intake_helpers import application_body, auth, eventually, make_partner, new_key
from .underwriting_support import bureau_simulator

pytestmark = pytest.mark.integration


def clean_bureau_file_id() -> str:
    """A national id whose (deterministic) simulated bureau file is spotless, so nothing
    but the guarantor could keep this loan from an automatic approval."""
    key = IntakeSettings().identity_hash_key.get_secret_value()
    hasher = IntakeContext(None, None, key, None, None)  # type: ignore[arg-type]
    for n in range(10_000):
        national_id = f"91310000MA{n:08d}"
        r = report_for(hasher.identity_hash(national_id))
        if (r["identity_match"] and 30 <= r["age_years"] <= 60 and r["defaults"] == 0
                and r["delinquencies_24m"] == 0 and r["inquiries_6m"] == 0
                and r["history_months"] >= 120
                and Decimal(r["monthly_debt_payments"]) < 800):
            return national_id
    raise AssertionError("no clean simulated bureau file among 10,000 ids")


def guaranteed_business_loan(national_id: str, guarantor: dict[str, Any]) -> dict[str, Any]:
    body = application_body(
        product_code="micro-business",
        requested={"amount": "50000.00", "currency": "CNY", "term": 12,
                   "frequency": "monthly"},
        purpose="working_capital",
        finances={"monthly_income": "60000.00", "monthly_debt_payments": "1500.00",
                  "employment": "business_owner", "business_monthly_revenue": "180000.00"},
        security={"type": "guarantor", "full_name": "Wang Fang",
                  "national_id": "110101198001015678", "phone": "+86 139 0000 0000",
                  "relationship": "business partner", **guarantor},
        documents=[{"type": t, "sha256": c * 64, "uri": f"https://files.example.com/{t}.pdf"}
                   for t, c in (("id_card", "a"), ("business_license", "c"),
                                ("bank_statement", "d"))],
    )
    body["applicant"] = {**body["applicant"], "national_id": national_id}
    return body


async def test_a_guarantor_secured_business_loan_is_decided_on_the_guarantors_income(
        service_app):
    national_id = clean_bureau_file_id()
    with bureau_simulator() as (bureau_url, _):
        intake = service_app("intake", consumer_offset_reset="latest")
        underwriting = service_app("underwriting", bureau_url=bureau_url,
                                   consumer_offset_reset="latest")
        async with (running(intake, from_now=True) as partner_api,
                    running(underwriting, from_now=True) as ops_api):
            partner = await make_partner(intake)
            operator = await credentials.create_operator(
                intake.state.runtime.ports["issuer"], "Ann the underwriter", role="underwriter")
            decided: dict[str, str] = {}
            for case, guarantor in (("stated", {"monthly_income": "20000.00"}),
                                    ("not stated", {})):
                sent = await partner_api.post(
                    "/v1/applications", json=guaranteed_business_loan(national_id, guarantor),
                    headers=auth(partner.api_key, new_key()))
                assert sent.status_code == 202, sent.text
                app_id = sent.json()["id"]

                async def final_status(app_id: str = app_id) -> str | None:
                    view = await partner_api.get(f"/v1/applications/{app_id}",
                                                 headers=auth(partner.api_key))
                    status = view.json()["status"]
                    return status if status in ("approved", "referred", "declined") else None

                decided[case] = app_id
                status = await eventually(final_status, within=60)
                view = (await partner_api.get(f"/v1/applications/{app_id}",
                                              headers=auth(partner.api_key))).json()
                codes = [r["code"] for r in view["decision"]["reasons"]]
                if case == "stated":
                    assert status == "approved", view["decision"]
                    assert "guarantor_income_unverified" not in codes
                    assert view["offer"]["amount"] == "50000.00"
                else:
                    assert status == "referred" and "guarantor_income_unverified" in codes

            async def decision_of(app_id: str) -> dict[str, Any] | None:
                got = await ops_api.get(f"/v1/decisions/{app_id}",
                                        headers=auth(operator.api_key))
                return got.json() if got.status_code == 200 else None

            stored = await eventually(lambda: decision_of(decided["stated"]), within=30)
            application = stored["inputs"]["application"]
            assert application["guarantor_monthly_income"] == "20000.00"
            assert application["business_monthly_revenue"] == "180000.00"
            [cover] = [r for r in stored["result"]["rule_results"]
                       if r["rule"] == "guarantor_cover"]
            assert cover["outcome"] != "refer" and "20000.00" in cover["detail"]
