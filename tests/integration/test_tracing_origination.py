"""A loan's origination is one trace: a partner's ``POST /v1/applications`` at intake, its
event through the relay and Kafka to underwriting's decision, the decision to the ledger,
and the ledger's booking and payout, over the real PostgreSQL and Kafka, recorded by
OpenTelemetry's in-memory exporter. The partner's later acceptance is its own request,
hence its own trace, linked from the booking it caused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from lending_platform.testing import running
from lending_platform.tracing import recording_spans

from .intake_helpers import application_body, auth, eventually, make_partner, new_key
from .ledger_support import start_simulator
from .test_guarantor_income_reaches_underwriting import clean_bureau_file_id
from .underwriting_support import bureau_simulator

pytestmark = pytest.mark.integration


def group_of(app: Any) -> str:
    return str(app.state.runtime.settings.consumer_group)


def handled(spans: list[ReadableSpan], event_type: str, app: Any) -> ReadableSpan:
    """The CONSUMER span of ``app``'s consumer group handling an event of the type."""
    found = [s for s in spans if s.kind == SpanKind.CONSUMER
             and s.name == f"process {event_type}"
             and (s.attributes or {}).get("messaging.consumer.group.name") == group_of(app)]
    assert found, f"no span of {group_of(app)} handling {event_type}"
    return found[-1]


async def test_a_loans_origination_is_one_trace_from_the_partners_request_to_the_payout(
        service_app):
    exporter = InMemorySpanExporter()
    body = application_body()
    body["applicant"] = {**body["applicant"], "national_id": clean_bureau_file_id()}
    with recording_spans(exporter), bureau_simulator() as (bureau_url, _), \
            start_simulator() as payout_url:
        intake = service_app("intake", consumer_offset_reset="latest")
        underwriting = service_app("underwriting", bureau_url=bureau_url,
                                   consumer_offset_reset="latest")
        ledger = service_app("ledger", payout_url=payout_url, run_accrual_worker=False,
                             consumer_offset_reset="latest")
        async with (running(intake, from_now=True) as partner_api,
                    running(underwriting, from_now=True), running(ledger, from_now=True)):
            partner = await make_partner(intake)
            sent = await partner_api.post("/v1/applications", json=body,
                                          headers=auth(partner.api_key, new_key()))
            assert sent.status_code == 202, sent.text
            app_id = sent.json()["id"]

            async def in_status(status: str) -> dict[str, Any] | None:
                view = (await partner_api.get(f"/v1/applications/{app_id}",
                                              headers=auth(partner.api_key))).json()
                return view if view["status"] == status else None

            offer = (await eventually(lambda: in_status("approved"), within=90))["offer"]
            signed = await partner_api.post(
                f"/v1/applications/{app_id}/offer/acceptance", headers=auth(partner.api_key),
                json={"offer_id": offer["offer_id"], "terms_version": "2025-01",
                      "accepted_at": datetime.now(UTC).isoformat(),
                      "disclosure_sha256": offer["disclosure_sha256"],
                      "ip_address": "203.0.113.7", "device_id": "device-42"})
            assert signed.status_code == 200, signed.text
            await eventually(lambda: in_status("disbursed"), within=90)

    spans = list(exporter.get_finished_spans())
    [submitted] = [s for s in spans if s.kind == SpanKind.SERVER
                   and s.name == "POST /v1/applications"]
    origination = submitted.context.trace_id
    assert sent.headers["traceparent"].split("-")[1] == f"{origination:032x}"
    in_trace = [s for s in spans if s.context.trace_id == origination]
    scopes = {s.instrumentation_scope.name for s in in_trace if s.instrumentation_scope}
    for library in ("fastapi", "sqlalchemy", "asyncpg", "httpx"):
        assert any(library in scope for scope in scopes), (library, scopes)

    decided = handled(in_trace, "ApplicationSubmitted", underwriting)
    assert decided.parent is not None
    approval = handled(in_trace, "LoanApproved", ledger)
    [booked] = [s for s in in_trace if s.name == "book loan"]
    [paid_out] = [s for s in in_trace if s.name == "disburse loan"]
    assert booked.parent is not None and booked.parent.span_id == approval.context.span_id
    assert paid_out.parent is not None and paid_out.parent.span_id == approval.context.span_id
    payout_calls = [s for s in in_trace if s.kind == SpanKind.CLIENT
                    and s.parent is not None and s.parent.span_id == paid_out.context.span_id
                    and payout_url.split("//")[1] in str(s.attributes)]
    assert payout_calls, "the payout provider's HTTP call is not in the trace"
    handled(in_trace, "Disbursed", intake)  # intake learns of the payout in the same trace
    publishes = [s for s in spans if s.kind == SpanKind.PRODUCER
                 and any(link.context.trace_id == origination for link in s.links)]
    assert publishes, "no relay publish is linked to the origination"
    accepted = handled(spans, "OfferAccepted", ledger)  # the acceptance: its own trace...
    assert accepted.context.trace_id != origination
    assert any(link.context.span_id == accepted.context.span_id for link in booked.links)
