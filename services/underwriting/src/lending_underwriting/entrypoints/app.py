from pathlib import Path

from fastapi import FastAPI
from lending_platform.app import build_app

from lending_underwriting.bootstrap import bootstrap
from lending_underwriting.config import Settings
from lending_underwriting.entrypoints.routes import router


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        settings or Settings(),
        bootstrap=bootstrap,
        migrations_dir=Path(__file__).parents[1] / "migrations",
        routers=[router],
        title="Underwriting service",
        description="Turns applications into explainable credit decisions and priced offers.",
    )
