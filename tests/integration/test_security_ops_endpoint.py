"""`/v1/ops/messaging` is for operators only, on every service (issue 20, item 2): no key,
a made-up key or a partner's key is refused; an operator of any role may look."""

import pytest

from lending_platform.testing import issue_operator_key, running

from .intake_helpers import auth, make_partner

pytestmark = pytest.mark.integration
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


@pytest.mark.parametrize("service", SERVICES)
async def test_the_messaging_status_answers_operators_only(service_app, service):
    app = service_app(service, run_background_workers=False)
    async with running(app) as client:
        anonymous = await client.get("/v1/ops/messaging")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        made_up = "lk_k000000000000_" + "A" * 43
        assert (await client.get("/v1/ops/messaging", headers=auth(made_up))).status_code == 401
        collector = await issue_operator_key(app.state.runtime.sessions, role="collector")
        allowed = await client.get("/v1/ops/messaging", headers=auth(collector))
        assert allowed.status_code == 200 and allowed.json()["service"] == service
        if service == "intake":
            partner = await make_partner(app)
            forbidden = await client.get("/v1/ops/messaging", headers=auth(partner.api_key))
            assert forbidden.status_code == 403
