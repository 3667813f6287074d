"""loanctl: one operator CLI for every service. Each command group lives in its own module."""

from __future__ import annotations

import typer

from loanctl.commands import (
    applications,
    cob,
    dlq,
    inbox,
    infra,
    keys,
    ledger,
    loanmath_cmds,
    operators,
    partners,
    report,
    scorecard,
)
from loanctl.local import default_to_development
from loanctl.simulate.cli import simulate

app = typer.Typer(help="Operate the lending platform.", no_args_is_help=True)


@app.callback()
def _local_stack() -> None:
    """Operate the lending platform."""
    default_to_development()


app.add_typer(infra.app, name="infra")
app.add_typer(dlq.app, name="dlq")
app.add_typer(inbox.app, name="inbox")
app.add_typer(scorecard.app, name="scorecard")
app.add_typer(ledger.app, name="ledger")
app.add_typer(partners.app, name="partners")
app.add_typer(operators.app, name="operators")
app.add_typer(applications.app, name="applications")
app.add_typer(keys.app, name="keys")
app.add_typer(cob.app, name="cob")
app.add_typer(report.app, name="report")
loanmath_cmds.register(app)
app.command("simulate")(simulate)

if __name__ == "__main__":
    app()
