"""The composition root: the one place where the ledger service's ports are wired."""

from __future__ import annotations

from lending_ledger.adapters.backlogs import BACKLOGS
from lending_ledger.adapters.payout import HttpPayoutProvider, PayoutProvider
from lending_ledger.config import Settings
from lending_ledger.domain.anchoring import AprTolerance
from lending_ledger.service_layer.day_close import AccrualWorker
from lending_ledger.service_layer.disbursement import DisbursementWorker
from lending_ledger.service_layer.handlers import handlers
from lending_ledger.service_layer.ledger import LoanLedger, lock_order
from lending_ledger.service_layer.trial_balance import TrialBalanceFolder
from lending_messaging.ports import EventPublisher
from lending_messaging.wakeup import Wakeup
from lending_platform.runtime import Runtime
from lending_platform.settings import ServiceSettings
from lending_platform.wiring import standard_runtime

REACTS_TO = ("intake", "underwriting", "servicing", "collections")


def bootstrap(
    settings: ServiceSettings, *, publisher: EventPublisher | None = None,
    payout: PayoutProvider | None = None,
) -> Runtime:
    assert isinstance(settings, Settings)
    ledger = LoanLedger(snapshot_every=settings.snapshot_every)
    runtime = standard_runtime(
        settings, reacts_to=REACTS_TO, handlers=handlers(ledger), publisher=publisher,
        lock_order=lock_order,
    )
    payout = payout or HttpPayoutProvider(
        settings.payout_url, timeout=settings.payout_timeout_seconds,
        attempts=settings.payout_attempts, backoff=settings.payout_backoff_seconds,
    )
    runtime.ports["ledger"] = ledger
    runtime.ports["reversal_thresholds"] = settings.reversal_thresholds()
    runtime.backlogs.update(BACKLOGS)
    runtime.ports["payout"] = payout
    runtime.workers["disbursement"] = DisbursementWorker(
        runtime.sessions, ledger, payout, poll_interval=settings.disbursement_poll_seconds,
        concurrency=settings.disbursement_concurrency,
        apr_tolerance=AprTolerance(settings.apr_tolerance_regular,
                                   settings.apr_tolerance_irregular),
        wakeup=Wakeup(runtime.engine, "loan_accounts"),  # a booking, a retry allowed
    )
    runtime.ports["accrual"] = accrual = AccrualWorker(
        runtime.sessions, ledger, batch_size=settings.accrual_batch_size,
        poll_interval=settings.accrual_poll_seconds,
        wakeup=Wakeup(runtime.engine, "accrual_runs"),
    )
    if settings.run_accrual_worker:
        runtime.workers["accrual"] = accrual
    runtime.workers["trial_balance"] = TrialBalanceFolder(runtime.sessions)
    return runtime
