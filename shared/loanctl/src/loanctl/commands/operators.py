"""`loanctl operators create|rotate|revoke`: staff API keys for the ops endpoints, by role.

Operator keys expire (INTAKE_OPERATOR_KEY_TTL_DAYS, 90 by default): `rotate` renews, issuing
a new key that expires that long from now and revoking the old one."""

from __future__ import annotations

from typing import Annotated

import typer

from lending_platform.credentials import OPERATOR
from loanctl.commands._credentials import emit, fail, run_against_intake

app = typer.Typer(help="Create operators and manage their API keys.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


@app.command()
def create(
    name: str,
    role: Annotated[str, typer.Option(help="underwriter, servicer, collector or admin")],
    as_json: JsonFlag = False,
) -> None:
    """Create an operator; prints its API key once (only its hash is kept) and its expiry."""
    from lending_intake.service_layer import credentials

    try:
        issued = run_against_intake(lambda s: credentials.create_operator(s, name, role=role))
    except credentials.PrincipalExistsError:
        fail(f"an operator named {name!r} exists; `loanctl operators rotate {name!r}`")
    except ValueError as exc:
        fail(str(exc))
    emit({"operator_id": issued.principal_id, "api_key": issued.api_key,
          "expires_at": issued.expires_at}, as_json)


@app.command()
def rotate(operator: str, as_json: JsonFlag = False) -> None:
    """Renew: a new API key (by operator id or name) with a fresh expiry; the previous keys
    stop working."""
    from lending_intake.service_layer import credentials

    try:
        issued = run_against_intake(lambda s: credentials.rotate(s, operator, kind=OPERATOR))
    except credentials.PrincipalNotFoundError:
        fail(f"no operator {operator!r}")
    emit({"operator_id": issued.principal_id, "api_key": issued.api_key,
          "expires_at": issued.expires_at}, as_json)


@app.command()
def revoke(operator: str, as_json: JsonFlag = False) -> None:
    """Revoke every API key of the operator (by id or name), on every service."""
    from lending_intake.service_layer import credentials

    try:
        key_ids = run_against_intake(lambda s: credentials.revoke(s, operator, kind=OPERATOR))
    except credentials.PrincipalNotFoundError:
        fail(f"no operator {operator!r}")
    emit({"operator": operator, "revoked_key_ids": key_ids}, as_json)
