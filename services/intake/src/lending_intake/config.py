from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from lending_intake.adapters.catalogue import DEFAULT_CATALOGUE
from lending_platform.settings import ServiceSettings

DEV_PII_KEY = "dev-only-identity-hash-key-change-me"


class Settings(ServiceSettings):
    """Read from INTAKE_* environment variables (e.g. INTAKE_DATABASE_URL, INTAKE_PORT)."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: str = "intake"
    port: int = 8001
    # uvicorn worker processes sharing the port (python -m lending_intake): migrations run
    # once before they start; the partner rate limit is shared between them.
    workers: int = Field(default=1, ge=1, le=64)
    environment: str = "development"
    product_catalogue: Path = DEFAULT_CATALOGUE
    # Key of the HMAC that turns a national id into ``identity_hash``; the same id always
    # gives the same hash (duplicate and stacking checks) and nobody without it can reverse it.
    identity_hash_key: str = DEV_PII_KEY
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_poll_seconds: float = Field(default=0.5, gt=0)
    # Multiplies the retry backoff (10 s, 30 s, 2 min ... for 24 h); tests shrink it.
    webhook_backoff_scale: float = Field(default=1.0, gt=0)
    webhook_batch_size: int = Field(default=50, ge=1)
    # How often approved applications whose offer passed its expiry are marked expired.
    offer_expiry_poll_seconds: float = Field(default=30.0, gt=0)
    offer_expiry_batch_size: int = Field(default=200, ge=1)

    @field_validator("identity_hash_key")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if len(value) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    def model_post_init(self, context: object) -> None:
        super().model_post_init(context)
        if self.environment == "production" and self.identity_hash_key == DEV_PII_KEY:
            raise ValueError("INTAKE_IDENTITY_HASH_KEY must be set in production")
