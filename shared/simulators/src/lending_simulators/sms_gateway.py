"""A local SMS gateway: "delivers" messages (in memory), once per idempotency key.

    python -m lending_simulators.sms_gateway --port 8102

* ``POST /v1/messages`` (header ``Idempotency-Key`` required) ``{channel, to, body}`` -> 201
  ``{message_id, status: "delivered", ...}``; the same key again -> 200 with the same message.
  A recipient starting with ``optout`` -> 422 ``recipient_opted_out``.
* ``POST /admin/fail-next {"count": N, "status": 503}`` scripts the next N requests to fail;
  ``GET /admin/messages`` lists messages and request counts; ``GET /healthz``.
"""

from __future__ import annotations

import argparse
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from lending_simulators.common import problem, simulator_app

DEFAULT_PORT = 8102


class MessageCreate(BaseModel):
    channel: str = Field(pattern=r"^(sms|email)$")
    to: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=1600)


class FailNext(BaseModel):
    count: int = Field(ge=0)
    status: int = Field(default=503, ge=400, le=599)


@dataclass
class SmsState:
    scripted: list[int] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)


def create_app() -> FastAPI:
    state = SmsState()
    app = simulator_app("SMS gateway simulator", state)

    @app.post("/v1/messages", response_model=None)
    async def send_message(
        body: MessageCreate, idempotency_key: str = Header(min_length=1, max_length=200),
    ) -> JSONResponse:
        state.requests[idempotency_key] = state.requests.get(idempotency_key, 0) + 1
        if state.scripted:
            return problem(state.scripted.pop(0), "gateway_unavailable", "scripted failure")
        existing = state.messages.get(idempotency_key)
        if existing is not None:
            return JSONResponse(existing, status_code=200)
        if body.to.startswith("optout"):
            return problem(422, "recipient_opted_out", f"{body.to} opted out of messages")
        message = {"message_id": f"sms_{uuid.uuid4().hex[:16]}", "status": "delivered",
                   "idempotency_key": idempotency_key, **body.model_dump()}
        state.messages[idempotency_key] = message
        return JSONResponse(message, status_code=201)

    @app.post("/admin/fail-next")
    async def fail_next(body: FailNext) -> dict[str, int]:
        state.scripted.extend([body.status] * body.count)
        return {"scripted": len(state.scripted)}

    @app.get("/admin/messages")
    async def messages() -> dict[str, Any]:
        return {"messages": list(state.messages.values()), "requests": state.requests}

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="Local SMS gateway simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
