"""Demo data `make run` creates once the services are ready (a demo partner and its key)."""

from __future__ import annotations

import asyncio
import json
import os
import shlex

import httpx

from lending_devstack.settings import SERVICE_PORTS, DevstackSettings

DEMO_PARTNER = "Demo Partner"
RECEIVER = "http://127.0.0.1:8104"


def seed_demo(settings: DevstackSettings, receiver: str = RECEIVER) -> list[str]:
    """Creates the demo partner (webhooks to the local receiver simulator) or, when it exists
    from an earlier run, rotates its key: keys are stored hashed, so a fresh one is the only
    one that can be printed. Returns the lines to print."""
    from lending_intake.bootstrap import build_issuer
    from lending_intake.config import Settings
    from lending_intake.service_layer import credentials
    from lending_platform.database import create_engine, session_factory

    # The same settings the stack's intake runs with (DEV_ENV: development keys, and the
    # receiver simulator's loopback address allowed as a webhook target).
    intake_settings = Settings(database_url=settings.database_url("intake"))

    async def issue() -> tuple[str, str, str | None, bool]:
        engine = create_engine(intake_settings.database_url, pool_size=1)
        issuer = build_issuer(intake_settings, session_factory(engine))
        try:
            try:
                made = await credentials.create_partner(
                    issuer, DEMO_PARTNER, webhook_url=f"{receiver}/webhooks/demo",
                    rate_limit=100)
                return made.principal_id, made.api_key, made.webhook_secret, True
            except credentials.PrincipalExistsError:
                rotated = await credentials.rotate(issuer, DEMO_PARTNER, kind="partner")
                return rotated.principal_id, rotated.api_key, None, False
        finally:
            await engine.dispose()

    partner_id, api_key, secret, created = asyncio.run(issue())
    if secret is not None:
        try:
            httpx.put(f"{receiver}/control/secrets/demo", json={"secret": secret}, timeout=5)
        except httpx.HTTPError:
            pass  # the receiver still records deliveries, unverified
    body = json.dumps({
        "product_code": "personal-credit",
        "requested": {"amount": "5000.00", "currency": "CNY", "term": 12, "frequency": "monthly"},
        "purpose": "home_repair",
        "applicant": {"national_id": "110101199003077777", "full_name": "Li Wei",
                      "date_of_birth": "1990-03-07", "phone": "+8613800000000",
                      "email": "li.wei@example.com",
                      "address": {"line1": "1 Chang'an Ave", "city": "Beijing", "country": "CN"}},
        "finances": {"monthly_income": "12000.00", "monthly_debt_payments": "1500.00",
                     "employment": "salaried"},
        "security": {"type": "none"},
        "documents": [{"type": "id_card", "sha256": "a" * 64, "uri": "https://example.com/id"},
                      {"type": "income_proof", "sha256": "b" * 64,
                       "uri": "https://example.com/payslip"}],
        "consents": {"credit_check": True, "terms_version": "2025-01"},
        "disbursement_account": {"method": "bank_transfer", "account_ref": "tok_demo_4242",
                                 "holder_name": "Li Wei"}})
    intake = f"http://127.0.0.1:{os.environ.get('INTAKE_PORT', SERVICE_PORTS['intake'])}"
    state = "created" if created else "existed; its key was rotated, older keys no longer work"
    return [
        f"demo partner    {partner_id} ({state})",
        f"demo API key    {api_key}",
        f"webhooks        {receiver}/received (receiver simulator)",
        "try:",
        f"  curl -s {intake}/v1/applications -H 'Authorization: Bearer {api_key}' "
        f"-H \"Idempotency-Key: $(date +%s%N)\" -H 'Content-Type: application/json' "
        f"-d {shlex.quote(body)}",
    ]
