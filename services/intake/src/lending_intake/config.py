from lending_platform.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    """Read from INTAKE_* environment variables (e.g. INTAKE_DATABASE_URL, INTAKE_PORT)."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: str = "intake"
    port: int = 8001
