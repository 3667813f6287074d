"""Issue 20, item 9, on the real PostgreSQL and the real Kafka: a service refuses an oversized
body itself (413 problem details, whatever the ingress allows), a loan's events and journal
come a page at a time, and the trial balance comes from the running totals kept with each
journal entry, not from a scan of the journal per call."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from lending_events import topics
from lending_ledger.adapters import trial_balance
from lending_ledger.service_layer.maintenance import verify
from lending_ledger.testing import accepted, approved, future_terms, payment
from lending_platform.testing import running

from .intake_helpers import topic_tail
from .ledger_support import publish, start_simulator
from .test_collections_journey import key
from .test_collections_over_kafka import Tail, start_group_at_end
from .test_security_reversals import events_of

pytestmark = pytest.mark.integration
MIB = 1024 * 1024


async def pages(client: Any, path: str, headers: dict[str, str], limit: int) -> list[Any]:
    """Every page of ``path``, following ``next_cursor``."""
    found: list[list[Any]] = []
    cursor = None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = await client.get(path, headers=headers, params=params)
        assert page.status_code == 200, page.text
        found.append(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found


async def test_a_loans_ledger_is_paged_summed_from_totals_and_shielded_from_huge_bodies(
        service_app, kafka_bootstrap: str) -> None:
    loan = f"loan-{uuid.uuid4().hex[:10]}"
    terms = future_terms()
    first_due = date.fromisoformat(terms["schedule"][0]["due_date"])
    group = f"test-ledger-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka_bootstrap, group, [
        topics.INTAKE, topics.UNDERWRITING, topics.SERVICING, topics.COLLECTIONS])
    with start_simulator() as payout_url:
        ledger = service_app("ledger", payout_url=payout_url, run_accrual_worker=False,
                             consumer_group=group, max_request_body_bytes=64 * 1024)
        async with running(ledger) as client, \
                topic_tail(kafka_bootstrap, topics.LEDGER) as tail_:
            tail = Tail(tail_)
            reader = await key(ledger, "ops-reader", "servicer")
            await publish(kafka_bootstrap, approved(loan, f"dec-{loan}", terms),
                          accepted(loan, f"dec-{loan}"))
            await tail.find(loan, "Disbursed", within=120)
            await publish(kafka_bootstrap, *[
                payment(loan, f"pay-{n}", "10.00", first_due) for n in range(5)])
            for n in range(5):
                await tail.find(loan, "PaymentApplied", nth=n + 1, within=60)

            # a huge body is refused before anything parses it, declared or streamed
            path = f"/v1/ops/loans/{loan}/payments/pay-0/reversal"
            huge = await client.post(path, headers=reader, json={
                "reason": "bounced", "padding": "x" * (2 * MIB)})
            assert huge.status_code == 413, huge.text
            assert huge.headers["content-type"] == "application/problem+json"
            streamed = await client.post(path, headers={
                **reader, "content-type": "application/json"}, content=chunks(2 * MIB))
            assert streamed.status_code == 413, streamed.text
            assert await events_of(ledger, loan, "PaymentReversed") == 0

            # a loan's history a page at a time
            events = await pages(client, f"/v1/loans/{loan}/events", reader, limit=3)
            assert [len(p) for p in events] == [3, 3, 2]  # PayoutRequested too
            assert [e["version"] for p in events for e in p] == list(range(1, 9))
            journal = await pages(client, f"/v1/loans/{loan}/journal", reader, limit=4)
            assert [len(p) for p in journal] == [4, 2]
            too_many = await client.get(f"/v1/loans/{loan}/events", headers=reader,
                                        params={"limit": 100_000})
            assert too_many.status_code == 422

            # the trial balance is the running totals: equal to the journal...
            async with ledger.state.runtime.engine.connect() as conn:
                assert await trial_balance.differences(conn) == []
            # ...and not a scan of it: a line slipped into the journal past the posting
            # code does not show, and verify names the difference
            before = (await client.get("/v1/trial-balance", headers=reader)).json()
            async with ledger.state.runtime.engine.begin() as conn:
                await conn.execute(text(
                    "WITH e AS (INSERT INTO journal_entries (loan_id, event_type, "
                    "business_date, currency) VALUES (:l, 'Manual', '2031-04-01', 'EUR') "
                    "RETURNING entry_id) INSERT INTO journal_lines "
                    "SELECT entry_id, 1, '1000-settlement-cash', 500, 0 FROM e"), {"l": loan})
            after = (await client.get("/v1/trial-balance", headers=reader)).json()
            assert after == before
            report = await verify(ledger.state.runtime.engine)
            assert any("trial balance totals for account 1000-settlement-cash in EUR" in d
                       for d in report.differences), report.differences


async def chunks(size: int) -> AsyncIterator[bytes]:
    yield b'{"reason": "bounced", "padding": "'
    for _ in range(size // 65536):
        yield b"x" * 65536
    yield b'"}'
