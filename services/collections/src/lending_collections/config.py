from lending_platform.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


class Settings(ServiceSettings):
    """Read from COLLECTIONS_* environment variables (e.g. COLLECTIONS_DATABASE_URL, COLLECTIONS_PORT)."""

    model_config = SettingsConfigDict(env_prefix="COLLECTIONS_", extra="ignore")

    service_name: str = "collections"
    port: int = 8005
