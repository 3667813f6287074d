"""What every simulator shares: an app with ``/healthz`` and RFC 9457 problem answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse


def simulator_app(title: str, state: Any = None) -> FastAPI:
    """A FastAPI app with the health check ``make run`` waits for; ``state`` (the
    simulator's recorded requests and settings) is ``app.state.sim`` for tests."""
    app = FastAPI(title=title)
    app.state.sim = state

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def problem(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": f"https://docs.lending.local/problems/{code}", "code": code,
                         "status": status, "detail": detail}, status_code=status,
                        media_type="application/problem+json")
