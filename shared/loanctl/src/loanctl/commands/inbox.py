"""`loanctl inbox prune SERVICE`: deletes a service's inbox rows that no redelivery can need.

The database is the service's (``<SERVICE>_DATABASE_URL``, else the local devstack's), or
``--database-url``. Safe to run while the service runs, e.g. daily from a CronJob.
"""

from __future__ import annotations

import asyncio
import importlib
from datetime import timedelta
from typing import Annotated

import typer

from lending_messaging.retention import INBOX_RETENTION, LONGEST_REDELIVERY, prune_inbox

SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")

app = typer.Typer(help="Keep the services' inboxes bounded.", no_args_is_help=True)


def _url(service: str, database_url: str | None) -> str:
    if database_url:
        return database_url
    config = importlib.import_module(f"lending_{service}.config")
    return str(config.Settings().database_url)


async def _prune(database_url: str, days: int) -> int:
    from lending_platform.database import create_engine

    engine = create_engine(database_url, pool_size=1)
    try:
        return await prune_inbox(engine, timedelta(days=days))
    finally:
        await engine.dispose()


@app.command("prune")
def prune_command(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}")],
    older_than_days: Annotated[int, typer.Option(
        help=f"Keep rows handled in these last days (at least {LONGEST_REDELIVERY.days})",
    )] = INBOX_RETENTION.days,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", help="postgresql+asyncpg://… of the service")] = None,
) -> None:
    """Deletes inbox rows older than the retention, in short batches."""
    if service not in SERVICES:
        typer.echo(f"error: service: {service!r} is not one of {', '.join(SERVICES)}", err=True)
        raise typer.Exit(2)
    if older_than_days < LONGEST_REDELIVERY.days:
        typer.echo(f"error: --older-than-days: {older_than_days} is below "
                   f"{LONGEST_REDELIVERY.days}, the dead-letter topics' retention: a replayed "
                   "event could take effect twice", err=True)
        raise typer.Exit(2)
    pruned = asyncio.run(_prune(_url(service, database_url), older_than_days))
    typer.echo(f"{service}: {pruned} inbox rows older than {older_than_days} days deleted")
