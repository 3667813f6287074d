"""Each service's OpenAPI is committed under docs/openapi/ and is the baseline partners
integrate against: the code drifting from it fails, and a breaking change to a partner
endpoint is named, like the event schemas' compatibility check."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lending_platform.openapi_tools import DEFAULT_DIR, breaking_changes, check

INTAKE = json.loads((DEFAULT_DIR / "intake.json").read_text())
APPLY = ("/v1/applications", "post")


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def _request_schema(spec: dict[str, Any]) -> dict[str, Any]:
    ref = spec["paths"][APPLY[0]][APPLY[1]]["requestBody"]["content"]["application/json"][
        "schema"]["$ref"]
    return _schema(spec, ref.rsplit("/", 1)[-1])


def test_the_committed_loan_service_documents_are_what_the_code_serves() -> None:
    assert check() == []


def test_a_stale_committed_document_asks_to_regenerate(tmp_path: Path) -> None:
    for file in DEFAULT_DIR.glob("*.json"):
        (tmp_path / file.name).write_text(file.read_text())
    stale = copy.deepcopy(INTAKE)
    stale["info"]["description"] = "an older wording"
    (tmp_path / "intake.json").write_text(json.dumps(stale))
    assert check(tmp_path) == ["intake.json: out of date (no breaking change); run make openapi"]


def test_the_same_document_breaks_no_partner() -> None:
    assert breaking_changes(INTAKE, copy.deepcopy(INTAKE)) == []


def test_removing_the_loan_application_endpoint_breaks_partners() -> None:
    new = copy.deepcopy(INTAKE)
    del new["paths"][APPLY[0]][APPLY[1]]
    assert breaking_changes(INTAKE, new) == ["POST /v1/applications: operation removed"]


def test_a_new_required_application_field_breaks_partners_but_an_optional_one_does_not(
        ) -> None:
    optional = copy.deepcopy(INTAKE)
    _request_schema(optional)["properties"]["channel"] = {"type": "string"}
    assert breaking_changes(INTAKE, optional) == []
    required = copy.deepcopy(optional)
    _request_schema(required).setdefault("required", []).append("channel")
    assert breaking_changes(INTAKE, required) == [
        "POST /v1/applications: request field channel added as required"]


def test_removing_a_field_partners_read_from_an_application_breaks_them() -> None:
    new = copy.deepcopy(INTAKE)
    ref = new["paths"]["/v1/applications/{application_id}"]["get"]["responses"]["200"][
        "content"]["application/json"]["schema"]["$ref"]
    schema = _schema(new, ref.rsplit("/", 1)[-1])
    field = sorted(schema["properties"])[0]
    del schema["properties"][field]
    assert f"GET /v1/applications/{{application_id}} 200: response field {field} removed" in (
        breaking_changes(INTAKE, new))


@pytest.mark.parametrize("path", ["/v1/ops/messaging"])
def test_operator_endpoints_may_change_without_breaking_partners(path: str) -> None:
    new = copy.deepcopy(INTAKE)
    del new["paths"][path]
    assert breaking_changes(INTAKE, new) == []
