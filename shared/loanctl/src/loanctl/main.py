"""loanctl: one operator CLI for every service. Each command group lives in its own module."""

from __future__ import annotations

import typer

from loanctl.commands import dlq, infra, loanmath_cmds, operators, partners

app = typer.Typer(help="Operate the lending platform.", no_args_is_help=True)
app.add_typer(infra.app, name="infra")
app.add_typer(dlq.app, name="dlq")
app.add_typer(partners.app, name="partners")
app.add_typer(operators.app, name="operators")
loanmath_cmds.register(app)

if __name__ == "__main__":
    app()
