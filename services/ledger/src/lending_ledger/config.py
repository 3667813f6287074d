from decimal import Decimal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from lending_events.money import MoneyFormatError, to_minor_units
from lending_platform.settings import ServiceSettings


class Settings(ServiceSettings):
    """Read from LEDGER_* environment variables, e.g. LEDGER_DATABASE_URL."""

    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    service_name: str = "ledger"
    port: int = 8003
    payout_url: str = "http://127.0.0.1:8101"
    payout_timeout_seconds: float = Field(default=5.0, gt=0)
    payout_attempts: int = Field(default=4, ge=1)
    payout_backoff_seconds: float = Field(default=0.2, ge=0)
    disbursement_poll_seconds: float = Field(default=0.2, gt=0)
    disbursement_concurrency: int = Field(default=8, ge=1)
    # How far the APR recomputed on the schedule anchored to the disbursement date may be
    # from the disclosed APR (fractions): US Regulation Z §1026.22(a)(2) 1/8 of a percentage
    # point for regular transactions, (a)(3) 1/4 for irregular ones. Beyond it the payout is
    # refused (DisbursementFailed apr_outside_tolerance) and a new offer must be disclosed.
    apr_tolerance_regular: Decimal = Field(default=Decimal("0.00125"), ge=0, le=Decimal("0.05"))
    apr_tolerance_irregular: Decimal = Field(default=Decimal("0.0025"), ge=0,
                                             le=Decimal("0.05"))
    snapshot_every: int = Field(default=50, ge=2)
    accrual_batch_size: int = Field(default=500, ge=1)
    accrual_poll_seconds: float = Field(default=0.5, gt=0)
    run_accrual_worker: bool = True  # false on replicas that leave the day close to others
    # Maker-checker: a payment reversal of more than this amount (per currency, e.g.
    # {"EUR": "500.00"}) waits for a second operator's approval; a currency left out needs
    # one for every reversal.
    reversal_approval_above: dict[str, Decimal] = Field(default_factory=dict)

    @field_validator("reversal_approval_above")
    @classmethod
    def _amounts_in_their_currency(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for currency, amount in value.items():
            try:
                if to_minor_units(amount, currency) < 0:
                    raise ValueError("must not be negative")
            except MoneyFormatError as exc:
                raise ValueError(f"{currency} {amount}: {exc}") from exc
        return value

    def reversal_thresholds(self) -> dict[str, int]:
        """The approval thresholds in minor units."""
        return {c: to_minor_units(a, c) for c, a in self.reversal_approval_above.items()}
