"""The payout provider simulator: one payout per idempotency key, scripted and random
failures that pay nothing, refused accounts, runtime configuration."""

from __future__ import annotations

import httpx
import pytest

from lending_simulators import SIMULATORS
from lending_simulators.payout_provider import create_app, main

BODY = {"amount": "980.00", "currency": "EUR", "method": "bank_transfer",
        "account_ref": "tok_acct_42", "reference": "loan-1"}


def client(**kwargs) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(**kwargs)),
                             base_url="http://sim")


async def test_a_repeated_idempotency_key_returns_the_first_payout():
    async with client() as sim:
        first = await sim.post("/v1/payouts", json=BODY, headers={"Idempotency-Key": "loan-1"})
        again = await sim.post("/v1/payouts", json=BODY, headers={"Idempotency-Key": "loan-1"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["payout_id"] == again.json()["payout_id"]
        state = (await sim.get("/admin/payouts")).json()
        assert len(state["payouts"]) == 1 and state["requests"] == {"loan-1": 2}


async def test_scripted_failures_for_one_key_leave_other_keys_alone_and_pay_nothing():
    async with client() as sim:
        await sim.post("/admin/fail-next", json={"count": 2, "idempotency_key": "loan-9"})
        other = await sim.post("/v1/payouts", json=BODY, headers={"Idempotency-Key": "loan-8"})
        assert other.status_code == 201
        codes = [(await sim.post("/v1/payouts", json=BODY,
                                 headers={"Idempotency-Key": "loan-9"})).status_code
                 for _ in range(3)]
        assert codes == [503, 503, 201]
        payouts = (await sim.get("/admin/payouts")).json()["payouts"]
        assert sorted(p["idempotency_key"] for p in payouts) == ["loan-8", "loan-9"]


async def test_a_closed_account_is_refused_as_a_problem():
    async with client() as sim:
        refused = await sim.post("/v1/payouts", json={**BODY, "account_ref": "closed-1"},
                                 headers={"Idempotency-Key": "loan-2"})
        assert refused.status_code == 422
        assert refused.json()["code"] == "account_closed"


async def test_the_failure_rate_is_configurable_and_reproducible_with_a_seed():
    async with client(failure_rate=0.5, seed=7) as sim:
        codes = [(await sim.post("/v1/payouts", json=BODY,
                                 headers={"Idempotency-Key": f"k{n}"})).status_code
                 for n in range(40)]
        assert 5 < codes.count(503) < 35 and codes.count(201) == 40 - codes.count(503)
        config = await sim.post("/admin/config", json={"failure_rate": 0, "latency_ms": 1})
        assert config.json() == {"latency_ms": 1.0, "failure_rate": 0.0}
        assert (await sim.post("/v1/payouts", json=BODY,
                               headers={"Idempotency-Key": "k-last"})).status_code == 201
        assert (await sim.get("/healthz")).json() == {"status": "ok"}


def test_it_is_registered_for_make_run_and_refuses_a_bad_failure_rate():
    assert SIMULATORS["payout_provider"] == 8101
    with pytest.raises(SystemExit):
        main(["--failure-rate", "2"])


async def test_a_request_without_an_idempotency_key_is_rejected():
    async with client() as sim:
        assert (await sim.post("/v1/payouts", json=BODY)).status_code == 422
