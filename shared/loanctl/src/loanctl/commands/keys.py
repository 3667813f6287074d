"""`loanctl keys new`: fresh keys for a deployment, printed once, never stored.

The services ship development keys that only ``LENDING_ENVIRONMENT=development`` accepts;
every other environment needs its own (docs/security.md, "Keys"): intake's Ed25519 signing
key for credential events and its public half for every service, and an AES-256
key-encryption key for data at rest. Put them in the Secret store, not in a file.
"""

from __future__ import annotations

from typing import Annotated

import typer

from loanctl.commands._credentials import emit

app = typer.Typer(help="Generate the keys a deployment must supply.", no_args_is_help=True)


@app.command()
def new(
    encryption_key_id: Annotated[str, typer.Option(
        help="Id of the new key-encryption key (INTAKE_ENCRYPTION_KEY_ID)")] = "k1",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object")] = False,
) -> None:
    """A credential signing key pair and a key-encryption key, with where each goes."""
    from lending_platform.encryption import new_key_text
    from lending_platform.signing import new_signing_key

    private, public = new_signing_key()
    emit({"INTAKE_CREDENTIAL_SIGNING_KEY": private,
          "<SERVICE>_CREDENTIAL_VERIFY_KEYS": public,
          "INTAKE_ENCRYPTION_KEYS": new_key_text(encryption_key_id),
          "INTAKE_ENCRYPTION_KEY_ID": encryption_key_id}, as_json)
