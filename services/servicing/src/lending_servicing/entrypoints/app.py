from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from prometheus_client import Gauge

from lending_platform.app import build_app
from lending_servicing.bootstrap import bootstrap
from lending_servicing.config import Settings
from lending_servicing.entrypoints.errors import install_servicing_errors
from lending_servicing.entrypoints.routes import router
from lending_servicing.service_layer.day_close import last_close_completed, last_close_seconds


def create_app(settings: Settings | None = None) -> FastAPI:
    app = build_app(
        settings or Settings(),
        bootstrap=bootstrap,
        migrations_dir=Path(__file__).parents[1] / "migrations",
        routers=[router],
        title="Servicing service",
        description=(
            "Business calendar and day close, repayments, payoff quotes, "
            "statements, due and overdue."
        ),
    )
    install_servicing_errors(app)
    _install_day_close_gauge(app)
    return app


def _install_day_close_gauge(app: FastAPI) -> None:
    """For the LendingDayCloseOverdue alert and the dashboards (deploy/k8s/base/monitoring):
    read from the database, so a close run by `loanctl cob run` counts too."""
    registry = app.state.metrics_registry
    completed_at = Gauge("lending_day_close_last_completed_timestamp_seconds",
                         "When the last business day closed (Unix time)",
                         registry=registry, multiprocess_mode="mostrecent")
    took = Gauge("lending_day_close_last_duration_seconds",
                 "How long the last business day's close took", registry=registry,
                 multiprocess_mode="mostrecent")

    async def refresh(app: FastAPI) -> None:
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None:
            ctx = runtime.ports["servicing"]
            completed = await last_close_completed(ctx)
            if completed is not None:
                completed_at.set(completed.timestamp())
            seconds = await last_close_seconds(ctx)
            if seconds is not None:
                took.set(seconds)

    app.state.metric_refreshers.append(refresh)
