"""`GET /v1/reports/portfolio?as_of=DATE`: JSON, or HTML with charts for `Accept: text/html`
(or `format=html`). Figures as they were at that day's close (see service_layer/report.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from lending_collections.entrypoints.report_html import render
from lending_collections.service_layer import report
from lending_collections.service_layer.context import CollectionsContext
from lending_platform.auth import require_operator
from lending_platform.credentials import Principal

router = APIRouter(tags=["reports"])
Reader = Annotated[Principal, Depends(require_operator("collector", "servicer"))]


@router.get("/reports/portfolio", response_model=None,
            responses={200: {"content": {"text/html": {}}}})
async def portfolio(
    request: Request, reader: Reader,
    as_of: Annotated[date, Query(description="The business date the figures are as of")],
    period_days: Annotated[int, Query(ge=1, le=366, description="Roll rates, cures, "
                                      "recoveries and write-offs over this many days")] = 30,
    format: Annotated[str | None, Query(pattern=r"^(json|html)$")] = None,
) -> Response:
    ctx: CollectionsContext = request.app.state.runtime.ports["collections"]
    async with ctx.sessions() as session:
        found: dict[str, Any] = await report.portfolio(session, as_of, period_days)
    wants_html = format == "html" or (
        format is None and "text/html" in request.headers.get("accept", ""))
    if wants_html:
        return HTMLResponse(render(found))
    return JSONResponse(found)
