"""What each service's OpenAPI promises for errors is what it sends: RFC 9457 problem details
(``application/problem+json``), never FastAPI's default ``HTTPValidationError``."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
PROBLEM_REF = "#/components/schemas/Problem"


def _openapi(name: str) -> dict[str, Any]:
    config = importlib.import_module(f"lending_{name}.config")
    entry = importlib.import_module(f"lending_{name}.entrypoints.app")
    # Building the app does no I/O; the database is never reached.
    settings = config.Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none")
    spec: dict[str, Any] = entry.create_app(settings).openapi()
    return spec


def _responses(spec: dict[str, Any], status: str) -> dict[str, dict[str, Any]]:
    return {f"{method.upper()} {path}": op["responses"][status]
            for path, ops in spec["paths"].items() for method, op in ops.items()
            if status in op.get("responses", {})}


@pytest.mark.parametrize("name", SERVICES)
def test_every_invalid_loan_request_is_documented_as_a_problem_naming_its_fields(name):
    spec = _openapi(name)
    invalid = _responses(spec, "422")
    assert invalid, f"{name} documents no 422 at all"
    for where, response in invalid.items():
        assert list(response["content"]) == ["application/problem+json"], where
        assert response["content"]["application/problem+json"]["schema"] == {
            "$ref": PROBLEM_REF}, where
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    problem = schemas["Problem"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(
        problem["properties"])
    item = problem["properties"]["errors"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert {"field", "message"} <= set(schemas[item]["required"])


@pytest.mark.parametrize("name", SERVICES)
def test_every_documented_problem_response_has_the_problem_schema(name):
    spec = _openapi(name)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status, response in op.get("responses", {}).items():
                content = response.get("content", {})
                if "application/problem+json" in content:
                    assert content["application/problem+json"].get("schema") == {
                        "$ref": PROBLEM_REF}, f"{method} {path} {status}"


@pytest.mark.parametrize("name", SERVICES)
def test_every_documented_loan_error_status_is_a_problem(name):
    spec = _openapi(name)
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status, response in op.get("responses", {}).items():
                if status[0] in "45":
                    content = response.get("content", {})
                    assert list(content) == ["application/problem+json"], f"{method} {path}"
                    assert content["application/problem+json"]["schema"] == {
                        "$ref": PROBLEM_REF}, f"{method} {path} {status}"
