from lending_platform.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    """Read from SERVICING_* environment variables (e.g. SERVICING_DATABASE_URL, SERVICING_PORT)."""

    model_config = SettingsConfigDict(env_prefix="SERVICING_", extra="ignore")

    service_name: str = "servicing"
    port: int = 8004
