"""``GET /problems`` and ``GET /problems/<code>`` on every service (and simulator): the page a
problem document's ``type`` resolves to, read by people, so HTML and outside the OpenAPI."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from lending_platform.problem_catalogue import (
    PROBLEM_JSON,
    catalogue,
    problem_type,
    render_index_html,
    render_kind_html,
)


def problem_pages_router() -> APIRouter:
    router = APIRouter(prefix="/problems", include_in_schema=False)

    @router.get("")
    async def every_problem_type() -> HTMLResponse:
        return HTMLResponse(render_index_html())

    @router.get("/{code}")
    async def problem_type_page(code: str) -> Response:
        kind = catalogue().get(code)
        if kind is None:
            # Answered here rather than raised: the simulators have no problem handlers.
            return JSONResponse({"type": problem_type("not-found"), "title": "Not Found",
                                 "status": 404, "detail": f"No problem type {code!r}.",
                                 "instance": f"/problems/{code}"},
                                status_code=404, media_type=PROBLEM_JSON)
        return HTMLResponse(render_kind_html(kind))

    return router
