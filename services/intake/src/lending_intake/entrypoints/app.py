from pathlib import Path

from fastapi import FastAPI
from lending_platform.app import build_app

from lending_intake.bootstrap import bootstrap
from lending_intake.config import Settings
from lending_intake.entrypoints.routes import router


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        settings or Settings(),
        bootstrap=bootstrap,
        migrations_dir=Path(__file__).parents[1] / "migrations",
        routers=[router],
        title="Intake service",
        description="Partner channels send applications here and follow them to cash.",
    )
