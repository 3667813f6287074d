from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from lending_platform.app import build_app
from lending_platform.problems import problem_response
from lending_underwriting.bootstrap import bootstrap
from lending_underwriting.config import Settings
from lending_underwriting.domain.errors import (
    DecisionNotFoundError,
    NoOfferToApproveError,
    ReferralAlreadyDecidedError,
    ReferralNotFoundError,
    UnderwritingError,
)
from lending_underwriting.entrypoints.routes import router

# Domain errors -> HTTP, in one place: (status, problem code).
PROBLEMS: dict[type[UnderwritingError], tuple[int, str]] = {
    ReferralNotFoundError: (404, "referral-not-found"),
    DecisionNotFoundError: (404, "decision-not-found"),
    ReferralAlreadyDecidedError: (409, "referral-already-decided"),
    NoOfferToApproveError: (409, "no-offer-to-approve"),
}
FALLBACK_PROBLEM = (422, "underwriting-error")


def create_app(settings: Settings | None = None) -> FastAPI:
    app = build_app(
        settings or Settings(),
        bootstrap=bootstrap,
        migrations_dir=Path(__file__).parents[1] / "migrations",
        routers=[router],
        title="Underwriting service",
        description="Turns applications into explainable credit decisions and priced offers.",
    )

    @app.exception_handler(UnderwritingError)
    async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
        status, code = next(((s, c) for kind, (s, c) in PROBLEMS.items()
                             if isinstance(exc, kind)), FALLBACK_PROBLEM)
        return problem_response(request, status, str(exc), code=code)

    return app
