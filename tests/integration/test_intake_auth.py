"""API keys: issued by intake, verified by every service from its own projection; partners
see only their own applications and stay within their rate limit."""

import pytest

from lending_intake.service_layer import credentials
from lending_platform.testing import running

from .intake_helpers import application_body, auth, eventually, make_partner, new_key

pytestmark = pytest.mark.integration


async def test_missing_unknown_and_revoked_keys_are_401(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        assert (await client.get("/v1/products", headers=auth(partner.api_key))).status_code == 200
        missing = await client.get("/v1/products")
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        forged = partner.api_key[:-4] + "AAAA"
        assert (await client.get("/v1/products", headers=auth(forged))).status_code == 401
        await credentials.revoke(app.state.runtime.ports["issuer"], partner.principal_id,
                                 kind="partner")
        app.state.runtime.ports["credentials"].forget()  # skip the cache's few seconds
        assert (await client.get("/v1/products", headers=auth(partner.api_key))).status_code == 401


async def test_a_rotated_key_replaces_the_old_one(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app)
        rotated = await credentials.rotate(app.state.runtime.ports["issuer"], partner.principal_id,
                                           kind="partner")
        app.state.runtime.ports["credentials"].forget()
        assert (await client.get("/v1/products", headers=auth(rotated.api_key))).status_code == 200
        assert (await client.get("/v1/products", headers=auth(partner.api_key))).status_code == 401


async def test_an_operator_key_is_forbidden_on_partner_endpoints(service_app):
    app = service_app("intake")
    async with running(app) as client:
        operator = await credentials.create_operator(app.state.runtime.ports["issuer"], "ops-ann",
                                                     role="servicer")
        response = await client.get("/v1/applications", headers=auth(operator.api_key))
        assert response.status_code == 403
        assert response.json()["type"].endswith("/forbidden")


async def test_another_partners_application_is_not_found(service_app):
    app = service_app("intake")
    async with running(app) as client:
        owner, other = await make_partner(app), await make_partner(app)
        created = await client.post("/v1/applications", json=application_body(),
                                    headers=auth(owner.api_key, new_key()))
        path = created.headers["Location"]
        assert (await client.get(path, headers=auth(owner.api_key))).status_code == 200
        assert (await client.get(path, headers=auth(other.api_key))).status_code == 404
        withdrawal = await client.post(f"{path}/withdrawal", json={},
                                       headers=auth(other.api_key))
        assert withdrawal.status_code == 404
        listed = await client.get("/v1/applications", headers=auth(other.api_key))
        assert listed.json()["items"] == []


async def test_a_partner_over_its_rate_limit_gets_429_with_retry_after(service_app):
    app = service_app("intake")
    async with running(app) as client:
        partner = await make_partner(app, rate_limit=3)
        statuses = [(await client.get("/v1/products", headers=auth(partner.api_key)))
                    for _ in range(5)]
        assert [r.status_code for r in statuses[:3]] == [200, 200, 200]
        limited = statuses[-1]
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.headers["content-type"] == "application/problem+json"


async def test_another_service_learns_keys_and_revocations_through_kafka(service_app):
    intake, servicing = service_app("intake"), service_app("servicing")
    async with running(intake), running(servicing):
        partner = await make_partner(intake)
        store = servicing.state.runtime.ports["credentials"]

        async def known():
            store.forget()
            return await store.lookup(partner.api_key)

        principal = await eventually(known, within=30)
        assert principal.id == partner.principal_id and principal.kind == "partner"
        await credentials.revoke(intake.state.runtime.ports["issuer"], partner.principal_id,
                                 kind="partner")

        async def forgotten():
            return await known() is None

        await eventually(forgotten, within=30)
