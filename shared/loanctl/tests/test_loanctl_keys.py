"""`loanctl keys new` gives a deployment keys that work together and are not the development
ones: what it signs with, every service verifies; what it seals, intake opens."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from lending_events.envelope import Envelope
from lending_intake.config import DEV_CREDENTIAL_SIGNING_KEY, DEV_ENCRYPTION_KEYS
from lending_platform.encryption import KeyRing
from lending_platform.settings import DEV_CREDENTIAL_VERIFY_KEY
from lending_platform.signing import CredentialSigner, CredentialVerifier
from loanctl.main import app


def new_keys() -> dict[str, str]:
    result = CliRunner().invoke(app, ["keys", "new", "--encryption-key-id", "prod-1", "--json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_new_keys_sign_credential_events_that_their_public_half_verifies():
    keys = new_keys()
    envelope = Envelope(type="CredentialIssued", source="/lending/intake", subject="p-1",
                        data={"credential_id": "c-1"})
    signed = CredentialSigner(keys["INTAKE_CREDENTIAL_SIGNING_KEY"]).sign(envelope)
    CredentialVerifier(keys["<SERVICE>_CREDENTIAL_VERIFY_KEYS"]).verify(signed)


def test_new_keys_seal_and_open_personal_data_under_the_named_key_id():
    keys = new_keys()
    ring = KeyRing(keys["INTAKE_ENCRYPTION_KEYS"], keys["INTAKE_ENCRYPTION_KEY_ID"])
    sealed = ring.seal(b"national id 8001015009087", "application-1")
    assert sealed.key_id == "prod-1"
    assert ring.open(sealed, "application-1") == b"national id 8001015009087"


def test_new_keys_are_never_the_development_keys_and_never_repeat():
    first, second = new_keys(), new_keys()
    assert first["INTAKE_CREDENTIAL_SIGNING_KEY"] != DEV_CREDENTIAL_SIGNING_KEY
    assert first["<SERVICE>_CREDENTIAL_VERIFY_KEYS"] != DEV_CREDENTIAL_VERIFY_KEY
    assert first["INTAKE_ENCRYPTION_KEYS"] != DEV_ENCRYPTION_KEYS
    assert first != second
