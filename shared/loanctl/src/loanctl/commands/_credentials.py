"""Shared plumbing of `loanctl partners`, `operators` and `applications`: they call intake's
service layer directly against intake's database (like `manage.py createsuperuser`), after
applying intake's migrations, so they work before the service has ever started. They read
intake's settings (INTAKE_*: its signing and encryption keys, and the environment)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

T = TypeVar("T")


def intake_settings() -> Any:
    # Imported here: only these commands need the intake package and its settings.
    from pydantic import ValidationError

    from lending_intake.config import Settings

    try:
        return Settings()
    except ValidationError as exc:  # a development key outside development, say
        fail("; ".join(str(e["msg"]) for e in exc.errors()))


def run_against_intake(action: Callable[[Any], Awaitable[T]]) -> T:
    """``action(issuer)``: an ``Issuer`` (its ``sessions`` on intake's database)."""
    import lending_intake
    from lending_intake.bootstrap import build_issuer
    from lending_platform.database import create_engine, session_factory, upgrade_to_head

    settings = intake_settings()
    upgrade_to_head(Path(lending_intake.__file__).parent / "migrations", settings.database_url)

    async def main() -> T:
        engine = create_engine(settings.database_url, pool_size=1)
        try:
            return await action(build_issuer(settings, session_factory(engine)))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def emit(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
        return
    for key, value in payload.items():
        typer.echo(f"{key}: {value}")


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)
