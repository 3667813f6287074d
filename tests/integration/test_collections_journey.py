"""The collections journey over the real stack: the ledger, servicing and collections services
each on their own PostgreSQL database, all on the real Kafka, with the payout provider and
the SMS gateway simulators on real ports. Only the approval and acceptance of the two loans
(underwriting's and intake's events) and one recovery payment are published by the test.

Loan A misses its first installment across closed days -> a case opens -> an SMS reminder
goes out -> at 8 DPD a call task -> a collector records a promise -> a partial payment,
through servicing's API and the ledger, does not keep it -> it breaks at the close -> the
ladder escalates -> a collector proposes a term extension, the proposer cannot approve it,
another collector does -> RestructureRequested -> the ledger books LoanRestructured -> the
case closes (restructured) and servicing's next close cures the loan.

Loan B never pays: its classification walks special mention (stage 1, then 2), substandard,
doubtful; at the policy's 180 DPD the day close recommends a write-off that only an admin may
approve -> WriteOffRequested -> the ledger writes it off -> the case closes, class loss. A
payment after that comes back from the ledger as RecoveryApplied, and the portfolio report
(API and `loanctl report portfolio --html`) shows the write-off and the recovery, while a
past as-of date still gives the figures as they were."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from lending_events import to_envelope, topics
from lending_events.credentials import CredentialIssued
from lending_ledger.testing import accepted, approved, future_terms, payment
from lending_platform.credentials import new_api_key, record_issued
from lending_platform.testing import running
from lending_simulators.serving import serve_http
from lending_simulators.sms_gateway import create_app as sms_gateway
from loanctl.main import app as loanctl

from .intake_helpers import eventually, topic_tail
from .ledger_support import publish, start_simulator
from .test_collections_over_kafka import Tail, start_group_at_end, strategies_without_quiet_hours

pytestmark = pytest.mark.integration
START = date(2031, 3, 1)  # far from other tests' day closes (the ledger's helpers use 2031)
ALL = [topics.UNDERWRITING, topics.INTAKE, topics.LEDGER, topics.SERVICING, topics.COLLECTIONS]


async def key(app: Any, principal_id: str, role: str, kind: str = "operator") -> dict[str, str]:
    issued = new_api_key()
    async with app.state.runtime.sessions() as session, session.begin():
        await record_issued(session, CredentialIssued(
            principal_id=principal_id, principal_kind=kind, principal_name=principal_id,
            role=role, key_id=issued.key_id, key_sha256=issued.sha256,
            issued_at=datetime.now(UTC)))
    return {"Authorization": f"Bearer {issued.api_key}"}


async def scalar(app: Any, sql: str, **params: Any) -> Any:
    async with app.state.runtime.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def test_one_loan_is_restructured_and_cures_another_is_written_off_and_recovered(
        service_app, kafka_bootstrap: str, tmp_path: Path) -> None:
    a, b = f"loan-{uuid.uuid4().hex[:10]}", f"loan-{uuid.uuid4().hex[:10]}"
    groups = {n: f"test-{n}-{uuid.uuid4().hex[:8]}" for n in ("ledger", "servicing", "coll")}
    for group in groups.values():
        await start_group_at_end(kafka_bootstrap, group, ALL)
    sms = sms_gateway()
    with start_simulator() as payout_url:
        async with serve_http(sms) as sms_url:
            ledger = service_app("ledger", payout_url=payout_url, run_accrual_worker=False,
                                 consumer_group=groups["ledger"])
            servicing = service_app("servicing", initial_business_date=START,
                                    consumer_group=groups["servicing"])
            coll = service_app("collections", consumer_group=groups["coll"],
                               sms_gateway_url=sms_url, delivery_poll_interval_s=0.1,
                               strategies_file=strategies_without_quiet_hours(tmp_path))
            async with running(ledger), running(servicing) as svc, running(coll) as client, \
                    topic_tail(kafka_bootstrap, topics.COLLECTIONS) as c_tail, \
                    topic_tail(kafka_bootstrap, topics.LEDGER) as l_tail, \
                    topic_tail(kafka_bootstrap, topics.SERVICING) as s_tail:
                journey = Journey(kafka_bootstrap, svc, client, coll, sms, Tail(c_tail),
                                  Tail(l_tail), Tail(s_tail), a, b)
                journey.servicing_app, journey.html = servicing, tmp_path / "portfolio.html"
                await journey.run()


class Journey:
    def __init__(self, bootstrap: str, svc: Any, client: Any, coll: Any, sms: Any,
                 c_tail: Tail, l_tail: Tail, s_tail: Tail, a: str, b: str) -> None:
        self.bootstrap, self.svc, self.client, self.coll, self.sms = (
            bootstrap, svc, client, coll, sms)
        self.c_tail, self.l_tail, self.s_tail, self.a, self.b = c_tail, l_tail, s_tail, a, b
        self.servicing_app: Any = None
        self.html = Path()

    async def close(self, as_of: date) -> None:
        """Servicing closes every day up to ``as_of``; collections has handled them all."""
        # 2031 is ahead of the wall clock: an admin's override
        closed = await self.svc.post("/v1/admin/business-day/close", headers=self.calendar_admin,
                                     json={"as_of": as_of.isoformat(), "allow_future_date": True})
        assert closed.status_code == 200, closed.text

        async def caught_up() -> bool:
            on = await scalar(self.coll, "SELECT business_date FROM business_day")
            return on is not None and on > as_of

        await eventually(caught_up, within=240, interval=0.2)

    async def case(self, case_id: str) -> dict[str, Any]:
        found = await self.client.get(f"/v1/cases/{case_id}", headers=self.collector)
        assert found.status_code == 200, found.text
        return dict(found.json())

    async def run(self) -> None:
        await self.keys()
        terms = future_terms(start=START + timedelta(days=2), term=3)
        for loan in (self.a, self.b):
            await publish(self.bootstrap, approved(loan, f"dec-{loan}", terms),
                          accepted(loan, f"dec-{loan}"))
        booked = await self.l_tail.find(self.a, "LoanBooked", within=120)  # group joins
        await self.l_tail.find(self.b, "Disbursed", within=60)
        self.partner = await key(self.servicing_app, booked.partner_id, "partner", "partner")
        # the schedule is anchored to the payout's value date (the acceptance's, START):
        # Disbursed carries it, two days before the one the terms were priced with
        paid_out = await self.l_tail.find(self.a, "Disbursed", within=60)
        assert paid_out.terms.start_date == paid_out.value_date == START
        self.due = paid_out.terms.first_due_date

        async def known() -> bool:
            n = await scalar(self.coll, "SELECT count(*) FROM loans WHERE loan_id IN (:a, :b)"
                             " AND status = 'active'", a=self.a, b=self.b)
            return n == 2

        await eventually(known, within=60)
        await self.loan_a_restructured_and_cured()
        await self.loan_b_written_off_and_recovered()

    async def keys(self) -> None:
        self.collector = await key(self.coll, "agent-7", "collector")
        self.lead = await key(self.coll, "lead-2", "collector")
        self.admin = await key(self.coll, "boss-1", "admin")
        self.underwriter = await key(self.coll, "uw-1", "underwriter")
        self.calendar_admin = await key(self.servicing_app, "boss-2", "admin")

    async def loan_a_restructured_and_cured(self) -> None:
        a, due = self.a, self.due
        # --- missed across closed days: a case, then an SMS reminder
        await self.close(due + timedelta(days=1))
        opened = await self.c_tail.find(a, "CollectionCaseOpened")
        self.case_a = opened.case_id
        self.case_b = (await self.c_tail.find(self.b, "CollectionCaseOpened")).case_id
        await self.close(due + timedelta(days=2))
        sent = await self.c_tail.find(a, "CollectionActionTaken",
                                      where=lambda d: d["outcome"] == "delivered")
        assert sent.stage == "reminder"
        assert a in [m["to"] for m in self.sms.state.sim.messages.values()]
        # --- at 8 DPD the ladder adds a call task
        await self.close(due + timedelta(days=8))
        call = await self.c_tail.find(a, "CollectionActionTaken",
                                      where=lambda d: d["outcome"] == "task_created")
        assert call.stage == "call"
        # --- a promise, a partial payment through servicing and the ledger, the break
        contact = await self.client.post(
            f"/v1/cases/{self.case_a}/contacts", headers=self.collector,
            json={"channel": "call", "outcome": "promise_made", "reason": "answered"})
        assert contact.status_code == 201, contact.text
        promised = await self.client.post(
            f"/v1/cases/{self.case_a}/promises", headers=self.collector,
            json={"amount": "100.00", "currency": "EUR", "reason": "salary on Friday",
                  "promised_date": (due + timedelta(days=11)).isoformat()})
        assert promised.status_code == 201, promised.text
        paid = await self.svc.post(f"/v1/loans/{a}/payments", headers={
            **self.partner, "Idempotency-Key": f"idem-{uuid.uuid4()}"}, json={
            "amount": "50.00", "currency": "EUR", "channel": "bank_transfer",
            "value_date": (due + timedelta(days=9)).isoformat(), "external_reference": "bt-1"})
        assert paid.status_code == 202, paid.text
        await self.l_tail.find(a, "PaymentApplied")

        async def counted() -> bool:
            found = (await self.case(self.case_a))["promises"]
            return found[0]["paid"] == "50.00"

        await eventually(counted, within=60)
        await self.close(due + timedelta(days=11))
        broken = await self.c_tail.find(a, "PromiseToPayBroken")
        assert str(broken.amount_paid) == "50.00"
        # --- escalation: the ladder resumes past the reminders (a call again, a hardship offer)
        await self.close(due + timedelta(days=15))
        await self.c_tail.find(a, "CollectionActionTaken", nth=2,
                               where=lambda d: d["outcome"] == "task_created")
        detail = await self.case(self.case_a)
        assert detail["stage"] == "call" and detail["days_past_due"] == 15
        assert "hardship_offer" in {x["kind"] for x in detail["actions"]}
        # --- a recovery plan: proposed, refused to its proposer, approved by another
        today = due + timedelta(days=16)
        body = {"kind": "term_extension", "effective_date": today.isoformat(),
                "new_installment_count": 6, "capitalize_arrears": True,
                "reason": "hours cut at work; can pay 60% of the installment"}
        proposal = await self.client.post(
            f"/v1/cases/{self.case_a}/proposals", json=body,
            headers={**self.collector, "Idempotency-Key": "plan-a-1"})
        assert proposal.status_code == 201, proposal.text
        again = await self.client.post(
            f"/v1/cases/{self.case_a}/proposals", json=body,
            headers={**self.collector, "Idempotency-Key": "plan-a-1"})
        pid = proposal.json()["proposal_id"]
        assert again.json()["proposal_id"] == pid
        bad = await self.client.post(f"/v1/cases/{self.case_a}/proposals", headers=self.lead,
                                     json={**body, "kind": "rate_change"})
        assert bad.status_code == 422
        assert bad.json()["errors"] == [
            {"field": "new_annual_rate", "message": "a rate_change needs new_annual_rate"}]
        own = await self.client.post(f"/v1/proposals/{pid}/approve", headers=self.collector,
                                     json={"reason": "looks fine"})
        assert own.status_code == 403 and "maker-checker" in own.json()["detail"]
        underwriter = await self.client.post(f"/v1/proposals/{pid}/approve",
                                             headers=self.underwriter, json={"reason": "ok"})
        assert underwriter.status_code == 403
        assert await self.c_tail_has(a, "RestructureRequested") is False
        ok = await self.client.post(f"/v1/proposals/{pid}/approve", headers=self.lead,
                                    json={"reason": "payslips checked"})
        assert ok.status_code == 200 and ok.json()["status"] == "approved", ok.text
        requested = await self.c_tail.find(a, "RestructureRequested")
        assert (requested.request_id, requested.approved_by, requested.kind) == (
            pid, "lead-2", "reschedule")
        restructured = await self.l_tail.find(a, "LoanRestructured", within=60)
        assert restructured.request_id == pid and len(restructured.new_terms.schedule) == 6
        closed = await self.c_tail.find(a, "CollectionCaseClosed")
        assert (closed.case_id, closed.resolution) == (self.case_a, "restructured")
        detail = await self.case(self.case_a)
        assert detail["classification"]["asset_class"] == "substandard"
        audit = [(x["kind"], x["performed_by"]) for x in detail["actions"]]
        assert ("restructure_proposed", "agent-7") in audit
        assert ("restructure_approved", "lead-2") in audit
        # --- servicing's next close: the loan is current again
        await self.close(today)
        cure = await self.s_tail.find(a, "DelinquencyChanged", nth=2, within=60)
        assert (cure.bucket, cure.days_past_due) == ("current", 0)

    async def c_tail_has(self, key: str, event_type: str) -> bool:
        try:
            await self.c_tail.find(key, event_type, within=1.0)
        except AssertionError:
            return False
        return True

    async def loan_b_written_off_and_recovered(self) -> None:
        b, due = self.b, self.due
        walk = []
        for dpd in (40, 95, 181):
            await self.close(due + timedelta(days=dpd))
            found = (await self.case(self.case_b))["classification"]
            walk.append((found["asset_class"], found["ifrs9_stage"]))
        assert walk == [("special_mention", 2), ("substandard", 3), ("doubtful", 3)]
        queue = (await self.client.get("/v1/proposals", headers=self.lead)).json()["items"]
        [rec] = [p for p in queue if p["case_id"] == self.case_b]
        assert (rec["kind"], rec["proposed_by"], rec["approver_roles"]) == (
            "write_off", "system", ["admin"])
        assert rec["proposed_on"] == (due + timedelta(days=180)).isoformat()
        refused = await self.client.post(f"/v1/proposals/{rec['proposal_id']}/approve",
                                         headers=self.lead, json={"reason": "agreed"})
        assert refused.status_code == 403
        ok = await self.client.post(f"/v1/proposals/{rec['proposal_id']}/approve",
                                    headers=self.admin, json={"reason": "committee 12"})
        assert ok.status_code == 200, ok.text
        asked = await self.c_tail.find(b, "WriteOffRequested")
        assert (asked.approved_by, asked.days_past_due) == ("boss-1", 181)
        written = await self.l_tail.find(b, "LoanWrittenOff", within=60)
        closed = await self.c_tail.find(b, "CollectionCaseClosed")
        assert closed.resolution == "written_off"
        assert (await self.case(self.case_b))["classification"]["asset_class"] == "loss"
        # --- a payment after the write-off comes back as a recovery
        on = written.effective_date + timedelta(days=1)
        await publish(self.bootstrap, to_envelope(payment(b, f"rec-{b}", "75.00", on),
                                                  source="/lending/servicing"))
        await self.l_tail.find(b, "RecoveryApplied", within=60)

        async def recovered() -> bool:
            return bool(await scalar(self.coll, "SELECT count(*) FROM portfolio_flows"
                                     " WHERE kind = 'recovery' AND loan_id = :b", b=b))

        await eventually(recovered, within=60)
        await self.close(on)
        await self.portfolio(on, due)

    async def portfolio(self, on: date, due: date) -> None:
        found = await self.client.get("/v1/reports/portfolio", headers=self.collector,
                                      params={"as_of": on.isoformat()})
        assert found.status_code == 200, found.text
        total = next(s for s in found.json()["segments"] if s["dimension"] == "total")
        assert total["recoveries"] == "75.00" and total["write_offs"] != "0.00"
        assert total["loans"] == 1  # loan A; B is off the book
        past = await self.client.get("/v1/reports/portfolio", headers=self.collector,
                                     params={"as_of": (due + timedelta(days=8)).isoformat()})
        then = next(s for s in past.json()["segments"] if s["dimension"] == "total")
        assert (then["loans"], then["par1_ratio"], then["write_offs"]) == (2, "1.0000", "0.00")
        assert (await self.client.get("/v1/reports/portfolio", headers=self.underwriter,
                                      params={"as_of": on.isoformat()})).status_code == 403
        # the operator CLI calls the same API over HTTP and writes the charted HTML
        out: Path = self.html
        api_key = self.collector["Authorization"].split(" ", 1)[1]
        async with serve_http(self.coll) as url:
            result = await asyncio.to_thread(
                CliRunner().invoke, loanctl,
                ["report", "portfolio", "--as-of", on.isoformat(), "--html", str(out)],
                env={"COLLECTIONS_URL": url, "LOANCTL_API_KEY": api_key})
        assert result.exit_code == 0, result.output
        assert "total" in result.output and "75.00" in result.output
        page = await asyncio.to_thread(out.read_text)
        assert "<svg" in page and "Roll rates" in page
