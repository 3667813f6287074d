"""Authentication edges (issue 20, item 6): a service that cannot prove its view of
revocations is recent refuses every key; a flood of made-up keys costs bounded queries and
evicts nobody; a partner always has a rate limit; operator keys expire unless renewed."""

import asyncio
import dataclasses
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import event

from lending_events.credentials import CredentialRevoked
from lending_events.topics import INTAKE
from lending_intake.service_layer import credentials
from lending_platform.signing import CredentialSigner
from lending_platform.testing import issue_operator_key, running

from .intake_helpers import auth, eventually, make_partner
from .security_support import admin_key_event, envelope_of, produce

pytestmark = pytest.mark.integration


def intake_signer() -> CredentialSigner:
    from lending_intake.config import DEV_CREDENTIAL_SIGNING_KEY

    return CredentialSigner(DEV_CREDENTIAL_SIGNING_KEY)


async def test_a_ledger_whose_consumer_is_stuck_refuses_a_revoked_key_within_the_bound(
        service_app, kafka_bootstrap):
    ledger = service_app("ledger", consumer_offset_reset="latest",
                         credential_max_staleness_seconds=3)
    signer = intake_signer()
    async with running(ledger, from_now=True) as client:
        key, issued = admin_key_event("carol")
        await produce(kafka_bootstrap, INTAKE, signer.sign(envelope_of(issued, "/lending/intake")))

        async def works():
            ledger.state.runtime.ports["credentials"].forget()
            response = await client.get("/v1/ops/messaging", headers=auth(key.api_key))
            return response.status_code == 200

        await eventually(works, within=30)
        consumer = ledger.state.runtime.workers["consumer"]
        consumer.stop()  # the consumer stops, as a stuck one would: from now on it lags

        async def stopped():
            return not consumer.assignment()

        await eventually(stopped, within=20)
        revoked = CredentialRevoked(principal_id=issued.principal_id, key_id=key.key_id,
                                    revoked_at=datetime.now(UTC), reason="revoked")
        await produce(kafka_bootstrap, INTAKE,
                      signer.sign(envelope_of(revoked, "/lending/intake")))
        began = asyncio.get_running_loop().time()

        async def refused():
            response = await client.get("/v1/ops/messaging", headers=auth(key.api_key))
            return response if response.status_code != 200 else None

        # Bound: 3 s of staleness, 5 s of key cache, 1 s between freshness samples.
        response = await eventually(refused, within=12)
        assert asyncio.get_running_loop().time() - began <= 3 + 5 + 1 + 1
        assert response.status_code == 503
        assert response.json()["type"].endswith("/credentials-stale")
        assert int(response.headers["Retry-After"]) >= 1
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["credentials"].startswith("unavailable")
        metrics = (await client.get("/metrics")).text
        [age] = [line for line in metrics.splitlines()
                 if line.startswith("lending_credential_projection_age_seconds ")]
        assert float(age.split()[1]) > 3


async def test_a_flood_of_made_up_keys_costs_bounded_queries_and_evicts_no_real_key(
        service_app):
    ledger = service_app("ledger", run_background_workers=False, auth_failures_per_minute=20)
    async with running(ledger) as flooder:
        queries: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            if "FROM credentials" in statement:
                queries.append(statement)

        event.listen(ledger.state.runtime.engine.sync_engine, "before_cursor_execute", count)
        operator = await issue_operator_key(ledger.state.runtime.sessions)
        transport = httpx.ASGITransport(app=ledger, client=("198.51.100.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as ops:
            assert (await ops.get("/v1/ops/messaging", headers=auth(operator))).status_code == 200
            cached_at = time.monotonic()
            assert len(queries) == 1

            statuses = [(await flooder.get("/v1/ops/messaging", headers=auth(
                f"lk_k{n:012x}_{'A' * 43}"))).status_code for n in range(300)]
            # The bucket refills at 20 a minute: on a slow machine the flood lasts long
            # enough for a few more failures to be let through, never more than that.
            refilled = int((time.monotonic() - cached_at) * 20 / 60) + 1
            let_through = statuses.count(401)
            assert statuses[:20] == [401] * 20
            assert let_through <= 20 + refilled
            assert statuses.count(429) == 300 - let_through
            assert len(queries) <= 1 + let_through
            assert (await ops.get("/v1/ops/messaging", headers=auth("not-even-a-key"))
                    ).status_code == 401
            # The real key is still cached unless its 5 s lifetime ran out (never evicted by
            # the flood), and its address was never throttled.
            expired = 1 if time.monotonic() - cached_at >= 5 else 0
            assert (await ops.get("/v1/ops/messaging", headers=auth(operator))).status_code == 200
            assert len(queries) <= 1 + let_through + expired


async def test_a_partner_created_without_a_rate_limit_gets_the_default_one(service_app):
    intake = service_app("intake", default_partner_rate_limit_per_second=2)
    async with running(intake) as client:
        partner = await make_partner(intake)  # no rate_limit given
        statuses = [(await client.get("/v1/products", headers=auth(partner.api_key))).status_code
                    for _ in range(8)]
        assert 429 in statuses
        assert statuses[:2] == [200, 200]


async def test_an_operator_key_expires_unless_renewed(service_app):
    intake = service_app("intake")
    async with running(intake) as client:
        issuer = intake.state.runtime.ports["issuer"]
        brief = dataclasses.replace(issuer, operator_key_ttl=timedelta(seconds=1))
        operator = await credentials.create_operator(brief, "ops-brief", role="servicer")
        assert operator.expires_at is not None
        assert (await client.get("/v1/ops/messaging", headers=auth(operator.api_key))
                ).status_code == 200
        await asyncio.sleep(1.5)
        expired = await client.get("/v1/ops/messaging", headers=auth(operator.api_key))
        assert expired.status_code == 401
        renewed = await credentials.rotate(issuer, "ops-brief", kind="operator")
        assert datetime.fromisoformat(renewed.expires_at) > datetime.now(UTC) + timedelta(days=89)
        assert (await client.get("/v1/ops/messaging", headers=auth(renewed.api_key))
                ).status_code == 200
