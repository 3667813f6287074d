from pathlib import Path

from fastapi import FastAPI
from lending_platform.app import build_app

from lending_ledger.bootstrap import bootstrap
from lending_ledger.config import Settings
from lending_ledger.entrypoints.routes import router


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        settings or Settings(),
        bootstrap=bootstrap,
        migrations_dir=Path(__file__).parents[1] / "migrations",
        routers=[router],
        title="Ledger service",
        description="Event-sourced loan accounts and the double-entry journal; the source of truth for money.",
    )
