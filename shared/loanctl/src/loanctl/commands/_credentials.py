"""Shared plumbing of `loanctl partners` and `loanctl operators`: they call intake's service
layer directly against intake's database (like `manage.py createsuperuser`), after applying
intake's migrations, so they work before the service has ever started."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import typer

T = TypeVar("T")


def run_against_intake(action: Callable[[Any], Awaitable[T]]) -> T:
    # Imported here: only these commands need the intake package and its settings.
    import lending_intake
    from lending_intake.config import Settings
    from lending_platform.database import create_engine, session_factory, upgrade_to_head

    settings = Settings()
    upgrade_to_head(Path(lending_intake.__file__).parent / "migrations", settings.database_url)

    async def main() -> T:
        engine = create_engine(settings.database_url, pool_size=1)
        try:
            return await action(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def emit(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
        return
    for key, value in payload.items():
        typer.echo(f"{key}: {value}")


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)
