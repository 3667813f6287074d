"""Payoff quotes through the real app on a real PostgreSQL (ledger events through the
in-memory harness): reading a quote writes nothing and out-of-range dates are 422 problems;
a payment says whether it settles the loan; a quote is used once; a closed loan owes nothing
in its schedule, and a reversal that leaves it owing reopens it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal

import pytest

from lending_events.ledger import LoanClosed
from lending_platform.testing import running
from lending_servicing.config import Settings
from lending_servicing.entrypoints.app import create_app
from lending_servicing.testing import (
    contract_terms,
    disbursed,
    loan_booked,
    payment_applied,
    payment_reversed,
)

from .servicing_support import Servicing
from .test_servicing_api import Api

pytestmark = pytest.mark.integration
START = date(2025, 1, 15)


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    """Loan 1 (EUR 900.00, three installments of 300.00 + 10.00) disbursed 15 Jan 2025;
    business date 1 Feb."""
    app = create_app(Settings(database_url=database_url, run_background_workers=False,
                              credential_max_staleness_seconds=0,
                              log_json=False, kafka_bootstrap_servers="127.0.0.1:1",
                              initial_business_date=START))
    async with running(app) as client:
        servicing = await Servicing.start(database_url, migrate=False,
                                          initial_business_date=START)
        terms = contract_terms(start=START)
        await servicing.ledger(loan_booked("loan-1", terms, partner_id="acme"),
                               disbursed("loan-1", terms))
        await servicing.close(date(2025, 1, 31))
        yield Api(client, servicing)
        await servicing.stop()


async def row_counts(api: Api) -> dict[str, int]:
    tables = [r.tablename for r in await api.servicing.sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    return {t: (await api.servicing.sql(f'SELECT count(*) FROM "{t}"'))[0][0] for t in tables}


async def settle(api: Api, quote_id: str, paid: int) -> None:
    """The ledger's answer to a payment that settles loan 1."""
    applied = payment_applied("loan-1", "p-payoff", "EUR", paid, date(2025, 2, 1), 0)
    await api.servicing.ledger(
        applied.model_copy(update={"payoff_quote_id": quote_id, "payoff_outcome": "settled",
                                   "payoff_waived": Decimal("0.00")}),
        LoanClosed(loan_id="loan-1", closed_on=date(2025, 2, 1), reason="prepaid",
                   currency="EUR", total_paid=Decimal(paid).scaleb(-2)))


async def test_a_payoff_quote_states_its_amount_and_reading_it_writes_nothing(api: Api) -> None:
    key = await api.key("acme")
    before = await row_counts(api)
    quote = (await api.get(key, "/v1/loans/loan-1/payoff")).json()
    # valid 7 days; #1 earns 24 of its 31 days' 10.00 by 8 Feb (the ledger's own rule)
    assert (quote["as_of"], quote["valid_until"]) == ("2025-02-01", "2025-02-08")
    assert quote["amount"] == {"principal": "900.00", "interest": "7.74", "fees": "0.00",
                               "penalties": "0.00", "total": "907.74"}
    assert quote["per_diem_interest"] == "0.32"
    for day in ("2025-02-02", "2025-02-03", "2025-03-01"):
        assert (await api.get(key, "/v1/loans/loan-1/payoff", as_of=day)).status_code == 200
    assert await row_counts(api) == before


