from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from prometheus_client import Gauge

from lending_platform.app import build_app
from lending_servicing.bootstrap import bootstrap
from lending_servicing.config import Settings
from lending_servicing.entrypoints.errors import install_servicing_errors
from lending_servicing.entrypoints.routes import router
from lending_servicing.service_layer.day_close import last_close_completed


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
    """For the LendingDayCloseOverdue alert (deploy/k8s/base/monitoring/alerts.yaml)."""
    gauge = Gauge("lending_day_close_last_completed_timestamp_seconds",
                  "When the last business day closed (Unix time)",
                  registry=app.state.metrics_registry)

    async def refresh(app: FastAPI) -> None:
        runtime = getattr(app.state, "runtime", None)
        if runtime is not None:
            completed = await last_close_completed(runtime.ports["servicing"])
            if completed is not None:
                gauge.set(completed.timestamp())

    app.state.metric_refreshers.append(refresh)
