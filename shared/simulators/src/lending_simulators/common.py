"""What every simulator shares: an app with ``/healthz`` and RFC 9457 problem answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from lending_platform.problem_catalogue import PROBLEM_JSON, problem_type
from lending_platform.problem_pages import problem_pages_router


def simulator_app(title: str, state: Any = None) -> FastAPI:
    """A FastAPI app with the health check ``make run`` waits for and the pages its problem
    types resolve to (``/problems/<code>``); ``state`` (the
    simulator's recorded requests and settings) is ``app.state.sim`` for tests."""
    app = FastAPI(title=title)
    app.state.sim = state

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(problem_pages_router())
    return app


def problem(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse({"type": problem_type(code), "code": code, "status": status,
                         "detail": detail}, status_code=status, media_type=PROBLEM_JSON)
