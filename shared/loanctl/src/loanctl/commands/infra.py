"""`loanctl infra up|down|status`: the local PostgreSQL and Kafka on their own."""

from __future__ import annotations

from typing import Any

import typer

from loanctl.commands._local import devstack

app = typer.Typer(help="Start, stop and inspect the local PostgreSQL and Kafka.",
                  no_args_is_help=True)


def _infra() -> Any:
    local = devstack()
    return local.Infra(local.DevstackSettings())


def _fail(exc: Exception) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


@app.command()
def up() -> None:
    """Start PostgreSQL and Kafka if they are not running; create databases and topics."""
    infra = _infra()
    try:
        infra.up()
    except devstack().DevstackError as exc:
        _fail(exc)
    for line in infra.status().lines():
        typer.echo(line)


@app.command()
def down() -> None:
    """Stop the local PostgreSQL and Kafka (an external server is left alone)."""
    _infra().down()
    typer.echo("stopped")


@app.command()
def status() -> None:
    """Say what runs where."""
    for line in _infra().status().lines():
        typer.echo(line)
