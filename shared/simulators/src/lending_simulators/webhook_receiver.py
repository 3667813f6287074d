"""A partner's webhook endpoint, for the dev stack and tests.

    python -m lending_simulators.webhook_receiver --port 8104

- ``POST /webhooks/{partner}``: records the delivery; verifies ``Lending-Signature`` when a
  secret is registered for ``{partner}``; answers 204, or 500 while failures are scheduled.
- ``PUT /control/secrets/{partner}`` ``{"secret": "whsec_..."}``: register a signing secret.
- ``POST /control/fail-next`` ``{"count": N}``: the next N deliveries answer 500.
- ``GET /received[?partner=]``: what arrived, with the verification result.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import time
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, Field

from lending_simulators.common import simulator_app

SIGNATURE_HEADER = "Lending-Signature"


def verify_signature(secret: str, header: str, body: bytes, now: int,
                     tolerance: int = 300) -> bool:
    """The documented recipe (docs/intake.md): HMAC-SHA256 over "<t>.<raw body>"."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class SecretIn(BaseModel):
    secret: str = Field(min_length=8, max_length=200)


class FailIn(BaseModel):
    count: int = Field(ge=0, le=1000)


def create_app() -> FastAPI:
    app = simulator_app("Partner webhook receiver (simulator)")
    secrets: dict[str, str] = {}
    received: list[dict[str, Any]] = []
    failures = {"remaining": 0}

    @app.put("/control/secrets/{partner}", status_code=204)
    async def set_secret(partner: str, body: SecretIn) -> Response:
        secrets[partner] = body.secret
        return Response(status_code=204)

    @app.post("/control/fail-next", status_code=204)
    async def fail_next(body: FailIn) -> Response:
        failures["remaining"] = body.count
        return Response(status_code=204)

    @app.post("/webhooks/{partner}")
    async def receive(partner: str, request: Request) -> Response:
        body = await request.body()
        header = request.headers.get(SIGNATURE_HEADER, "")
        secret = secrets.get(partner)
        failing = failures["remaining"] > 0
        if failing:
            failures["remaining"] -= 1
        try:
            payload: Any = json.loads(body)
        except ValueError:
            payload = None
        received.append({
            "partner": partner, "delivery_id": request.headers.get("Lending-Delivery-Id"),
            "signature": header,
            "verified": verify_signature(secret, header, body, int(time.time()))
            if secret else None,
            "answered": 500 if failing else 204, "payload": payload,
        })
        return Response(status_code=500 if failing else 204)

    @app.get("/received")
    async def list_received(partner: str | None = None) -> list[dict[str, Any]]:
        return [r for r in received if partner is None or r["partner"] == partner]

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8104)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
