"""The credit bureau simulator: deterministic reports per token, scripted profiles, and an
outage or a slow answer on demand."""

from __future__ import annotations

import httpx

from lending_simulators.credit_bureau import create_app, report_for


def client(app=None) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app or create_app()),
                             base_url="http://bureau")


async def test_the_same_token_always_gets_the_same_report_and_another_token_another():
    async with client() as c:
        first = (await c.get("/v1/reports/tok-a?currency=CNY")).json()
        again = (await c.get("/v1/reports/tok-a?currency=CNY")).json()
        other = (await c.get("/v1/reports/tok-b?currency=CNY")).json()
    assert first == again and first != other
    assert first["borrower_token"] == "tok-a" and first["report_id"].startswith("br-")
    assert {"age_years", "history_months", "open_accounts", "delinquencies_24m", "inquiries_6m",
            "total_debt", "monthly_debt_payments", "defaults"} <= set(first)


def test_amounts_have_the_currencys_minor_digits():
    assert report_for("tok-a", "CNY")["total_debt"].count(".") == 1
    assert "." not in report_for("tok-a", "JPY")["total_debt"]


def test_scripted_tokens_give_the_profiles_tests_need():
    assert report_for("sim-mismatch-1")["identity_match"] is False
    assert report_for("sim-thin-1")["history_months"] == 2
    assert report_for("sim-default-1")["months_since_default"] == 6
    assert report_for("sim-minor-1")["age_years"] == 17
    prime = report_for("sim-prime-1")
    assert prime["defaults"] == prime["delinquencies_24m"] == prime["inquiries_6m"] == 0


def test_every_prime_file_is_of_an_age_every_product_serves():
    # Tests approve "sim-prime-<uuid>" applicants; an age drawn past a product's maximum
    # (70) declined about one in a hundred of them.
    ages = {report_for(f"sim-prime-{i}")["age_years"] for i in range(5000)}
    assert min(ages) >= 40 and max(ages) <= 60


async def test_an_outage_and_scripted_failures_answer_503_until_lifted():
    app = create_app()
    async with client(app) as c:
        assert (await c.post("/admin/fail-next", json={"count": 1})).json() == {"scripted": 1}
        assert (await c.get("/v1/reports/tok-a")).status_code == 503
        assert (await c.get("/v1/reports/tok-a")).status_code == 200
        await c.post("/admin/config", json={"outage": True})
        assert (await c.get("/v1/reports/tok-a")).status_code == 503
        assert (await c.get("/v1/reports/sim-outage-x")).status_code == 503
        await c.post("/admin/config", json={"outage": False, "latency_ms": 1})
        assert (await c.get("/v1/reports/tok-a")).status_code == 200
        stats = (await c.get("/admin/stats")).json()
        assert stats["failures"] == 3 and stats["requests"] == 5
        assert (await c.get("/v1/reports/sim-outage-x")).status_code == 503
        assert (await c.get("/healthz")).json() == {"status": "ok"}
