"""`loanctl dlq list|replay`: the dead letters of a topic, and sending them back to it."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Annotated

import typer

from lending_messaging.dlq import (
    UnknownDeadLetterError,
    list_dead_letters,
    replay_dead_letters,
)

app = typer.Typer(help="List and replay dead-lettered events.", no_args_is_help=True)


def bootstrap_servers() -> str:
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return servers
    from loanctl.commands._local import devstack

    return str(devstack().DevstackSettings().kafka_bootstrap)


@app.command("list")
def list_command(
    topic: Annotated[str, typer.Argument(help="The topic (or its .dlq twin)")],
    limit: Annotated[int, typer.Option(help="At most this many")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array")] = False,
) -> None:
    """Lists dead letters: where they are, which event, why it failed."""
    try:
        letters = asyncio.run(list_dead_letters(bootstrap_servers(), topic, limit))
    except UnknownDeadLetterError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps([d.summary() for d in letters], indent=2))
        return
    if not letters:
        typer.echo("no dead letters")
        return
    typer.echo(f"{'REF':<10} {'KEY':<38} {'TYPE':<24} {'ATT':>3}  ERROR")
    for d in letters:
        error = f"{d.error_type}: {d.error_message}"[:80]
        typer.echo(
            f"{d.ref:<10} {d.key or '-':<38} {d.event_type or '-':<24} {d.attempts or 0:>3}  "
            f"{error}"
        )


@app.command("replay")
def replay_command(
    topic: Annotated[str, typer.Argument(help="The topic (or its .dlq twin)")],
    offset: Annotated[
        list[str] | None,
        typer.Option("--offset", help="PARTITION:OFFSET (or OFFSET if unambiguous); repeatable"),
    ] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Every dead letter")] = False,
) -> None:
    """Re-publishes dead letters to their original topic. Safe to repeat: consumers skip
    events they already handled (inbox)."""
    if replay_all == bool(offset):
        typer.echo("error: give --offset (one or more) or --all", err=True)
        raise typer.Exit(2)
    try:
        replayed = asyncio.run(
            replay_dead_letters(bootstrap_servers(), topic, None if replay_all else offset)
        )
    except UnknownDeadLetterError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    for d in replayed:
        typer.echo(f"replayed {d.ref} ({d.event_type or '?'}, key {d.key}) to {d.original_topic}")
    typer.echo(f"{len(replayed)} replayed")