@pytest.mark.parametrize(("path", "params", "field"), [
    ("payoff", {"as_of": "9999-12-31"}, "query.as_of"),  # was a 500: valid_until overflowed
    ("payoff", {"as_of": "2025-05-03"}, "query.as_of"),  # beyond the 90-day window
    ("payoff", {"as_of": "2025-01-20"}, "query.as_of"),  # before the business date
    ("payoff", {"as_of": "10000-01-01"}, "query.as_of"),
    ("payoff", {"as_of": "yesterday"}, "query.as_of"),
    ("statement", {"from": "2025-02-01", "to": "2025-01-01"}, "query.to"),
    ("statement", {"to": "10000-01-01"}, "query.to"),
])
async def test_out_of_range_dates_on_reads_are_422_problems_naming_the_field(
        api: Api, path: str, params: dict[str, str], field: str) -> None:
    response = await api.get(await api.key("acme"), f"/v1/loans/loan-1/{path}", **params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_a_statement_over_the_widest_dates_is_answered(api: Api) -> None:
    response = await api.get(await api.key("acme"), "/v1/loans/loan-1/statement",
                             **{"from": "0001-01-01", "to": "9999-12-31"})
    assert response.status_code == 200, response.text


async def test_a_payment_that_meets_the_quote_settles_the_loan_and_the_quote_is_used_once(
        api: Api) -> None:
    key = await api.key("acme")
    quote = (await api.get(key, "/v1/loans/loan-1/payoff")).json()
    paid = await api.pay(key, "loan-1", "idem-payoff-1", amount="907.74",
                         payoff_quote_id=quote["quote_id"])
    assert paid.status_code == 202, paid.text
    body = paid.json()
    assert (body["settles_loan"], body["payoff_quote_total"], body["shortfall"]) == (
        True, "907.74", None)
    [received] = await api.servicing.data("PaymentReceived")
    assert received["payoff_quote_id"] == quote["quote_id"]
    assert received["payoff_quote"] == {"as_of": "2025-02-01", "valid_until": "2025-02-08",
                                        "principal": "900.00", "total": "907.74"}
    again = await api.pay(key, "loan-1", "idem-payoff-1", amount="907.74",
                          payoff_quote_id=quote["quote_id"])
    assert again.status_code == 202 and again.json() == body  # the same request: a replay
    second = await api.pay(key, "loan-1", "idem-payoff-2", amount="907.74",
                           payoff_quote_id=quote["quote_id"])
    assert second.status_code == 409 and second.json()["type"].endswith("payoff-quote-used")
    assert body["payment_id"] in second.json()["detail"]
    assert len(await api.servicing.data("PaymentReceived")) == 1

    await settle(api, quote["quote_id"], 90_774)
    loan = (await api.get(key, "/v1/loans/loan-1")).json()
    assert loan["status"] == "closed" and loan["outstanding"]["total"] == "0.00"
    assert loan["days_past_due"] == 0 and loan["overdue_amount"] == "0.00"
    assert loan["next_due"] is None
    assert [i["status"] for i in loan["installments"]] == ["paid", "paid", "closed"]
    assert all(i["unpaid"] == "0.00" for i in loan["installments"])
    [use] = await api.servicing.sql("SELECT payment_id, outcome, total FROM payoff_quote_uses")
    assert tuple(use) == (body["payment_id"], "settled", 90_774)


async def test_a_payment_below_the_quote_is_ordinary_and_says_by_how_much(api: Api) -> None:
    key = await api.key("acme")
    quote = (await api.get(key, "/v1/loans/loan-1/payoff")).json()
    paid = await api.pay(key, "loan-1", amount="900.00", payoff_quote_id=quote["quote_id"])
    assert paid.status_code == 202, paid.text
    assert (paid.json()["settles_loan"], paid.json()["shortfall"]) == (False, "7.74")
    plain = await api.pay(key, "loan-1", amount="10.00")
    assert (plain.json()["settles_loan"], plain.json()["payoff_quote_id"]) == (False, None)


async def test_a_quote_id_not_issued_for_this_loan_or_paid_too_late_is_refused(
        api: Api) -> None:
    key = await api.key("acme")
    quote = (await api.get(key, "/v1/loans/loan-1/payoff")).json()
    tampered = quote["quote_id"][:-2] + ("aa" if quote["quote_id"][-2:] != "aa" else "bb")
    for quote_id in ("pq-unknown", tampered):
        refused = await api.pay(key, "loan-1", amount="907.74", payoff_quote_id=quote_id)
        assert refused.status_code == 409
        assert refused.json()["type"].endswith("payoff-quote-unusable")
    await api.servicing.close(date(2025, 2, 9))
    late = await api.pay(key, "loan-1", amount="907.74", value_date="2025-02-09",
                         payoff_quote_id=quote["quote_id"])
    assert late.status_code == 409 and "valid until 2025-02-08" in late.json()["detail"]
    assert await api.servicing.data("PaymentReceived") == []


async def test_a_reversal_that_leaves_a_closed_loan_owing_reopens_it(api: Api) -> None:
    key = await api.key("acme")
    quote = (await api.get(key, "/v1/loans/loan-1/payoff")).json()
    await settle(api, quote["quote_id"], 90_774)
    await api.servicing.ledger(payment_reversed("loan-1", "p-payoff", "EUR", 90_774,
                                                date(2025, 2, 1), 90_000))
    loan = (await api.get(key, "/v1/loans/loan-1")).json()
    assert loan["status"] == "active"
    assert [i["status"] for i in loan["installments"]] == ["upcoming"] * 3
    [state] = await api.servicing.sql(
        "SELECT count(*) FROM installments WHERE loan_id = 'loan-1' AND state = 'open'")
    assert state[0] == 3
