"""One access log line per HTTP request, in every service (logger ``lending.access``): who
called (the principal's id, kind and role once the API key is verified; ``-`` before), the
method and the route *template* (``/v1/loans/{loan_id}``: never the path itself nor the query
string, which may carry personal data), the status, the duration and the correlation id.

Probes and scrapes (``/healthz``, ``/readyz``, ``/metrics``) are logged at DEBUG: every few
seconds from every replica, they would bury the requests an auditor looks for.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lending_platform.credentials import Principal

log = logging.getLogger("lending.access")
PRINCIPAL_STATE = "principal"
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def remember_principal(request: Request, principal: Principal) -> None:
    """Called by the authentication dependency: the access line names who called."""
    request.state.principal = principal


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state: dict[str, Any] = scope.setdefault("state", {})
        response: dict[str, Any] = {"status": 500, "correlation_id": None}

        async def observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["correlation_id"] = MutableHeaders(scope=message).get(
                    "x-correlation-id")
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            _log(scope, state.get(PRINCIPAL_STATE), response, time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """``/v1/loans/{loan_id}`` for ``/v1/loans/L-1``: the request's path with each path
    parameter's value put back as its name (an included router's route object knows only
    its own part of the path), ``unmatched`` when no route matched."""
    if scope.get("route") is None:
        return "unmatched"
    names = {str(value): f"{{{name}}}" for name, value in
             (scope.get("path_params") or {}).items()}
    return "/".join(names.get(part, part) for part in scope["path"].split("/"))


def _log(scope: Scope, principal: Any, response: dict[str, Any], seconds: float) -> None:
    route = route_template(scope)
    level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
    if not log.isEnabledFor(level):
        return
    who = principal if isinstance(principal, Principal) else None
    fields = {
        "method": scope["method"], "route": route, "status": response["status"],
        "duration_ms": round(seconds * 1000, 1),
        "principal_id": who.id if who else None, "principal_kind": who.kind if who else None,
        "role": who.role if who else None, "correlation_id": response["correlation_id"],
    }
    log.log(level, "%s %s %s %.1fms by %s", fields["method"], route, fields["status"],
            fields["duration_ms"], f"{who.kind}:{who.id}" if who else "-",
            extra={"fields": {"access": fields}})
