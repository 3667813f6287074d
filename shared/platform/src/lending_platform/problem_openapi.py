"""The OpenAPI every service publishes documents its errors as they are sent: RFC 9457
problem details (``application/problem+json``, schema ``Problem``).

Each problem response shows examples: the ones its route gives (openapi_examples.py), else
the catalogue's generic ones for the status (a 422 naming one of the operation's own fields).

FastAPI documents a 422 on every operation with parameters as ``application/json`` with its
own ``HTTPValidationError``; our handlers (``problems.py``) never send that shape. The
generated document is corrected here, once, for every service.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from lending_platform.openapi_examples import examples, problem_example, restore_nulls
from lending_platform.problem_catalogue import PROBLEM_JSON, catalogue

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

    type: str = Field(description="The problem type, `/problems/<code>`: a URI reference "
                      "that, resolved against the request URL, opens when it happens and what "
                      "to do (docs/problems.md). Compare errors by it")
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
    spec["paths"] = restore_nulls(spec.get("paths", {}))
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if status[:1] in ("4", "5") or PROBLEM_JSON in content:
                    shown = content.get(PROBLEM_JSON, {}).get("examples") or _generic(
                        spec, path, operation, status)
                    media: dict[str, Any] = {"schema": {"$ref": PROBLEM_REF}}
                    if shown:
                        media["examples"] = shown
                    response["content"] = {PROBLEM_JSON: media}
                    if status == "422" and response.get("description") == "Validation Error":
                        response["description"] = "Invalid request; `errors` names every field"
    for name in _FASTAPI_DEFAULTS:  # dropped once nothing refers to them any more
        schema = schemas.pop(name, None)
        if schema is not None and f'"#/components/schemas/{name}"' in json.dumps(spec):
            schemas[name] = schema


def _generic(spec: dict[str, Any], path: str, operation: dict[str, Any], status: str
             ) -> dict[str, Any]:
    if status == "422":
        field = _a_field(spec, operation)
        if field is None:
            return {}
        return examples({"validation-error": ("A field is missing", problem_example(
            "validation-error", f"The request is invalid: {field}", path,
            errors=[{"field": field, "message": "Field required"}]))})
    return examples({
        kind.code: (kind.example_detail, problem_example(
            kind.code, kind.example_detail, path, status=int(status)))
        for kind in catalogue().values()
        if kind.sent_by == "every service" and kind.example_detail and str(
            kind.status[0]) == status})


def _a_field(spec: dict[str, Any], operation: dict[str, Any]) -> str | None:
    """A field of the operation as a 422 names it: the body's first required field, else
    the first parameter (``query.limit``, ``path.loan_id``)."""
    media = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = media.get("schema", {})
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    required = schema.get("required", [])
    if required:
        return str(required[0])
    parameters = operation.get("parameters", [])
    if parameters:
        return f"{parameters[0]['in']}.{parameters[0]['name']}"
    return None
