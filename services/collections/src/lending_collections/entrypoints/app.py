from pathlib import Path

from fastapi import FastAPI

from lending_collections.bootstrap import bootstrap
from lending_collections.config import Settings
from lending_collections.entrypoints.recovery_routes import router as recovery_router
from lending_collections.entrypoints.report_routes import router as report_router
from lending_collections.entrypoints.routes import router
from lending_platform.app import build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        settings or Settings(),
        bootstrap=bootstrap,
        migrations_dir=Path(__file__).parents[1] / "migrations",
        routers=[router, recovery_router, report_router],
        title="Collections service",
        description=(
            "Early warning, collection cases and strategies, promises to pay, recovery plans "
            "with approvals, classification, the portfolio report."
        ),
    )
