"""A local credit bureau: a deterministic report per borrower token.

    python -m lending_simulators.credit_bureau --port 8100 [--latency-ms 5] [--outage]

Environment: BUREAU_SIM_LATENCY_MS, BUREAU_SIM_OUTAGE (1/true).

* ``GET /v1/reports/{token}?currency=CNY`` -> 200 report: ``report_id, age_years,
  identity_match, history_months, open_accounts, delinquencies_24m, inquiries_6m,
  total_debt, monthly_debt_payments, defaults, months_since_default``. The same token always
  gets the same report (drawn from a generator seeded by the token's SHA-256).
* Scripted tokens, for tests and demos: a token starting with ``sim-prime`` gets a spotless
  file (aged 40-60, inside every product's range), ``sim-subprime`` a poor one, ``sim-thin``
  two months of history, ``sim-mismatch`` an identity mismatch, ``sim-default`` a default six
  months ago, ``sim-minor`` age 17, ``sim-outage`` always 503, ``sim-slow`` an answer after
  5 seconds.
* ``POST /admin/config {"latency_ms", "outage"}`` (outage: every report answers 503);
  ``POST /admin/fail-next {"count", "status"}``; ``GET /admin/stats``; ``GET /healthz``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import math
import os
import random
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Query
from pydantic import BaseModel, Field

from lending_simulators.common import problem, simulator_app
from loanmath.currencies import minor_units

DEFAULT_PORT = 8100


class FailNext(BaseModel):
    count: int = Field(ge=0)
    status: int = Field(default=503, ge=400, le=599)


class SimConfig(BaseModel):
    latency_ms: float | None = Field(default=None, ge=0)
    outage: bool | None = None


@dataclass
class BureauState:
    latency_ms: float = 0.0
    outage: bool = False
    scripted: list[int] = field(default_factory=list)
    requests: int = 0
    failures: int = 0


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _amount(value: float, currency: str) -> str:
    digits = minor_units(currency)
    digits = 2 if digits is None else digits
    return f"{max(0.0, value):.{digits}f}"


def report_for(token: str, currency: str = "CNY") -> dict[str, Any]:
    """The deterministic report of ``token``: a hidden creditworthiness drawn from the
    token's hash shapes every figure, as in the synthetic training portfolio."""
    digest = hashlib.sha256(token.encode()).digest()
    rng = random.Random(digest)
    z = rng.gauss(0, 1)
    if token.startswith("sim-prime"):
        z = 2.5
    elif token.startswith("sim-subprime"):
        z = -2.5
    age = int(min(80, max(18, rng.gauss(38 + 3 * z, 11))))
    history = max(0, int((age - 18) * 12 * rng.uniform(0.1, 0.9) * (1 + 0.15 * z)))
    defaults = _poisson(rng, math.exp(-3.0 - 1.0 * z))
    monthly_debt = max(0.0, rng.gauss(900 - 250 * z, 400))
    report: dict[str, Any] = {
        "report_id": "br-" + digest.hex()[:20],
        "age_years": age,
        "identity_match": True,
        "history_months": history,
        "open_accounts": _poisson(rng, 2.5 + 0.8 * abs(rng.gauss(0, 1)) - 0.3 * z),
        "delinquencies_24m": _poisson(rng, math.exp(-1.3 - 0.9 * z)),
        "inquiries_6m": _poisson(rng, math.exp(0.4 - 0.45 * z)),
        "total_debt": _amount(monthly_debt * rng.uniform(12, 30), currency),
        "monthly_debt_payments": _amount(monthly_debt, currency),
        "defaults": defaults,
        "months_since_default": rng.randint(1, 72) if defaults else None,
    }
    if token.startswith("sim-prime"):
        report.update(delinquencies_24m=0, inquiries_6m=0, defaults=0, months_since_default=None,
                      history_months=max(report["history_months"], 180),
                      age_years=min(max(age, 40), 60),
                      monthly_debt_payments=_amount(200, currency))
    elif token.startswith("sim-thin"):
        report.update(history_months=2, open_accounts=1, defaults=0, months_since_default=None)
    elif token.startswith("sim-mismatch"):
        report["identity_match"] = False
    elif token.startswith("sim-default"):
        report.update(defaults=1, months_since_default=6)
    elif token.startswith("sim-minor"):
        report.update(age_years=17, history_months=0)
    return report


def create_app(latency_ms: float = 0.0, outage: bool = False) -> FastAPI:
    state = BureauState(latency_ms, outage)
    app = simulator_app("Credit bureau simulator", state)

    @app.get("/v1/reports/{token}", response_model=None)
    async def report(token: str,
                     currency: str = Query(default="CNY", pattern=r"^[A-Z]{3}$")) -> Any:
        state.requests += 1
        if state.latency_ms:
            await asyncio.sleep(state.latency_ms / 1000)
        if token.startswith("sim-slow"):
            await asyncio.sleep(5)
        if state.scripted:
            state.failures += 1
            return problem(state.scripted.pop(0), "bureau-unavailable", "scripted failure")
        if state.outage or token.startswith("sim-outage"):
            state.failures += 1
            return problem(503, "bureau-unavailable", "the bureau is down")
        return {**report_for(token, currency), "borrower_token": token, "currency": currency}

    @app.post("/admin/config")
    async def configure(body: SimConfig) -> dict[str, Any]:
        if body.latency_ms is not None:
            state.latency_ms = body.latency_ms
        if body.outage is not None:
            state.outage = body.outage
        return {"latency_ms": state.latency_ms, "outage": state.outage}

    @app.post("/admin/fail-next")
    async def fail_next(body: FailNext) -> dict[str, int]:
        state.scripted.extend([body.status] * body.count)
        return {"scripted": len(state.scripted)}

    @app.get("/admin/stats")
    async def stats() -> dict[str, Any]:
        return {"requests": state.requests, "failures": state.failures,
                "outage": state.outage, "latency_ms": state.latency_ms}

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Local credit bureau simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--latency-ms", type=float,
                        default=float(os.environ.get("BUREAU_SIM_LATENCY_MS", "0")))
    parser.add_argument("--outage", action="store_true",
                        default=os.environ.get("BUREAU_SIM_OUTAGE", "").lower()
                        in ("1", "true", "yes"))
    args = parser.parse_args(argv)
    uvicorn.run(create_app(args.latency_ms, args.outage), host=args.host, port=args.port,
                log_level="warning")


if __name__ == "__main__":
    main()
