"""FastAPI dependencies that authenticate ``Authorization: Bearer <api key>`` in any service.

    @router.get("/v1/things")
    async def things(partner: PartnerPrincipal) -> ...

    @router.post("/v1/ops/thing", dependencies=[Depends(require_operator("servicer"))])

401: no key, or one this service does not know (yet) or that was revoked; 403: a valid key
of the wrong kind or role; 429 with Retry-After: the partner's per-second limit is spent.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lending_platform.access_log import remember_principal
from lending_platform.credentials import (
    OPERATOR,
    PARTNER,
    CredentialStore,
    Principal,
    RateLimiter,
)
from lending_platform.problems import ProblemError

bearer = HTTPBearer(auto_error=False, description="An API key issued by `loanctl`")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="lending"'}


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, code="unauthorized", headers=CHALLENGE)


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("Send your API key as `Authorization: Bearer <api key>`.")
    store: CredentialStore = request.app.state.runtime.ports["credentials"]
    principal = await store.lookup(credentials.credentials)
    if principal is None:
        raise _unauthorized("The API key is unknown or was revoked.")
    remember_principal(request, principal)
    limiter: RateLimiter = request.app.state.runtime.ports["rate_limiter"]
    wait = limiter.retry_after(principal)
    if wait is not None:
        raise ProblemError(
            429, f"Rate limit of {principal.rate_limit_per_second} requests/s exceeded.",
            code="rate-limited", headers={"Retry-After": str(max(1, math.ceil(wait)))},
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
