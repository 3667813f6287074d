"""A request body above the service's limit is refused with a 413 problem document, whether
it declares its length or streams it in chunks, before any route parses it."""

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from lending_platform.body_limit import BodyLimitMiddleware
from lending_platform.problems import install_problem_handlers

LIMIT = 2048


class Note(BaseModel):
    text: str


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=LIMIT)

    @app.post("/v1/notes")
    async def create(note: Note) -> dict[str, int]:
        return {"length": len(note.text)}

    return app


async def _post(**kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post("/v1/notes", **kwargs)  # type: ignore[arg-type]


async def test_a_body_within_the_limit_reaches_the_route():
    response = await _post(json={"text": "x" * 1000})
    assert response.status_code == 200 and response.json() == {"length": 1000}


async def test_a_declared_body_above_the_limit_is_a_413_problem():
    response = await _post(json={"text": "x" * 5000})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == f"The request body is larger than {LIMIT} bytes."


async def test_a_streamed_body_above_the_limit_is_a_413_problem():
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = await _post(content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["status"] == 413
