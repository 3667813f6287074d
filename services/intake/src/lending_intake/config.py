from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from lending_intake.adapters.catalogue import DEFAULT_CATALOGUE
from lending_platform.settings import ServiceSettings, development_secret

DEV_PII_KEY = "dev-only-identity-hash-key-change-me"
# The development halves of intake's keys; published, so refused outside development
# (lending_platform.settings). `loanctl keys new` prints fresh ones.
DEV_CREDENTIAL_SIGNING_KEY = "ed25519:ZatJ1omnHYaYoEnWIuYbfTtiuJdaCQFcnbl1VAoDFW8"
DEV_ENCRYPTION_KEYS = "dev-1:Fa4fQU_cp1jjwy4VhRPiSCxYusJS16cfdHo8Ol67oG0"


class Settings(ServiceSettings):
    """Read from INTAKE_* environment variables (e.g. INTAKE_DATABASE_URL, INTAKE_PORT)."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: str = "intake"
    port: int = 8001
    # uvicorn worker processes sharing the port (python -m lending_intake): migrations run
    # once before they start; the partner rate limit is shared between them.
    workers: int = Field(default=1, ge=1, le=64)
    product_catalogue: Path = DEFAULT_CATALOGUE
    # Key of the HMAC that turns a national id into ``identity_hash``; the same id always
    # gives the same hash (duplicate and stacking checks) and nobody without it can reverse it.
    identity_hash_key: SecretStr = development_secret(
        DEV_PII_KEY, "HMAC key of identity hashes (at least 16 characters)")
    # Signs CredentialIssued/Revoked (Ed25519); the other services hold its public key
    # (<SERVICE>_CREDENTIAL_VERIFY_KEYS). Only intake has this one.
    credential_signing_key: SecretStr = development_secret(
        DEV_CREDENTIAL_SIGNING_KEY, "Ed25519 private key of credential events")
    # Key-encryption keys for data at rest (webhook secrets, applicants' identities):
    # "<id>:<base64url 32 bytes>", comma separated; new values are sealed under
    # encryption_key_id, older ids stay readable until re-wrapped (docs/security.md).
    encryption_keys: SecretStr = development_secret(
        DEV_ENCRYPTION_KEYS, "AES-256 key-encryption keys, <id>:<base64url>, comma separated")
    encryption_key_id: str = "dev-1"
    # How often the at-rest worker encrypts rows written before encryption and re-wraps
    # rows sealed under a key that is no longer the active one.
    at_rest_poll_seconds: float = Field(default=60.0, gt=0)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_poll_seconds: float = Field(default=0.5, gt=0)
    # Multiplies the retry backoff (10 s, 30 s, 2 min ... for 24 h); tests shrink it.
    webhook_backoff_scale: float = Field(default=1.0, gt=0)
    webhook_batch_size: int = Field(default=50, ge=1)  # deliveries in flight at most
    webhook_per_partner: int = Field(default=8, ge=1)  # of them, to any one partner
    # Webhook URLs may not point at loopback, private, link-local or cloud metadata
    # addresses unless listed here (hosts, addresses or CIDR ranges, comma separated): the
    # development stack lists its receiver simulator's 127.0.0.1.
    webhook_allowed_hosts: str = ""
    # How often approved applications whose offer passed its expiry are marked expired.
    offer_expiry_poll_seconds: float = Field(default=30.0, gt=0)
    offer_expiry_batch_size: int = Field(default=200, ge=1)
    # Operator keys stop working this long after issue unless renewed (`loanctl operators
    # rotate`).
    operator_key_ttl_days: int = Field(default=90, ge=1, le=3650)
    # Applications that never became loans are erased this long after their last change
    # (`loanctl applications erase`), unless told otherwise.
    application_retention_days: int = Field(default=365, ge=1)

    @field_validator("identity_hash_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value
