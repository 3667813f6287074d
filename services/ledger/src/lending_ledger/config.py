from lending_platform.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    """Read from LEDGER_* environment variables (e.g. LEDGER_DATABASE_URL, LEDGER_PORT)."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    service_name: str = "ledger"
    port: int = 8003
