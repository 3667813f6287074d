"""`loanctl ledger rebuild|verify`: the ledger's projections against its event store.

The database is the ledger's (``LEDGER_DATABASE_URL``, else the local devstack's ``ledger``
database), or ``--database-url``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

app = typer.Typer(help="Rebuild and verify the ledger's projections.", no_args_is_help=True)
DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="postgresql+asyncpg://… of the ledger")
]


def _url(database_url: str | None) -> str:
    if database_url:
        return database_url
    from lending_ledger.config import Settings

    return Settings().database_url


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), transient=False)


async def _run(database_url: str, action: str, quiet: bool) -> tuple[int, list[str], int]:
    from lending_ledger.service_layer.maintenance import count_events, rebuild, verify
    from lending_platform.database import create_engine

    engine = create_engine(database_url, pool_size=2)
    try:
        total = await count_events(engine)
        with _progress() as bar:
            task = bar.add_task(f"{action} {total} events", total=total, visible=not quiet)

            def advance(n: int) -> None:
                bar.advance(task, n)

            if action == "rebuild":
                loans = await rebuild(engine, progress=advance)
                return loans, [], total
            report = await verify(engine, progress=advance)
            return report.loans, report.differences, total
    finally:
        await engine.dispose()


@app.command("rebuild")
def rebuild_command(
    database_url: DatabaseUrl = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar")] = False,
) -> None:
    """Drops every projection (read model, snapshots) and rebuilds it from the event store."""
    loans, _, total = asyncio.run(_run(_url(database_url), "rebuild", quiet))
    typer.echo(f"rebuilt {loans} loan accounts from {total} events")


@app.command("verify")
def verify_command(
    database_url: DatabaseUrl = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar")] = False,
) -> None:
    """Replays every stream and compares it with the projections and the journal; exits 1
    naming the first difference."""
    loans, differences, total = asyncio.run(_run(_url(database_url), "verify", quiet))
    if differences:
        typer.echo(f"error: {differences[0]}", err=True)
        for more in differences[1:]:
            typer.echo(f"  also: {more}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {loans} loan accounts, {total} events; every entry balances and the "
               "trial balance nets to zero")
