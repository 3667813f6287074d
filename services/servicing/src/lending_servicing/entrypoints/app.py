from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from lending_platform.app import build_app
from lending_servicing.bootstrap import bootstrap
from lending_servicing.config import Settings
from lending_servicing.entrypoints.errors import install_servicing_errors
from lending_servicing.entrypoints.routes import router


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
    return app
