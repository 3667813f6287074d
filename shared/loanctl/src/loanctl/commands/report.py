"""`loanctl report portfolio --as-of DATE [--html FILE]`: the collections portfolio report.

It calls the collections service's API (`GET /v1/reports/portfolio`) with an operator key
(role collector, servicer or admin) rather than reading its database: the report's figures
and the HTML with its charts come from one place, and the CLI needs no database access or
collections package, only the URL and a key:

    COLLECTIONS_URL=http://127.0.0.1:8005 LOANCTL_API_KEY=... loanctl report portfolio \\
        --as-of 2025-03-31 --html portfolio.html
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

app = typer.Typer(help="Reports (collections' portfolio).", no_args_is_help=True)


def _as_of(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date like 2025-01-31") from None


def _get(url: str, key: str, params: dict[str, Any], accept: str) -> httpx.Response:
    try:
        response = httpx.get(f"{url.rstrip('/')}/v1/reports/portfolio", params=params,
                             headers={"Authorization": f"Bearer {key}", "Accept": accept},
                             timeout=60)
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach collections at {url}: {exc}", err=True)
        raise typer.Exit(1) from None
    if response.status_code != 200:
        detail = response.text
        try:
            detail = response.json().get("detail", detail)
        except ValueError:
            pass
        typer.echo(f"error: collections answered {response.status_code}: {detail}", err=True)
        raise typer.Exit(1)
    return response


def _table(found: dict[str, Any]) -> str:
    lines = [f"Portfolio as of {found['as_of']} (snapshot {found['snapshot_date']}, "
             f"period from {found['period_start']}, {found['period_days']} days)",
             f"{'by':<8} {'segment':<20} {'cur':<4} {'loans':>6} {'outstanding':>14} "
             f"{'PAR1':>7} {'PAR30':>7} {'PAR90':>7} {'cure':>7} {'recovered':>12} "
             f"{'written off':>12}"]
    for s in found["segments"]:
        pct = {k: f"{float(s[k]) * 100:.1f}%" for k in
               ("par1_ratio", "par30_ratio", "par90_ratio", "cure_rate")}
        lines.append(
            f"{s['dimension']:<8} {s['key'][:20]:<20} {s['currency']:<4} {s['loans']:>6} "
            f"{s['outstanding']:>14} {pct['par1_ratio']:>7} {pct['par30_ratio']:>7} "
            f"{pct['par90_ratio']:>7} {pct['cure_rate']:>7} {s['recoveries']:>12} "
            f"{s['write_offs']:>12}")
    return "\n".join(lines)


@app.command()
def portfolio(
    as_of: Annotated[str, typer.Option("--as-of", help="Business date (YYYY-MM-DD)")],
    html: Annotated[Path | None, typer.Option("--html", help="Also write the HTML report "
                                              "(with charts) to this file")] = None,
    period_days: Annotated[int, typer.Option("--period-days", min=1, max=366,
                                             help="Roll rates, cures, recoveries and "
                                             "write-offs over this many days")] = 30,
    url: Annotated[str, typer.Option("--url", envvar="COLLECTIONS_URL",
                                     help="The collections service")] = "http://127.0.0.1:8005",
    api_key: Annotated[str, typer.Option("--api-key", envvar="LOANCTL_API_KEY",
                                         help="An operator API key")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report")] = False,
) -> None:
    """PAR1/PAR30/PAR90 by balance, roll rates, cure rate, recoveries and write-offs, in
    total, by product and by partner, as they were at the close of --as-of."""
    if not api_key:
        typer.echo("error: an operator API key is needed (--api-key or LOANCTL_API_KEY)",
                   err=True)
        raise typer.Exit(2)
    params = {"as_of": _as_of(as_of), "period_days": period_days}
    found = _get(url, api_key, params, "application/json").json()
    typer.echo(json.dumps(found) if as_json else _table(found))
    if html is not None:
        html.write_text(_get(url, api_key, {**params, "format": "html"}, "text/html").text,
                        encoding="utf-8")
        if not as_json:
            typer.echo(f"HTML written to {html}")
