"""Personal data at rest (issue 20, item 8): identity fields are stored sealed, erased once
an application that never became a loan is past retention, and intake never starts with its
development keys outside development, whatever the spelling of the environment."""

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text, update

from lending_intake.adapters.orm import applications
from lending_intake.domain.identity import split_identity
from lending_platform.encryption import KeyRing, new_key_text
from lending_platform.testing import running

from .intake_helpers import NATIONAL_ID, application_body, auth, make_partner, new_key

pytestmark = pytest.mark.integration
GUARANTOR_ID = "110101198001019999"
IDENTITY = [NATIONAL_ID, "Li Wei", "+86 138 0000 0000", "li.wei@example.com", "Chang'an",
            GUARANTOR_ID, "Zhang San", "1990-03-07"]


def guaranteed_body() -> dict:
    return application_body(
        product_code="micro-business",
        requested={"amount": "50000.00", "currency": "CNY", "term": 12,
                   "frequency": "monthly"},
        purpose="working_capital",
        finances={"monthly_income": "60000.00", "monthly_debt_payments": "1500.00",
                  "employment": "business_owner", "business_monthly_revenue": "180000.00"},
        security={"type": "guarantor", "full_name": "Zhang San", "national_id": GUARANTOR_ID,
                  "phone": "+86 139 0000 0000", "relationship": "sibling"},
        documents=[{"type": t, "sha256": c * 64, "uri": f"https://files.example.com/{t}.pdf"}
                   for t, c in (("id_card", "a"), ("business_license", "c"),
                                ("bank_statement", "d"))])


async def _row_text(app, app_id: str) -> str:
    async with app.state.runtime.engine.connect() as conn:
        return str((await conn.execute(text(
            "SELECT CAST(a AS text) FROM applications a WHERE id = :id"), {"id": app_id})
        ).scalar_one())


async def _submit(app, client, partner, body) -> str:
    created = await client.post("/v1/applications", json=body,
                                headers=auth(partner.api_key, new_key()))
    assert created.status_code == 202, created.text
    return str(created.json()["id"])


async def test_an_applicants_identity_is_stored_sealed(service_app):
    app = service_app("intake", run_background_workers=False)
    async with running(app) as client:
        partner = await make_partner(app)
        body = guaranteed_body()
        app_id = await _submit(app, client, partner, body)
        stored = await _row_text(app, app_id)
        for value in IDENTITY:
            assert value not in stored, value
        # The service itself can still read it back whole.
        at_rest = app.state.runtime.ports["at_rest"]
        whole = await at_rest.identity(app_id)
        assert whole["applicant"]["national_id"] == NATIONAL_ID
        assert whole["applicant"]["email"] == body["applicant"]["email"]
        assert whole["security"]["national_id"] == GUARANTOR_ID
        assert whole["disbursement_account"]["holder_name"] == "Li Wei"
        view = (await client.get(f"/v1/applications/{app_id}", headers=auth(partner.api_key)))
        assert view.status_code == 200 and view.json()["requested"]["amount"] == "50000.00"


async def test_a_rotated_key_rewraps_every_identity(service_app):
    app = service_app("intake", run_background_workers=False)
    async with running(app) as client:
        partner = await make_partner(app)
        app_id = await _submit(app, client, partner, application_body())
        at_rest = app.state.runtime.ports["at_rest"]
        old = at_rest.keyring
        from lending_intake.config import DEV_ENCRYPTION_KEYS

        ring = KeyRing(f"{DEV_ENCRYPTION_KEYS},{new_key_text('k2')}", "k2")
        rotated = type(at_rest)(at_rest.sessions, ring)
        while await rotated.seal_pass():
            pass
        assert await rotated.identity(app_id) is not None
        async with app.state.runtime.engine.connect() as conn:
            key_ids = set((await conn.execute(text(
                "SELECT identity_key_id FROM applications"))).scalars())
        assert key_ids == {"k2"}
        assert old.active_id == "dev-1"


async def test_an_identity_written_in_clear_before_is_sealed_by_the_at_rest_worker(
        service_app):
    app = service_app("intake", run_background_workers=False)
    async with running(app) as client:
        partner = await make_partner(app)
        app_id = await _submit(app, client, partner, guaranteed_body())
        async with app.state.runtime.sessions() as session, session.begin():
            await session.execute(update(applications).where(applications.c.id == app_id)
                                  .values(request=guaranteed_body(), identity_sealed=None,
                                          identity_key_id=None))
        assert NATIONAL_ID in await _row_text(app, app_id)
        assert await app.state.runtime.ports["at_rest"].seal_pass() >= 1
        stored = await _row_text(app, app_id)
        for value in IDENTITY:
            assert value not in stored, value
        rest, _ = split_identity(guaranteed_body())
        assert rest["security"] == {"type": "guarantor", "relationship": "sibling"}


async def loanctl(database_url: str, *args: str) -> dict:
    """The operator's command line, as an operator runs it, against this test's database."""
    env = {**os.environ, "INTAKE_DATABASE_URL": database_url}
    proc = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "loanctl.main", *args],
                                   env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


async def test_applications_that_never_became_loans_are_erased_after_retention(service_app):
    app = service_app("intake", run_background_workers=False)
    async with running(app) as client:
        partner = await make_partner(app)
        old_declined, recent_declined, old_accepted = [
            await _submit(app, client, partner, guaranteed_body()) for _ in range(3)]
        long_ago = datetime.now(UTC) - timedelta(days=400)
        async with app.state.runtime.sessions() as session, session.begin():
            for app_id, status, at in ((old_declined, "declined", long_ago),
                                       (recent_declined, "declined", datetime.now(UTC)),
                                       (old_accepted, "offer_accepted", long_ago)):
                await session.execute(update(applications).where(applications.c.id == app_id)
                                      .values(status=status, updated_at=at))
        database = app.state.runtime.settings.database_url
        dry = await loanctl(database, "applications", "erase", "--older-than", "365d",
                            "--dry-run", "--json")
        assert dry["would_erase"] == 1
        assert (await loanctl(database, "applications", "erase", "--json"))["erased"] == 1

        at_rest = app.state.runtime.ports["at_rest"]
        assert await at_rest.identity(old_declined) is None
        erased = await _row_text(app, old_declined)
        assert "erased" in erased and "files.example.com" not in erased
        assert await at_rest.identity(recent_declined) is not None
        assert await at_rest.identity(old_accepted) is not None
        view = await client.get(f"/v1/applications/{old_declined}", headers=auth(partner.api_key))
        assert view.status_code == 200 and view.json()["status"] == "declined"


@pytest.mark.parametrize("environment", ["Production", "PRODUCTION", None])
def test_intake_will_not_start_with_its_development_keys_outside_development(environment):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("INTAKE_") and k != "LENDING_ENVIRONMENT"}
    if environment is not None:
        env["INTAKE_ENVIRONMENT"] = environment
    env["INTAKE_PORT"] = "1"  # never reached: it must stop at its settings
    try:
        proc = subprocess.run([sys.executable, "-m", "lending_intake"], env=env,
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("intake started with its development keys")
    assert proc.returncode != 0
    assert "INTAKE_IDENTITY_HASH_KEY" in proc.stderr
    assert "INTAKE_CREDENTIAL_SIGNING_KEY" in proc.stderr
