"""FastAPI dependencies that authenticate ``Authorization: Bearer <api key>`` in any service.

    @router.get("/v1/things")
    async def things(partner: PartnerPrincipal) -> ...

    @router.post("/v1/ops/thing", dependencies=[Depends(require_operator("servicer"))])

401: no key, or one this service does not know (yet), that was revoked or has expired;
403: a valid key of the wrong kind or role; 429 with Retry-After: the partner's per-second
limit is spent, or this client address failed to authenticate too often; 503 with
Retry-After: this service cannot vouch that its credential projection is recent
(lending_platform.freshness), so it honours no key for now.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lending_platform.access_log import remember_principal
from lending_platform.auth_failures import FailureLimiter
from lending_platform.credentials import (
    OPERATOR,
    PARTNER,
    CredentialStore,
    Principal,
    RateLimiter,
    StaleCredentialsError,
)
from lending_platform.problems import ProblemError

bearer = HTTPBearer(auto_error=False, description="An API key issued by `loanctl`")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="lending"'}


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, code="unauthorized", headers=CHALLENGE)


def _retry_after(wait: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(wait)))}


def client_address(request: Request) -> str:
    """The caller's address (uvicorn takes it from X-Forwarded-For only behind a proxy
    named in ``forwarded_allow_ips``)."""
    return request.client.host if request.client else "unknown"


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    ports = request.app.state.runtime.ports
    failures: FailureLimiter = ports["auth_failures"]
    address = client_address(request)
    wait = failures.retry_after(address)
    if wait is not None:
        raise ProblemError(429, "Too many failed authentications from this address.",
                           code="too-many-auth-failures", headers=_retry_after(wait))
    if credentials is None or credentials.scheme.lower() != "bearer":
        failures.failed(address)
        raise _unauthorized("Send your API key as `Authorization: Bearer <api key>`.")
    store: CredentialStore = ports["credentials"]
    try:
        principal = await store.lookup(credentials.credentials)
    except StaleCredentialsError as exc:
        raise ProblemError(
            503, "This service cannot confirm that API keys are current (its view of "
            "revocations is behind); retry shortly.", code="credentials-stale",
            headers=_retry_after(5)) from exc
    if principal is None:
        failures.failed(address)
        raise _unauthorized("The API key is unknown, expired or was revoked.")
    remember_principal(request, principal)
    limiter: RateLimiter = ports["rate_limiter"]
    wait = limiter.retry_after(principal)
    if wait is not None:
        raise ProblemError(
            429, f"Rate limit of {principal.rate_limit_per_second} requests/s exceeded.",
            code="rate-limited", headers=_retry_after(wait),
        )
    return principal


async def require_partner(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    if principal.kind != PARTNER:
        raise ProblemError(403, "This endpoint is for partner API keys.", code="forbidden")
    return principal


def require_operator(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """An operator whose role is one of ``roles``; ``admin`` may do everything."""

    async def dependency(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if principal.kind != OPERATOR:
            raise ProblemError(403, "This endpoint is for operator API keys.", code="forbidden")
        if principal.role != "admin" and principal.role not in roles:
            raise ProblemError(
                403, f"Role {principal.role!r} may not do this; needs one of {', '.join(roles)}.",
                code="forbidden",
            )
        return principal

    return dependency


PartnerPrincipal = Annotated[Principal, Depends(require_partner)]
AnyPrincipal = Annotated[Principal, Depends(authenticate)]
