"""`python -m lending_intake`: uvicorn with INTAKE_WORKERS processes on INTAKE_PORT."""

import os
import shutil
import tempfile
from pathlib import Path

import uvicorn

from lending_intake.adapters.rate_limit import create_bucket_file
from lending_intake.bootstrap import SHARED_RATE_LIMITS_ENV
from lending_intake.config import Settings
from lending_platform.database import upgrade_to_head
from lending_platform.serve import serve

APP = "lending_intake.entrypoints.app:create_app"


def main() -> None:
    settings = Settings()
    if settings.workers == 1:
        serve(APP, settings)
        return
    # Several processes: migrate once here rather than race in each worker, and give the
    # workers one rate-limit file (they read these from the environment they inherit).
    if settings.run_migrations_on_start:
        upgrade_to_head(Path(__file__).parent / "migrations", settings.database_url)
    buckets = create_bucket_file()
    metrics = metrics_dir()
    os.environ["INTAKE_RUN_MIGRATIONS_ON_START"] = "false"
    os.environ[SHARED_RATE_LIMITS_ENV] = buckets
    try:
        uvicorn.run(APP, factory=True, host=settings.host, port=settings.port,
                    workers=settings.workers, log_config=None, access_log=False, lifespan="on")
    finally:
        os.unlink(buckets)
        if metrics is not None:
            shutil.rmtree(metrics, ignore_errors=True)


def metrics_dir() -> str | None:
    """One /metrics for every worker (lending_platform.metrics): the workers write their
    figures under PROMETHEUS_MULTIPROC_DIR, read by whichever worker is scraped. An empty
    directory of our own unless one is given (then emptied: figures of an earlier run would
    add up with ours). Returns the directory to remove at exit."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        os.makedirs(given, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return None
    made = tempfile.mkdtemp(prefix="lending-intake-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    return made


main()
