"""A local payout provider: pays borrowers (in memory), once per idempotency key.

    python -m lending_simulators.payout_provider --port 8101 [--latency-ms 20] [--failure-rate 0.1]

Environment: PAYOUT_SIM_LATENCY_MS, PAYOUT_SIM_FAILURE_RATE, PAYOUT_SIM_SEED.

* ``POST /v1/payouts`` (header ``Idempotency-Key`` required) -> 201 ``{payout_id, status,
  amount, currency, account_ref}``; the same key again -> 200 with the same payout. An
  ``account_ref`` starting with ``closed`` or ``invalid`` -> 422 ``account_closed`` /
  ``account_invalid``. Failures (random or scripted) answer 503 and pay nothing.
* ``POST /admin/fail-next {"count": N, "status": 503, "idempotency_key": K}`` scripts the
  next N requests (with key K, or any) to fail;
  ``POST /admin/config {"latency_ms", "failure_rate"}``; ``GET /admin/payouts?after=N`` lists
  payouts (from the N-th) and their request counts; ``GET /healthz``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from lending_simulators.common import problem, simulator_app

DEFAULT_PORT = 8101


class PayoutCreate(BaseModel):
    amount: str = Field(pattern=r"^\d+(\.\d+)?$")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    method: str
    account_ref: str = Field(min_length=1)
    reference: str = ""


class FailNext(BaseModel):
    count: int = Field(ge=0)
    status: int = Field(default=503, ge=400, le=599)
    idempotency_key: str | None = Field(
        default=None, description="Only requests with this key fail; default: any request")


class SimConfig(BaseModel):
    latency_ms: float | None = Field(default=None, ge=0)
    failure_rate: float | None = Field(default=None, ge=0, le=1)


@dataclass
class PayoutState:
    latency_ms: float = 0.0
    failure_rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)
    scripted: dict[str | None, list[int]] = field(default_factory=dict)
    payouts: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    failures: int = 0


def create_app(latency_ms: float = 0.0, failure_rate: float = 0.0,
               seed: int | None = None) -> FastAPI:
    state = PayoutState(latency_ms, failure_rate, random.Random(seed))
    app = simulator_app("Payout provider simulator", state)

    @app.post("/v1/payouts", response_model=None)
    async def create_payout(
        body: PayoutCreate, idempotency_key: str = Header(min_length=1, max_length=200),
    ) -> JSONResponse:
        state.requests[idempotency_key] = state.requests.get(idempotency_key, 0) + 1
        if state.latency_ms:
            await asyncio.sleep(state.latency_ms / 1000)
        for key in (idempotency_key, None):
            if state.scripted.get(key):
                state.failures += 1
                status = state.scripted[key].pop(0)
                return problem(status, "provider_unavailable", "scripted failure")
        if state.failure_rate and state.rng.random() < state.failure_rate:
            state.failures += 1
            return problem(503, "provider_unavailable", "random failure")
        existing = state.payouts.get(idempotency_key)
        if existing is not None:
            return JSONResponse(existing, status_code=200)
        if body.account_ref.startswith("closed"):
            return problem(422, "account_closed", f"account {body.account_ref} is closed")
        if body.account_ref.startswith("invalid"):
            return problem(422, "account_invalid", f"account {body.account_ref} does not exist")
        payout = {"payout_id": f"po_{uuid.uuid4().hex[:16]}", "status": "paid",
                  "idempotency_key": idempotency_key, **body.model_dump()}
        state.payouts[idempotency_key] = payout
        return JSONResponse(payout, status_code=201)

    @app.post("/admin/fail-next")
    async def fail_next(body: FailNext) -> dict[str, int]:
        state.scripted.setdefault(body.idempotency_key, []).extend([body.status] * body.count)
        return {"scripted": sum(len(v) for v in state.scripted.values())}

    @app.post("/admin/config")
    async def configure(body: SimConfig) -> dict[str, float]:
        if body.latency_ms is not None:
            state.latency_ms = body.latency_ms
        if body.failure_rate is not None:
            state.failure_rate = body.failure_rate
        return {"latency_ms": state.latency_ms, "failure_rate": state.failure_rate}

    @app.get("/admin/payouts")
    async def payouts(after: int = Query(default=0, ge=0)) -> dict[str, Any]:
        """Payouts in the order they were made, from the ``after``-th on (a reader that
        keeps the count it has seen reads only what is new)."""
        made = list(state.payouts.values())
        keys = {p["idempotency_key"] for p in made[after:]}
        return {"payouts": made[after:], "total": len(made),
                "requests": {k: n for k, n in state.requests.items() if k in keys},
                "failures": state.failures}

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Local payout provider simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--latency-ms", type=float,
                        default=float(os.environ.get("PAYOUT_SIM_LATENCY_MS", "0")))
    parser.add_argument("--failure-rate", type=float,
                        default=float(os.environ.get("PAYOUT_SIM_FAILURE_RATE", "0")))
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    if not 0 <= args.failure_rate <= 1:
        parser.error("--failure-rate must be between 0 and 1")
    seed = args.seed if args.seed is not None else (
        int(os.environ["PAYOUT_SIM_SEED"]) if "PAYOUT_SIM_SEED" in os.environ else None)
    uvicorn.run(create_app(args.latency_ms, args.failure_rate, seed), host=args.host,
                port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
