from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from lending_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Read from UNDERWRITING_* environment variables, e.g. UNDERWRITING_DATABASE_URL."""

    model_config = SettingsConfigDict(env_prefix="UNDERWRITING_", extra="ignore")

    service_name: str = "underwriting"
    port: int = 8002
    bureau_url: str = "http://127.0.0.1:8100"
    bureau_timeout_seconds: float = Field(default=0.5, gt=0)  # per attempt
    bureau_attempts: int = Field(default=2, ge=1)
    bureau_deadline_seconds: float = Field(default=1.5, gt=0)  # all attempts together
    bureau_max_in_flight: int = Field(default=8, ge=1)  # concurrent requests per process
    bureau_breaker_failures: int = Field(default=5, ge=1)
    bureau_breaker_reset_seconds: float = Field(default=30.0, gt=0)
    policy_path: Path | None = None  # default: the packaged policy.toml
    model_dir: Path | None = None  # default: the packaged models/default
    # Two lanes, not the platform's 8: a lane decides everything queued on it in one write,
    # so fewer lanes make bigger groups under load (at 200 applications/s: ~4.5 ms of CPU a
    # decision and a p99 of ~80-110 ms with 2 lanes, ~4.8 ms and ~180-240 ms with 8), while
    # a second lane keeps one slow transaction from holding up every decision.
    consumer_concurrency: int = Field(default=2, ge=1)
