"""`loanctl partners create|rotate|revoke|rotate-webhook-secret|set-webhook-url`: partner
channels, their API keys and their webhook secrets."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from lending_platform.credentials import PARTNER
from loanctl.commands._credentials import emit, fail, run_against_intake

app = typer.Typer(help="Create partners and manage their API keys.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


def _rate(value: str | None) -> int | None:
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(/s)?\s*", value)
    if not match or int(match[1]) < 1:
        raise typer.BadParameter("use N/s, e.g. 50/s")
    return int(match[1])


@app.command()
def create(
    name: str,
    webhook_url: Annotated[str | None, typer.Option(help="Where status webhooks go")] = None,
    rate_limit: Annotated[str | None, typer.Option(
        help="Requests per second, e.g. 50/s (default: INTAKE_DEFAULT_PARTNER_RATE_LIMIT_"
        "PER_SECOND)")] = None,
    channel: Annotated[str, typer.Option(help="app, web, merchant or supply_chain")] = "app",
    as_json: JsonFlag = False,
) -> None:
    """Create a partner; prints its API key and webhook secret once (the key is kept only as
    a hash, the secret only encrypted)."""
    from lending_intake.service_layer import credentials

    limit = _rate(rate_limit)
    try:
        issued = run_against_intake(lambda s: credentials.create_partner(
            s, name, channel=channel, webhook_url=webhook_url, rate_limit=limit))
    except credentials.PrincipalExistsError:
        fail(f"a partner named {name!r} exists; `loanctl partners rotate {name!r}` "
             "issues it a new key")
    except ValueError as exc:  # a bad channel, or a webhook URL intake will not call
        fail(str(exc))
    emit({"partner_id": issued.principal_id, "api_key": issued.api_key,
          "webhook_secret": issued.webhook_secret}, as_json)


@app.command()
def rotate(partner: str, as_json: JsonFlag = False) -> None:
    """Issue a new API key (by partner id or name); the previous keys stop working."""
    from lending_intake.service_layer import credentials

    try:
        issued = run_against_intake(lambda s: credentials.rotate(s, partner, kind=PARTNER))
    except credentials.PrincipalNotFoundError:
        fail(f"no partner {partner!r}")
    emit({"partner_id": issued.principal_id, "api_key": issued.api_key}, as_json)


@app.command()
def revoke(partner: str, as_json: JsonFlag = False) -> None:
    """Revoke every API key of the partner (by id or name), on every service."""
    from lending_intake.service_layer import credentials

    try:
        key_ids = run_against_intake(lambda s: credentials.revoke(s, partner, kind=PARTNER))
    except credentials.PrincipalNotFoundError:
        fail(f"no partner {partner!r}")
    emit({"partner": partner, "revoked_key_ids": key_ids}, as_json)


@app.command("rotate-webhook-secret")
def rotate_webhook_secret(partner: str, as_json: JsonFlag = False) -> None:
    """Issue a new webhook signing secret (by partner id or name), printed once; webhooks
    are signed with it from now on."""
    from lending_intake.service_layer import credentials

    try:
        issued = run_against_intake(lambda s: credentials.rotate_webhook_secret(s, partner))
    except credentials.PrincipalNotFoundError:
        fail(f"no partner {partner!r}")
    emit({"partner_id": issued.principal_id, "webhook_secret": issued.webhook_secret}, as_json)


@app.command("set-webhook-url")
def set_webhook_url(
    partner: str,
    url: Annotated[str | None, typer.Argument(help="https URL; omit to stop webhooks")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Point the partner's status webhooks at URL (a public https endpoint)."""
    from lending_intake.service_layer import credentials

    try:
        run_against_intake(lambda s: credentials.set_webhook_url(s, partner, url))
    except credentials.PrincipalNotFoundError:
        fail(f"no partner {partner!r}")
    except ValueError as exc:
        fail(str(exc))
    emit({"partner": partner, "webhook_url": url}, as_json)
