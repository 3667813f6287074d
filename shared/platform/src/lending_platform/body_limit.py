"""A request body limit in every service itself, not only in the ingress: a body larger than
``max_bytes`` is refused with a 413 problem document before the service parses it.

A declared ``Content-Length`` above the limit is answered at once, without reading the body;
a body sent without one (chunked) is counted as it arrives and refused once it passes the
limit. FastAPI's own ``max_body_size`` would do the counting, but answers a declared length in
plain text, and every error here is a problem document.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lending_platform.problems import problem_response

DEFAULT_MAX_BODY_BYTES = 1_048_576


class BodyTooLargeError(HTTPException):
    """Raised while reading a body past the limit; FastAPI re-raises an HTTPException from
    the body reader, so the problem handler answers it (problems.py)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {max_bytes} bytes.")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            too_large = BodyTooLargeError(self.max_bytes)
            response = problem_response(Request(scope), 413, str(too_large.detail),
                                        code="request-entity-too-large")
            response.headers["Connection"] = "close"  # the unread body stays on the socket
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, counted, send)
