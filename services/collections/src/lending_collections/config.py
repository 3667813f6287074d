from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from lending_platform.settings import ServiceSettings

PACKAGE = Path(__file__).parent


class Settings(ServiceSettings):
    """Read from COLLECTIONS_* environment variables, e.g. COLLECTIONS_DATABASE_URL."""

    model_config = SettingsConfigDict(env_prefix="COLLECTIONS_", extra="ignore")

    service_name: str = "collections"
    port: int = 8005
    strategies_file: Path = PACKAGE / "strategies.toml"
    classification_file: Path = PACKAGE / "classification.toml"
    recovery_file: Path = PACKAGE / "recovery.toml"
    early_warning_file: Path = PACKAGE / "early_warning.toml"
    sms_gateway_url: str = "http://127.0.0.1:8102"
    sms_gateway_timeout_s: float = Field(default=5.0, gt=0)
    delivery_poll_interval_s: float = Field(default=1.0, gt=0)
    strategy_batch_size: int = Field(default=2000, ge=1)
