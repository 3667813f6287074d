"""RFC 9457 problem details for every error a service returns, mapped in one place."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lending_platform.database import is_database_unreachable
from lending_platform.problem_catalogue import PROBLEM_JSON, problem_type

log = logging.getLogger("lending.problems")


class ProblemError(Exception):
    """Raise from a route or handler to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or HTTPStatus(status).phrase.lower().replace(" ", "-")
        self.title = title or HTTPStatus(status).phrase
        self.errors = errors
        self.headers = headers


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    code: str,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        # A reference to the code's page on this service (problem_catalogue.py).
        "type": problem_type(code),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    # ("body", "applicant", "income") -> "applicant.income"; keep query/header/path prefixes.
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            request, exc.status, exc.detail, code=exc.code, title=exc.title,
            errors=exc.errors, headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        names = ", ".join(e["field"] for e in errors)
        return problem_response(
            request, 422, f"The request is invalid: {names}", code="validation-error",
            title="Validation failed", errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
        return problem_response(
            request, exc.status_code, str(exc.detail), code=code,
            headers=getattr(exc, "headers", None),
        )

    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_database_unreachable(exc):
            # A database restart is an outage to report, not a bug to trace: every
            # statement of the request rolled back, so the client may simply try again.
            log.warning("database unreachable on %s %s: %r", request.method,
                        request.url.path, exc)
            return problem_response(
                request, 503, "The service's database is unreachable for a moment; nothing "
                "was changed. Try again shortly.", code="database-unavailable",
                headers={"Retry-After": "2"})
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            request, 500, "An unexpected error occurred; it has been logged.",
            code="internal-error",
        )

    # A handler for ``Exception`` runs in Starlette's outermost middleware, which answers
    # and then raises again, so the server logs a second traceback. The database's errors
    # (and socket errors, which may be its) get handlers of their own class: answered there,
    # an outage leaves one warning in the log and no traceback.
    for kind in (DBAPIError, OSError, Exception):
        app.add_exception_handler(kind, _unexpected)
