"""The one app factory all five services use: no I/O until the lifespan starts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry

from lending_platform.access_log import AccessLogMiddleware
from lending_platform.body_limit import BodyLimitMiddleware
from lending_platform.credential_metrics import install_credential_metrics
from lending_platform.database import upgrade_to_head_async
from lending_platform.health import Check, health_router
from lending_platform.heap import settled_heap
from lending_platform.logs import configure_logging
from lending_platform.metrics import ServiceMetrics
from lending_platform.observability import install_observability
from lending_platform.ops import ops_router
from lending_platform.problem_openapi import install_problem_openapi
from lending_platform.problem_pages import problem_pages_router
from lending_platform.problems import install_problem_handlers
from lending_platform.runtime import Runtime
from lending_platform.settings import ServiceSettings
from lending_platform.tracing import (
    flush_tracing,
    instrument_app,
    start_tracing,
    tracing_on,
    tracing_requested,
)


def build_app(
    settings: ServiceSettings,
    *,
    bootstrap: Callable[[ServiceSettings], Runtime],
    migrations_dir: Path,
    routers: Sequence[APIRouter] = (),
    title: str,
    description: str = "",
) -> FastAPI:
    holder: dict[str, Runtime] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level, settings.log_json)
        if tracing_requested():
            start_tracing(settings.service_name)
        if settings.run_migrations_on_start:
            await upgrade_to_head_async(migrations_dir, settings.database_url)
        runtime = bootstrap(settings)
        holder["runtime"] = runtime
        service_metrics.watch(runtime)
        app.state.runtime = runtime
        await runtime.start()
        try:
            with settled_heap():  # startup is over: see heap.py
                yield
        finally:
            await runtime.stop()
            flush_tracing()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    install_problem_handlers(app)
    install_problem_openapi(app)
    # Outermost last: the access log sees every answer, the 413 of the body limit included.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    install_observability(app, CollectorRegistry())
    app.add_middleware(AccessLogMiddleware)
    install_credential_metrics(app)
    service_metrics = ServiceMetrics(app.state.metrics_registry)
    app.state.metric_refreshers.append(service_metrics.refresh)

    async def _starting() -> None:
        raise RuntimeError("the service is still starting")

    def checks() -> dict[str, Check]:
        runtime = holder.get("runtime")
        return runtime.readiness_checks() if runtime else {"startup": _starting}

    app.include_router(health_router(checks))
    app.include_router(problem_pages_router())
    v1 = APIRouter(prefix="/v1")
    v1.include_router(ops_router())
    for router in routers:
        v1.include_router(router)
    app.include_router(v1)
    if tracing_on():  # before the first ASGI call (the lifespan's) builds the middleware
        instrument_app(app)
    return app

