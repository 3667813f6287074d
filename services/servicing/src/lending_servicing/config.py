from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from lending_platform.settings import ServiceSettings, development_secret

FREQUENCIES = ("daily", "weekly", "biweekly", "monthly", "at_maturity")
DEV_PAYOFF_QUOTE_KEY = "dev-only-payoff-quote-key-change-me-please"


class Settings(ServiceSettings):
    """Read from SERVICING_* environment variables, e.g. SERVICING_DATABASE_URL."""

    model_config = SettingsConfigDict(env_prefix="SERVICING_", extra="ignore")

    service_name: str = "servicing"
    port: int = 8004
    calendar_id: str = Field(default="main", pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    # The lender's time zone (IANA name): a close runs up to today's date there at the
    # latest, unless an admin overrides it (allow_future_date).
    time_zone: str = "UTC"
    # Business date before the first close; unset: today's date (UTC) until then.
    initial_business_date: date | None = None
    # Weekdays that are never business days (Monday=0 … Sunday=6). Microloans with daily
    # plans usually collect every day, so the default has no weekend; holidays are data.
    weekend_days: list[int] = Field(default_factory=list)
    # InstallmentDueSoon this many days ahead, by repayment frequency (0: no reminder): a
    # daily plan needs none, a monthly one a few days' notice.
    reminder_days: dict[str, int] = Field(default_factory=lambda: {
        "daily": 0, "weekly": 1, "biweekly": 2, "monthly": 3, "at_maturity": 7})
    # Arrears tolerance for loans whose contract does not state one.
    default_tolerance_amount: str | None = None
    default_tolerance_rate: str | None = None
    payoff_quote_valid_days: int = Field(default=7, ge=0, le=60)
    # How far past the current business date a quote's as_of may be (further is a 422).
    payoff_quote_max_days_ahead: int = Field(default=90, ge=0, le=366)
    # Key of the HMAC that makes payoff quote ids self-verifying (domain/quote_token.py);
    # every instance of the service needs the same one. The default works only in
    # development; rotating it invalidates the quotes issued before.
    payoff_quote_key: SecretStr = development_secret(
        DEV_PAYOFF_QUOTE_KEY, "HMAC key of payoff quote ids (at least 32 characters)")
    # The day close splits a large book into transactions of about this many installments
    # (a small book closes in one), and runs this many at once, each on its own connection
    # (keep it below db_pool_size; about the database server's cores is the sweet spot).
    close_transaction_rows: int = Field(default=1_000_000, ge=1)
    close_parallelism: int = Field(default=2, ge=1, le=16)

    @field_validator("payoff_quote_key")
    @classmethod
    def _long_key(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Paris") from exc
        return value

    @field_validator("weekend_days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(d < 0 or d > 6 for d in value) or len(set(value)) >= 7:
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday), and not all seven")
        return value

    @field_validator("reminder_days")
    @classmethod
    def _known_frequencies(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - set(FREQUENCIES)
        if unknown or any(v < 0 for v in value.values()):
            raise ValueError(f"frequencies are {', '.join(FREQUENCIES)}; days must be >= 0")
        return value
