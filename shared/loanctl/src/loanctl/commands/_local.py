"""The local stack (``lending_devstack``, the embedded PostgreSQL and the Kafka jars) is the
``local`` extra of loanctl: an operator's install goes without it, and a command that needs
it says so instead of failing on an import."""

from __future__ import annotations

from types import ModuleType

import typer

HINT = "this command drives the local stack: install loanctl[local] (`make venv` does)"


def devstack() -> ModuleType:
    try:
        import lending_devstack
    except ImportError as exc:
        typer.echo(f"error: {HINT} ({exc})", err=True)
        raise typer.Exit(2) from exc
    return lending_devstack
