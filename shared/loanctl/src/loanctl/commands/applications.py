"""`loanctl applications erase`: the retention period of applications that never became loans.

Declined, withdrawn and expired applications keep the applicant's identity (sealed) for
INTAKE_APPLICATION_RETENTION_DAYS after their last change; then this erases it (identity,
identity hash, documents' links, the idempotency record), through intake's own service
layer, leaving amounts, statuses and decisions for the statistics. Schedule it daily.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from loanctl.commands._credentials import emit, fail, intake_settings

app = typer.Typer(help="Personal data of applications: retention and erasure.",
                  no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


def parse_age(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*(d|w|y)\s*", text)
    if not match or int(match[1]) < 1:
        raise typer.BadParameter("use a number of days, weeks or years: 180d, 26w, 1y")
    days = int(match[1]) * {"d": 1, "w": 7, "y": 365}[match[2]]
    return timedelta(days=days)


@app.command()
def erase(
    older_than: Annotated[str | None, typer.Option(
        help="Age since the last change, e.g. 180d (default: the retention period)")] = None,
    dry_run: Annotated[bool, typer.Option(help="Only count what would be erased")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Erase the identity of declined, withdrawn and expired applications past retention."""
    import lending_intake
    from lending_intake.service_layer.at_rest import erase_applications
    from lending_platform.database import create_engine, session_factory, upgrade_to_head

    settings = intake_settings()
    age = parse_age(older_than) if older_than else timedelta(
        days=settings.application_retention_days)
    if age < timedelta(days=1):
        fail("--older-than must be at least a day")
    upgrade_to_head(Path(lending_intake.__file__).parent / "migrations", settings.database_url)

    async def main() -> int:
        engine = create_engine(settings.database_url, pool_size=1)
        try:
            return await erase_applications(session_factory(engine), age, datetime.now(UTC),
                                            dry_run=dry_run)
        finally:
            await engine.dispose()

    count = asyncio.run(main())
    emit({"older_than_days": age.days, "dry_run": dry_run,
          "would_erase" if dry_run else "erased": count}, as_json)
