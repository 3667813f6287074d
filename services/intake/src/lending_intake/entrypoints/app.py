from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from lending_intake.bootstrap import bootstrap
from lending_intake.config import Settings
from lending_intake.entrypoints.errors import install_intake_errors
from lending_intake.entrypoints.routes import router
from lending_platform.app import build_app

DESCRIPTION = """Partner channels send applications here and follow them to cash.

Authenticate with `Authorization: Bearer <api key>`; see docs/intake.md for idempotency,
errors (RFC 9457 problem details), statuses and signed webhooks."""


def create_app(settings: Settings | None = None, **ports: object) -> FastAPI:
    app = build_app(
        settings or Settings(),
        bootstrap=lambda s: bootstrap(s, **ports),  # type: ignore[arg-type]
        migrations_dir=Path(__file__).parents[1] / "migrations",
        routers=[router],
        title="Intake service",
        description=DESCRIPTION,
    )
    install_intake_errors(app)
    platform_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with platform_lifespan(app):
            try:
                yield
            finally:  # the submission writer's own pool, beside the runtime's engine
                await app.state.runtime.ports["intake"].submissions.close()

    app.router.lifespan_context = lifespan
    return app
