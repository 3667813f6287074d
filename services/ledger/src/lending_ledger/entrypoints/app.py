from functools import partial
from pathlib import Path

from fastapi import FastAPI

from lending_ledger.adapters.payout import PayoutProvider
from lending_ledger.bootstrap import bootstrap
from lending_ledger.config import Settings
from lending_ledger.entrypoints.reversal_routes import router as reversal_router
from lending_ledger.entrypoints.routes import router
from lending_messaging.ports import EventPublisher
from lending_platform.app import build_app


def create_app(
    settings: Settings | None = None, *, payout: PayoutProvider | None = None,
    publisher: EventPublisher | None = None,
) -> FastAPI:
    """``payout``/``publisher`` replace the real adapters (tests wire fakes here)."""
    return build_app(
        settings or Settings(),
        bootstrap=partial(bootstrap, payout=payout, publisher=publisher),
        migrations_dir=Path(__file__).parents[1] / "migrations",
        routers=[router, reversal_router],
        title="Ledger service",
        description=(
            "Event-sourced loan accounts and the double-entry journal; "
            "the source of truth for money."
        ),
    )
