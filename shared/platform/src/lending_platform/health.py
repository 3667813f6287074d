"""Liveness and readiness: /healthz says the process runs, /readyz that its dependencies answer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaClient
from fastapi import APIRouter, Response
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

Check = Callable[[], Awaitable[None]]


def database_check(engine: AsyncEngine) -> Check:
    async def check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return check


class KafkaProbe:
    """A metadata-only Kafka client kept open for readiness checks."""

    def __init__(self, bootstrap: str, **client_options: Any) -> None:
        self.client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=3000,
                                     **client_options)
        self._started = False

    async def start(self) -> None:
        try:
            await self.client.bootstrap()
            self._started = True
        except Exception:
            self._started = False

    async def stop(self) -> None:
        await self.client.close()

    async def check(self) -> None:
        if not self._started:
            await self.client.bootstrap()
            self._started = True
        await self.client.fetch_all_metadata()


def health_router(checks: Callable[[], dict[str, Check]], timeout: float = 3.0) -> APIRouter:
    """``checks`` is called per request: the runtime that owns them appears only at start-up."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(response: Response) -> dict[str, object]:
        results: dict[str, str] = {}
        for name, check in checks().items():
            try:
                await asyncio.wait_for(check(), timeout)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"unavailable: {type(exc).__name__}"
        ready = all(v == "ok" for v in results.values())
        response.status_code = 200 if ready else 503
        return {"status": "ready" if ready else "not ready", "checks": results}

    return router
