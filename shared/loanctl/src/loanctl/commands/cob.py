"""`loanctl cob run --as-of DATE`: the close of business, up to a date.

It calls servicing's service layer directly against servicing's database (as `loanctl
partners` does with intake's), after applying servicing's migrations: an operator with
database access needs no API key, and the close works whether or not the service runs.
The events it writes wait in servicing's outbox; the service's relay publishes them once
it runs. It is safe beside the REST endpoint (`POST /v1/admin/business-day/close`): both
take the same PostgreSQL lock, and a day already closed is never closed again.

Days later than today's date (in servicing's time zone, SERVICING_TIME_ZONE) are refused
unless `--allow-future-date` says so: a simulation's or a test's explicit override, recorded
on each day so closed. Each day records who closed it: `loanctl:<the OS user>`.

It never ends with a traceback: the close itself runs again any transaction PostgreSQL
picks as a deadlock victim, and whatever still fails is said in one line on stderr with a
non-zero exit (1), after which running the same command again is always safe.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

app = typer.Typer(help="Close business days (servicing's calendar).", no_args_is_help=True)
T = TypeVar("T")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object")]


def _run_against_servicing(action: Callable[[Any], Awaitable[T]]) -> T:
    """Runs ``action`` with servicing's context; any failure exits 1 with one line."""
    try:
        return _run(action)
    except typer.Exit:
        raise
    except Exception as exc:
        typer.echo(f"error: {_explain(exc)}", err=True)
        raise typer.Exit(1) from None


def _explain(exc: Exception) -> str:
    from lending_messaging.transient import TransientFailureError
    from lending_servicing.domain.errors import CalendarError, InvalidCloseError

    if isinstance(exc, CalendarError | InvalidCloseError):
        return str(exc)
    if isinstance(exc, TransientFailureError):
        return (f"{exc}. Days already closed stay closed and nothing is half-written; "
                "run the same command again.")
    if _unreachable(exc):
        return (f"cannot reach servicing's database (SERVICING_DATABASE_URL): {exc}. "
                "Nothing was closed.")
    return (f"the close stopped: {type(exc).__name__}: {exc}. Days already closed stay "
            "closed and nothing is half-written; run the same command again.")


def _unreachable(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError | TimeoutError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _run(action: Callable[[Any], Awaitable[T]]) -> T:
    # Imported here: only this command needs the servicing package and its settings.
    import lending_servicing
    from lending_platform.database import create_engine, session_factory, upgrade_to_head
    from lending_servicing.bootstrap import policy_of
    from lending_servicing.config import Settings
    from lending_servicing.service_layer.context import ServicingContext

    settings = Settings()
    upgrade_to_head(Path(lending_servicing.__file__).parent / "migrations",
                    settings.database_url)

    async def main() -> T:
        engine = create_engine(settings.database_url, pool_size=1)
        try:
            return await action(ServicingContext(session_factory(engine), policy_of(settings)))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def cli_actor() -> str:
    """Who runs the command, as the calendar records it: ``loanctl:<OS user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"loanctl:{re.sub(r'[^A-Za-z0-9._:-]', '-', user)}"[:64]


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2025-01-31") from None


@app.command()
def run(
    as_of: Annotated[str, typer.Option("--as-of", help="Close every business day up to and "
                                       "including this date (YYYY-MM-DD)")],
    allow_future_date: Annotated[bool, typer.Option(
        "--allow-future-date", help="Close days later than today's date (a simulation, a "
        "test); recorded on each day closed")] = False,
    as_json: JsonFlag = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines (on "
                                        "stderr) while the days close")] = False,
) -> None:
    """Close each business day after the last closed one, in order, up to --as-of.

    A catch-up of many days says each day on stderr as it closes ([k/N]); --quiet keeps
    only the summary at the end."""
    from lending_servicing.service_layer.day_close import (
        CloseBusinessDays,
        ClosedDay,
        close_business_days,
        days_to_close,
    )

    command = CloseBusinessDays(_parse_date(as_of), by=cli_actor(),
                                allow_future_date=allow_future_date)
    up_to = command.up_to

    async def close(ctx: Any) -> Any:
        if quiet:
            return await close_business_days(ctx, command)
        total = len(await days_to_close(ctx, up_to))
        done = 0

        def say(day: ClosedDay) -> None:
            nonlocal done
            done += 1
            typer.echo(f"[{done}/{total}] {_line(_day(day))}", err=True)

        return await close_business_days(ctx, command, on_closed=say)

    result = _run_against_servicing(close)
    days = [_day(d) for d in result.closed]
    business_date = result.business_date.isoformat() if result.business_date else None
    if as_json:
        typer.echo(json.dumps({"requested": up_to.isoformat(), "closed": days,
                               "business_date": business_date}))
        return
    if not days:
        typer.echo(f"nothing to close: business days up to {up_to} are closed already "
                   f"(business date {business_date})")
        return
    if quiet:
        for d in days:
            typer.echo(_line(d))
    else:
        typer.echo(f"closed {len(days)} business day{'s' if len(days) > 1 else ''}, "
                   f"{days[0]['business_date']} to {days[-1]['business_date']}")
    typer.echo(f"business date is now {business_date}")


def _day(d: Any) -> dict[str, Any]:
    return {"business_date": d.business_date.isoformat(),
            "next_business_date": d.next_business_date.isoformat(),
            "seconds": round(d.seconds, 3), **d.counts.as_dict()}


def _line(d: dict[str, Any]) -> str:
    return (f"closed {d['business_date']} in {d['seconds']}s: {d['payments_missed']} missed, "
            f"{d['delinquency_changes']} delinquency changes, {d['reminders']} reminders, "
            f"{d['matured']} matured")


@app.command()
def status(as_json: JsonFlag = False) -> None:
    """The last closed business day and the current business date."""
    from lending_servicing.service_layer.day_close import current_business_date
    from lending_servicing.service_layer.holidays import calendar_state

    async def read(ctx: Any) -> tuple[date | None, list[date], date]:
        last, holidays = await calendar_state(ctx)
        return last, holidays, await current_business_date(ctx)

    last, holidays, current = _run_against_servicing(read)
    payload = {"last_closed": last.isoformat() if last else None,
               "business_date": current.isoformat(),
               "holidays": [h.isoformat() for h in holidays],
               "at": datetime.now().astimezone().isoformat(timespec="seconds")}
    if as_json:
        typer.echo(json.dumps(payload))
        return
    for key, value in payload.items():
        typer.echo(f"{key}: {value}")
