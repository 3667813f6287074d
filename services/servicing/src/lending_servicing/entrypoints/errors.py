"""Domain errors to problem details: the one place servicing maps them to HTTP."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lending_platform.problems import problem_response
from lending_servicing.domain.errors import (
    CalendarError,
    CurrencyMismatchError,
    IdempotencyKeyReusedError,
    InvalidCloseError,
    InvalidPaymentError,
    LoanNotActiveError,
    LoanNotFoundError,
    PayoffQuoteError,
    PayoffQuoteUsedError,
    ServicingError,
)


def install_servicing_errors(app: FastAPI) -> None:
    @app.exception_handler(ServicingError)
    async def _servicing(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, LoanNotFoundError):
            return problem_response(request, 404, str(exc), code="not-found")
        if isinstance(exc, InvalidPaymentError | InvalidCloseError):
            return problem_response(
                request, 422, f"The request is invalid: {exc.field}",
                code="validation-error", title="Validation failed",
                errors=[{"field": exc.field, "message": exc.message}])
        if isinstance(exc, IdempotencyKeyReusedError):
            return problem_response(
                request, 422, "This Idempotency-Key was already used with a different request "
                "body; use a new key for a new payment.", code="idempotency-key-reused",
                errors=[{"field": "header.idempotency-key", "message": "reused with another "
                         "body"}])
        if isinstance(exc, CurrencyMismatchError):
            return problem_response(request, 409, str(exc), code="currency-mismatch")
        if isinstance(exc, LoanNotActiveError):
            return problem_response(request, 409, str(exc), code="loan-not-active")
        if isinstance(exc, PayoffQuoteUsedError):
            return problem_response(request, 409, str(exc), code="payoff-quote-used")
        if isinstance(exc, PayoffQuoteError):
            return problem_response(request, 409, str(exc), code="payoff-quote-unusable")
        if isinstance(exc, CalendarError):
            return problem_response(request, 409, str(exc), code="calendar-conflict")
        return problem_response(request, 400, str(exc), code="bad-request")
