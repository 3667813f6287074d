from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

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
