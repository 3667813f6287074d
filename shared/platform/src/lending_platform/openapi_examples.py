"""Examples in the OpenAPI, written once per route module (``entrypoints/examples.py``):

    @router.post("/things", responses=documented(PROBLEMS, 201, {"one": ("A thing", body)},
                 problems_shown={409: [problem_example("thing-taken", "...", "/v1/things")]}))
    async def create(body: Annotated[ThingCreate, Body(openapi_examples=examples(...))]): ...

Problem examples are built from the catalogue (problem_catalogue.py), so their `type` and
`title` are what the service sends. Statuses without one get a generic example when the
document is built (problem_openapi.py).
"""

from __future__ import annotations

import copy
from typing import Any

from lending_platform.problem_catalogue import PROBLEM_JSON, catalogue

Named = dict[str, tuple[str, Any]]  # example name -> (summary, value)
# FastAPI drops every null from the document it builds (exclude_none), examples included,
# so a null an example shows travels as this marker until restore_nulls puts it back.
NULL = "\u2400null"


def examples(named: Named) -> dict[str, Any]:
    """The OpenAPI ``examples`` map (also what ``Body(openapi_examples=...)`` takes)."""
    return {name: {"summary": summary, "value": _mark_nulls(value)}
            for name, (summary, value) in named.items()}


def _mark_nulls(value: Any) -> Any:
    if value is None:
        return NULL
    if isinstance(value, dict):
        return {k: _mark_nulls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_nulls(v) for v in value]
    return value


def restore_nulls(value: Any) -> Any:
    if value == NULL:
        return None
    if isinstance(value, dict):
        return {k: restore_nulls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restore_nulls(v) for v in value]
    return value


def problem_example(code: str, detail: str, instance: str, *, status: int | None = None,
                    errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    kind = catalogue()[code]
    body: dict[str, Any] = {"type": kind.type, "title": kind.title,
                            "status": status or kind.status[0], "detail": detail,
                            "instance": instance}
    if errors:
        body["errors"] = errors
    return body


def documented(problems: dict[int | str, dict[str, Any]], status: int, ok: Named, *,
               problems_shown: dict[int, list[dict[str, Any]]] | None = None,
               media: str = "application/json") -> dict[int | str, dict[str, Any]]:
    """``problems`` (a route module's error responses) with the success response's examples
    and, per status, the problem documents worth showing."""
    out = with_problems(problems, problems_shown or {})
    out.setdefault(status, {}).setdefault("content", {}).setdefault(media, {})[
        "examples"] = examples(ok)
    return out


def with_problems(problems: dict[int | str, dict[str, Any]],
                  shown: dict[int, list[dict[str, Any]]]) -> dict[int | str, dict[str, Any]]:
    """``problems`` with the problem documents worth showing, per status."""
    out = copy.deepcopy(problems)
    for code, bodies in shown.items():
        content = out.setdefault(code, {}).setdefault("content", {})
        named: Named = {}
        for body in bodies:
            name = body["type"].rsplit("/", 1)[-1]
            named[name if name not in named else f"{name}-{len(named) + 1}"] = (
                body["detail"], body)
        content[PROBLEM_JSON] = {"examples": examples(named)}
    return out
