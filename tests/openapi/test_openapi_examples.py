"""Partners integrate from the examples in the OpenAPI: every operation a partner key may call
shows a request example (when it takes a body) and a success example, its main problems
(422 naming a field, 409) show one too, and every example in every service's document is
valid against its own schema and its pydantic model (so none teaches a wrong format)."""

from __future__ import annotations

import importlib
from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from lending_platform.auth import authenticate, require_partner
from lending_platform.openapi_tools import SERVICES

Spec = dict[str, Any]


def _app(name: str) -> FastAPI:
    config = importlib.import_module(f"lending_{name}.config")
    entry = importlib.import_module(f"lending_{name}.entrypoints.app")
    app: FastAPI = entry.create_app(config.Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none", environment="development"))
    return app


def _takes_partner_keys(route: APIRoute) -> bool:
    # PartnerPrincipal (require_partner) or AnyPrincipal (authenticate itself, either kind).
    calls = {d.call for d in route.dependant.dependencies}
    return require_partner in calls or authenticate in calls


def _partner_routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    found: dict[tuple[str, str], APIRoute] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and _takes_partner_keys(route):
            for method in context.methods or ():
                found[(method.lower(), str(context.path))] = route
    return found


APPS = {name: _app(name) for name in SERVICES}
PARTNER_OPERATIONS = [(name, method, path) for name, app in APPS.items()
                      for method, path in sorted(_partner_routes(app))]


def _examples(media: dict[str, Any]) -> list[Any]:
    found = [e["value"] for e in media.get("examples", {}).values()]
    return found + ([media["example"]] if "example" in media else [])


def _operation(name: str, method: str, path: str) -> dict[str, Any]:
    operation: dict[str, Any] = APPS[name].openapi()["paths"][path][method]
    return operation


def test_partners_call_intake_and_servicing_with_their_keys() -> None:
    assert {name for name, _, _ in PARTNER_OPERATIONS} == {"intake", "servicing"}
    assert ("intake", "post", "/v1/applications") in PARTNER_OPERATIONS
    assert ("servicing", "post", "/v1/loans/{loan_id}/payments") in PARTNER_OPERATIONS


@pytest.mark.parametrize(("name", "method", "path"), PARTNER_OPERATIONS)
def test_every_partner_loan_operation_shows_a_request_and_a_success_example(
        name: str, method: str, path: str) -> None:
    operation = _operation(name, method, path)
    if "requestBody" in operation:
        assert _examples(operation["requestBody"]["content"]["application/json"]), (
            "no request example")
    successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
    assert successes
    for status, response in successes.items():
        assert _examples(response["content"]["application/json"]), f"no {status} example"


@pytest.mark.parametrize(("name", "method", "path"), PARTNER_OPERATIONS)
def test_every_partner_loan_operation_shows_its_invalid_and_conflicting_requests(
        name: str, method: str, path: str) -> None:
    responses = _operation(name, method, path)["responses"]
    for status in ("422", "409"):
        if status not in responses:
            continue
        shown = _examples(responses[status]["content"]["application/problem+json"])
        assert shown, f"no {status} example"
        assert all(p["status"] == int(status) for p in shown)
        if status == "422":
            assert all(p["errors"] and all(e["field"] for e in p["errors"]) for p in shown)


def _every_example(spec: Spec) -> list[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example in the document."""
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            holders = [("request", operation.get("requestBody", {})),
                       *operation.get("responses", {}).items()]
            for label, holder in holders:
                for media_type, media in holder.get("content", {}).items():
                    for example in _examples(media):
                        found.append((f"{method.upper()} {path} {label} {media_type}",
                                      media.get("schema", {}), example))
    return found


@pytest.mark.parametrize("name", SERVICES)
def test_every_loan_example_is_valid_against_its_own_schema(name: str) -> None:
    spec = APPS[name].openapi()
    checked = 0
    for where, schema, example in _every_example(spec):
        validator = jsonschema.Draft202012Validator(
            {**schema, "components": spec["components"]},
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validator.iter_errors(example)]
        assert errors == [], where
        checked += 1
    assert checked, f"{name} shows no example at all"


def _model(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(
        annotation, BaseModel) else None


@pytest.mark.parametrize(("name", "method", "path"), PARTNER_OPERATIONS)
def test_every_partner_example_is_what_the_models_accept(
        name: str, method: str, path: str) -> None:
    """Beyond the schema: the models' own rules (an amount's digits match its currency)."""
    route = _partner_routes(APPS[name])[(method, path)]
    operation = _operation(name, method, path)
    for param in route.dependant.body_params:
        model = _model(param.field_info.annotation)
        assert model is not None
        for example in _examples(operation["requestBody"]["content"]["application/json"]):
            model.model_validate(example)
    response_model = _model(route.response_model)
    for status, response in operation["responses"].items():
        if status.startswith("2") and response_model is not None:
            for example in _examples(response["content"]["application/json"]):
                response_model.model_validate(example)
