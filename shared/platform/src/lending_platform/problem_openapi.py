"""The OpenAPI every service publishes documents its errors as they are sent: RFC 9457
problem details (``application/problem+json``, schema ``Problem``).

FastAPI documents a 422 on every operation with parameters as ``application/json`` with its
own ``HTTPValidationError``; our handlers (``problems.py``) never send that shape. The
generated document is corrected here, once, for every service.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from lending_platform.problems import PROBLEM_JSON

PROBLEM_REF = "#/components/schemas/Problem"
_FASTAPI_DEFAULTS = ("HTTPValidationError", "ValidationError")


class FieldProblem(BaseModel):
    model_config = ConfigDict(extra="allow")

    field: str = Field(description="Path of the offending field, e.g. `requested.amount`, "
                       "or `query.as_of` for a parameter")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details; extension members may follow."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI naming the kind of problem")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The request path")
    errors: list[FieldProblem] = Field(
        default_factory=list, description="On 422: every invalid field, by path")


def install_problem_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_problems(FastAPI.openapi(app))  # builds and caches app.openapi_schema
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def document_problems(spec: dict[str, Any]) -> None:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    problem = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[:1] in ("4", "5") or PROBLEM_JSON in content:
                    response["content"] = dict(problem)
                    if status == "422" and response.get("description") == "Validation Error":
                        response["description"] = "Invalid request; `errors` names every field"
    for name in _FASTAPI_DEFAULTS:  # dropped once nothing refers to them any more
        schema = schemas.pop(name, None)
        if schema is not None and f'"#/components/schemas/{name}"' in json.dumps(spec):
            schemas[name] = schema
