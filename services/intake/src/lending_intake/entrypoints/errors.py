"""Domain errors to problem details: the one place intake maps them to HTTP."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lending_intake.domain.errors import (
    ApplicationNotFoundError,
    IdempotencyKeyReusedError,
    IntakeError,
    InvalidApplicationError,
    OfferUnavailableError,
    TransitionNotAllowedError,
)
from lending_platform.problems import problem_response


def install_intake_errors(app: FastAPI) -> None:
    @app.exception_handler(IntakeError)
    async def _intake(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, InvalidApplicationError):
            names = ", ".join(f for f, _ in exc.errors)
            return problem_response(
                request, 422, f"The application breaks product or policy rules: {names}",
                code="validation-error", title="Validation failed",
                errors=[{"field": f, "message": m} for f, m in exc.errors])
        if isinstance(exc, IdempotencyKeyReusedError):
            return problem_response(
                request, 422, "This Idempotency-Key was already used with a different request "
                "body; use a new key for a new application.", code="idempotency-key-reused",
                errors=[{"field": "header.idempotency-key", "message": "reused with another "
                         "body"}])
        if isinstance(exc, ApplicationNotFoundError):
            return problem_response(request, 404, "No such application.", code="not-found")
        if isinstance(exc, OfferUnavailableError):
            return problem_response(request, 409, str(exc), code=f"offer-{exc.reason}"
                                    .replace("_", "-"), title="Offer unavailable")
        if isinstance(exc, TransitionNotAllowedError):
            return problem_response(request, 409, str(exc), code="invalid-state")
        return problem_response(request, 400, str(exc), code="bad-request")
