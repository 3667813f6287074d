from lending_platform.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    """Read from UNDERWRITING_* environment variables (e.g. UNDERWRITING_DATABASE_URL, UNDERWRITING_PORT)."""

    model_config = SettingsConfigDict(env_prefix="UNDERWRITING_", extra="ignore")

    service_name: str = "underwriting"
    port: int = 8002
