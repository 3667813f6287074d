"""`loanctl infra up|down|status`: the local PostgreSQL and Kafka on their own."""

from __future__ import annotations

import typer

from lending_devstack import DevstackError, DevstackSettings, Infra

app = typer.Typer(help="Start, stop and inspect the local PostgreSQL and Kafka.",
                  no_args_is_help=True)


def _fail(exc: DevstackError) -> None:
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(1)


@app.command()
def up() -> None:
    """Start PostgreSQL and Kafka if they are not running; create databases and topics."""
    infra = Infra(DevstackSettings())
    try:
        infra.up()
    except DevstackError as exc:
        _fail(exc)
    for line in infra.status().lines():
        typer.echo(line)


@app.command()
def down() -> None:
    """Stop the local PostgreSQL and Kafka (an external server is left alone)."""
    Infra(DevstackSettings()).down()
    typer.echo("stopped")


@app.command()
def status() -> None:
    """Say what runs where."""
    for line in Infra(DevstackSettings()).status().lines():
        typer.echo(line)
