"""Issue 20, item 4, on the real PostgreSQL and the real Kafka: two collectors cannot re-price
a loan. A cut to 0% forgoes the remaining interest, so it needs an admin, not a second
collector; an increase is refused outright; and a misspelt field is refused, not dropped."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lending_events import topics
from lending_platform.testing import running
from lending_simulators.serving import serve_http
from lending_simulators.sms_gateway import create_app as sms_gateway

from .intake_helpers import topic_tail
from .test_collections_over_kafka import (
    Kafka,
    Tail,
    delinquency,
    ev,
    issue_key,
    start_group_at_end,
    strategies_without_quiet_hours,
)

pytestmark = pytest.mark.integration
AS_OF = date(2042, 2, 16)  # far from other tests' day closes on the shared topics


async def test_two_collectors_cannot_cut_a_loans_rate_to_zero_or_raise_it(
        service_app, kafka_bootstrap: str, tmp_path: Path) -> None:
    loan = f"app-{uuid.uuid4().hex[:10]}"
    group = f"test-collections-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_bootstrap, group, [
        topics.SERVICING, topics.LEDGER, topics.INTAKE, topics.UNDERWRITING])
    kafka = Kafka(kafka_bootstrap)
    await kafka.producer.start()
    try:
        async with serve_http(sms_gateway()) as sms_url:
            app = service_app("collections", consumer_group=group, sms_gateway_url=sms_url,
                              strategies_file=strategies_without_quiet_hours(tmp_path))
            async with running(app) as client, \
                    topic_tail(kafka_bootstrap, topics.COLLECTIONS) as consumer:
                tail = Tail(consumer)
                maker = await issue_key(app, "agent-1", "collector")
                checker = await issue_key(app, "agent-2", "collector")
                admin = await issue_key(app, "boss-1", "admin")
                terms = ev("LoanBooked").terms.model_copy(update={  # type: ignore[attr-defined]
                    "annual_rate": Decimal("0.12")})
                await kafka.send(ev("LoanBooked", loan, terms=terms))
                await kafka.send(ev("Disbursed", loan))
                await kafka.send(delinquency(loan, AS_OF, 1, "current", "dpd_1_30"))
                opened = await tail.find(loan, "CollectionCaseOpened", within=90)
                path = f"/v1/cases/{opened.case_id}/proposals"
                plan = {"kind": "rate_change", "effective_date": AS_OF.isoformat(),
                        "reason": "hardship"}

                raised = await client.post(path, headers=maker,
                                           json={**plan, "new_annual_rate": "0.99"})
                assert raised.status_code == 422, raised.text
                assert raised.json()["errors"][0]["field"] == "new_annual_rate"
                misspelt = await client.post(path, headers=maker, json={
                    **plan, "new_annual_rate": "0.10", "capitalise_arrears": True})
                assert misspelt.status_code == 422, misspelt.text
                assert "capitalise_arrears" in [e["field"] for e in misspelt.json()["errors"]]

                # the attack: a cut to 0% "waiving nothing", approved by a second collector
                zero = await client.post(path, headers=maker,
                                         json={**plan, "new_annual_rate": "0"})
                assert zero.status_code == 201, zero.text
                proposal = zero.json()
                assert proposal["approver_roles"] == ["admin"]
                assert proposal["waive_amount"] == "0.00"
                assert Decimal(proposal["forgone_interest"]) > 0
                pid = proposal["proposal_id"]
                refused = await client.post(f"/v1/proposals/{pid}/approve", headers=checker,
                                            json={"reason": "looks fine"})
                assert refused.status_code == 403, refused.text
                approved = await client.post(f"/v1/proposals/{pid}/approve", headers=admin,
                                             json={"reason": "forgiving the interest: agreed"})
                assert approved.status_code == 200, approved.text
                requested = await tail.find(loan, "RestructureRequested", within=60)
                assert (requested.new_annual_rate, requested.approved_by) == (
                    Decimal("0"), "boss-1")
    finally:
        await kafka.producer.stop()
