"""Readiness is what serving a request needs: the database. With the broker away, intake
stays in the load balancer and takes applications (its outbox holds their events until
the broker is back); the outage shows in /metrics, where the alerts read it."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lending_platform.testing import running

from .intake_helpers import application_body, auth, free_port, make_partner, new_key

pytestmark = pytest.mark.integration


def gauge(exposition: str, name: str) -> float:
    [value] = [s.value for f in text_string_to_metric_families(exposition)
               for s in f.samples if s.name == name]
    return value


async def test_intake_with_its_broker_away_is_ready_and_takes_applications(service_app):
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
    app = service_app("intake", kafka_bootstrap_servers=nowhere)
    async with running(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok"}
        partner = await make_partner(app)
        sent = await client.post("/v1/applications", json=application_body(),
                                 headers=auth(partner.api_key, new_key()))
        assert sent.status_code == 202, sent.text
        scraped = (await client.get("/metrics")).text
        assert gauge(scraped, "lending_kafka_up") == 0
        assert gauge(scraped, "lending_outbox_pending") >= 1
