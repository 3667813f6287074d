"""A payoff over the real stack: the ledger and servicing each on their own PostgreSQL
database, on the real Kafka, with the payout provider simulator. Only the approval and
acceptance of the loan are published by the test; everything else goes through the public
APIs: days closed through servicing (the ledger accrues, charges a late fee and penalties),
a payoff quote fetched from servicing, paid through servicing, and then the loan is closed
in the ledger and in servicing with nothing outstanding, the journal balanced and the
replayed streams equal to the read model. A second payment with the quote is refused; the
accrual of the next day leaves the closed loan alone; reversing the settling payment
reopens the loan in both services."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from lending_events import topics
from lending_ledger.service_layer.maintenance import verify
from lending_ledger.testing import accepted, approved, future_terms
from lending_platform.testing import running
from lending_servicing.domain.payoff import payoff_on
from lending_servicing.service_layer.queries import balances

from .intake_helpers import eventually, topic_tail
from .ledger_support import start_simulator
from .test_collections_journey import key
from .test_collections_over_kafka import Tail, start_group_at_end

pytestmark = pytest.mark.integration
START = date(2031, 6, 2)  # the ledger's test terms are far in the future too
GROUPS = [topics.UNDERWRITING, topics.INTAKE, topics.LEDGER, topics.SERVICING]


async def scalar(app: Any, sql: str, **params: Any) -> Any:
    async with app.state.runtime.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


def cents(amount: str) -> int:
    return int(amount.replace(".", ""))


async def test_a_paid_payoff_quote_closes_the_loan_in_the_ledger_and_in_servicing(
        service_app, kafka_bootstrap: str) -> None:
    loan = f"loan-{uuid.uuid4().hex[:10]}"
    groups = {n: f"test-{n}-{uuid.uuid4().hex[:8]}" for n in ("ledger", "servicing")}
    for group in groups.values():
        await start_group_at_end(kafka_bootstrap, group, GROUPS)
    with start_simulator() as payout_url:
        ledger = service_app("ledger", payout_url=payout_url, consumer_group=groups["ledger"])
        servicing = service_app("servicing", initial_business_date=START,
                                consumer_group=groups["servicing"])
        async with running(ledger) as lc, running(servicing) as sc, \
                topic_tail(kafka_bootstrap, topics.LEDGER) as l_tail:
            flow = Payoff(ledger, servicing, lc, sc, Tail(l_tail), loan)
            await flow.run(kafka_bootstrap)


class Payoff:
    def __init__(self, ledger: Any, servicing: Any, lc: Any, sc: Any, tail: Tail,
                 loan: str) -> None:
        self.ledger, self.servicing, self.lc, self.sc = ledger, servicing, lc, sc
        self.tail, self.loan = tail, loan

    async def run(self, bootstrap: str) -> None:
        from .ledger_support import publish

        terms = future_terms(start=START)
        at = datetime.fromisoformat(f"{START}T10:00:00+00:00").isoformat()
        await publish(bootstrap, approved(self.loan, f"dec-{self.loan}", terms),
                      accepted(self.loan, f"dec-{self.loan}", at=at))
        booked = await self.tail.find(self.loan, "LoanBooked", within=120)
        await self.tail.find(self.loan, "Disbursed", within=60)
        self.partner = await key(self.servicing, booked.partner_id, "partner", "partner")
        self.admin = await key(self.servicing, "boss-1", "admin")
        self.reader = await key(self.ledger, "ops-2", "servicer")
        await self.wait_servicing("active")
        await self.overdue_then_quoted_then_paid()
        await self.closed_stays_closed()
        await self.reversal_reopens()

    async def close(self, as_of: date) -> None:
        # 2031 is ahead of the wall clock: an admin's override
        closed = await self.sc.post("/v1/admin/business-day/close", headers=self.admin,
                                    json={"as_of": as_of.isoformat(), "allow_future_date": True})
        assert closed.status_code == 200, closed.text

        async def accrued() -> bool:
            done = await scalar(self.ledger, "SELECT status FROM accrual_runs "
                                "WHERE business_date = :d", d=as_of)
            return done == "done"

        await eventually(accrued, within=60)

    async def ledger_loan(self) -> dict[str, Any]:
        found = await self.lc.get(f"/v1/loans/{self.loan}", headers=self.reader)
        assert found.status_code == 200, found.text
        return dict(found.json())

    async def servicing_loan(self) -> dict[str, Any]:
        found = await self.sc.get(f"/v1/loans/{self.loan}", headers=self.partner)
        assert found.status_code == 200, found.text
        return dict(found.json())

    async def wait_servicing(self, status: str) -> dict[str, Any]:
        async def reached() -> dict[str, Any] | None:
            view = await self.servicing_loan()
            return view if view["status"] == status else None

        return dict(await eventually(reached, within=60))

    async def overdue_then_quoted_then_paid(self) -> None:
        first_due = date.fromisoformat(future_terms(start=START)["schedule"][0]["due_date"])
        last_closed = first_due + timedelta(days=8)  # a late fee, then penalty interest
        await self.close(last_closed)
        ledger_view = await self.ledger_loan()
        assert ledger_view["accrued_through"] == last_closed.isoformat()

        async def caught_up() -> bool:  # servicing has seen the ledger's accrual
            view = await self.servicing_loan()
            return view["outstanding"]["penalties"] == ledger_view["balances"]["penalties"]

        await eventually(caught_up, within=60)
        quote = (await self.sc.get(f"/v1/loans/{self.loan}/payoff",
                                   headers=self.partner)).json()
        paid_on = last_closed + timedelta(days=1)  # the open business date
        assert quote["as_of"] == paid_on.isoformat()
        amount = quote["amount"]
        assert cents(amount["fees"]) > 0 and cents(amount["penalties"]) > 0
        assert amount["principal"] == ledger_view["balances"]["principal"]
        async with self.servicing.state.runtime.sessions() as session:
            row = (await session.execute(text("SELECT * FROM loans WHERE loan_id = :l"),
                                         {"l": self.loan})).first()
        owed_on_the_day = payoff_on(balances(row), paid_on).total

        paid = await self.pay(quote, "idem-payoff-1")
        assert paid.status_code == 202, paid.text
        await self.tail.find(self.loan, "LoanClosed", within=60)
        assert paid.json()["settles_loan"] is True and paid.json()["shortfall"] is None
        self.payment_id = paid.json()["payment_id"]

        ledger_view = await self.ledger_loan()
        assert (ledger_view["status"], ledger_view["closed_on"]) == ("closed",
                                                                     paid_on.isoformat())
        money = ledger_view["balances"]
        assert (money["total"], money["scheduled_unpaid"]) == ("0.00", "0.00")
        # the ledger's payoff on the day equals servicing's: the quote's surplus is credit
        assert cents(money["credit_balance"]) == cents(amount["total"]) - owed_on_the_day > 0
        assert all(i["settled"] for i in ledger_view["installments"])
        view = await self.wait_servicing("closed")
        assert view["outstanding"]["total"] == "0.00" and view["days_past_due"] == 0
        assert {i["status"] for i in view["installments"]} <= {"paid", "closed"}
        again = await self.pay(quote, "idem-payoff-2")
        assert again.status_code == 409, again.text
        assert again.json()["type"].endswith("payoff-quote-used")
        await self.books_balance()

    async def pay(self, quote: dict[str, Any], idempotency_key: str) -> Any:
        return await self.sc.post(
            f"/v1/loans/{self.loan}/payments",
            headers={**self.partner, "Idempotency-Key": f"{idempotency_key}-{self.loan}"},
            json={"amount": quote["amount"]["total"], "currency": "EUR",
                  "value_date": quote["as_of"], "channel": "bank_transfer",
                  "external_reference": f"bt-{idempotency_key}",
                  "payoff_quote_id": quote["quote_id"]})

    async def books_balance(self) -> None:
        trial = (await self.lc.get("/v1/trial-balance", headers=self.reader)).json()
        assert trial["balanced"] is True
        journal = (await self.lc.get(f"/v1/loans/{self.loan}/journal",
                                     headers=self.reader)).json()
        for entry in journal["items"]:
            debit = sum(cents(line["debit"]) for line in entry["lines"])
            assert debit == sum(cents(line["credit"]) for line in entry["lines"]), entry
        report = await verify(self.ledger.state.runtime.engine)
        assert report.ok, report.differences

    async def closed_stays_closed(self) -> None:
        before = await self.ledger_loan()
        await self.close(date.fromisoformat(before["closed_on"]))
        after = await self.ledger_loan()
        assert after["version"] == before["version"]  # no accrual, no fee on a closed loan

    async def reversal_reopens(self) -> None:
        asked = await self.lc.post(
            f"/v1/ops/loans/{self.loan}/payments/{self.payment_id}/reversal",
            headers=self.reader, json={"reason": "bounced"})
        assert asked.status_code == 202, asked.text  # maker-checker: a second operator
        checker = await key(self.ledger, "ops-3", "servicer")
        reversed_ = await self.lc.post(
            f"/v1/ops/reversals/{asked.json()['reversal_id']}/approve", headers=checker,
            json={"note": "the bank returned it"})
        assert reversed_.status_code == 200, reversed_.text
        assert reversed_.json()["loan"]["status"] == "active"
        view = await self.wait_servicing("active")
        assert cents(view["outstanding"]["principal"]) > 0
        assert "closed" not in {i["status"] for i in view["installments"]}
        await self.books_balance()
