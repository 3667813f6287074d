"""``python -m lending_platform.openapi_tools generate|check``: each service's OpenAPI
document, committed under ``docs/openapi/<service>.json``, and the catalogue of the problem
types they answer with, ``docs/problems.md`` (from problems.toml).

Like the event schemas, the committed documents are the baseline: ``check`` fails when the
code no longer generates them, and names every breaking change to an endpoint partners
call (every path outside ``/v1/ops`` and ``/v1/admin``): an operation or a success status
gone, a request field made required or added as required, a parameter made required, a
response field removed or made optional, a field's type changed. ``generate`` refuses to
write a breaking change (``--force`` only for an endpoint never released).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from lending_platform.problem_catalogue import render_markdown

SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
DEFAULT_DIR = Path(__file__).resolve().parents[4] / "docs" / "openapi"
PROBLEMS_DOC = DEFAULT_DIR.parent / "problems.md"
_INTERNAL = ("/v1/ops", "/v1/admin")
_METHODS = ("get", "put", "post", "delete", "patch")
Spec = dict[str, Any]


def spec_of(name: str) -> Spec:
    """The service's OpenAPI as its app serves it (building the app does no I/O)."""
    config = importlib.import_module(f"lending_{name}.config")
    entry = importlib.import_module(f"lending_{name}.entrypoints.app")
    # Only the document is wanted: no keys are used, so the development ones do.
    settings = config.Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:9/none",
                               environment="development")
    spec: Spec = entry.create_app(settings).openapi()
    return spec


def dumps(spec: Spec) -> str:
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def _resolve(spec: Spec, schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _fields(spec: Spec, schema: Any, prefix: str = "", depth: int = 0
            ) -> dict[str, tuple[str, bool]]:
    """field path -> (its type, whether required), through $refs, arrays and anyOf."""
    schema = _resolve(spec, schema)
    if not isinstance(schema, dict) or depth > 8:
        return {}
    out: dict[str, tuple[str, bool]] = {}
    required = set(schema.get("required", []))
    for key, sub in schema.get("properties", {}).items():
        path = f"{prefix}{key}"
        resolved = _resolve(spec, sub)
        kinds = sorted({str(_resolve(spec, s).get("type", "object"))
                        for s in resolved.get("anyOf", [resolved])})
        out[path] = ("|".join(kinds), key in required)
        for part in resolved.get("anyOf", [resolved]):
            part = _resolve(spec, part)
            out.update(_fields(spec, part, f"{path}.", depth + 1))
            if part.get("type") == "array":
                out.update(_fields(spec, part.get("items", {}), f"{path}[].", depth + 1))
    return out


def _body(spec: Spec, holder: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    content = holder.get("content", {})
    media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
    return _fields(spec, media.get("schema", {}))


def breaking_changes(old: Spec, new: Spec) -> list[str]:
    """What a partner integrated against ``old`` would find broken in ``new``."""
    found: list[str] = []
    for path, operations in old.get("paths", {}).items():
        if path.startswith(_INTERNAL):
            continue
        for method in (m for m in operations if m in _METHODS):
            where = f"{method.upper()} {path}"
            before, after = operations[method], new.get("paths", {}).get(path, {}).get(method)
            if after is None:
                found.append(f"{where}: operation removed")
                continue
            found += _request_breaks(old, new, where, before, after)
            for status, response in before.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                if status not in after.get("responses", {}):
                    found.append(f"{where}: response {status} removed")
                    continue
                was, now = _body(old, response), _body(new, after["responses"][status])
                for field, (kind, required) in was.items():
                    if field not in now:
                        found.append(f"{where} {status}: response field {field} removed")
                    elif now[field][0] != kind:
                        found.append(f"{where} {status}: response field {field} type changed")
                    elif required and not now[field][1]:
                        found.append(f"{where} {status}: response field {field} made optional")
    return found


def _request_breaks(old: Spec, new: Spec, where: str, before: dict[str, Any],
                    after: dict[str, Any]) -> list[str]:
    found: list[str] = []
    was_params = {(p["in"], p["name"]): p.get("required", False)
                  for p in before.get("parameters", [])}
    for p in after.get("parameters", []):
        if p.get("required") and not was_params.get((p["in"], p["name"]), False):
            found.append(f"{where}: parameter {p['in']}.{p['name']} required")
    was = _body(old, before.get("requestBody", {}))
    now = _body(new, after.get("requestBody", {}))
    for field, (kind, required) in now.items():
        if field not in was:
            if required:
                found.append(f"{where}: request field {field} added as required")
        elif was[field][0] != kind:
            found.append(f"{where}: request field {field} type changed")
        elif required and not was[field][1]:
            found.append(f"{where}: request field {field} made required")
    return found


def check(directory: Path = DEFAULT_DIR, catalogue_doc: Path = PROBLEMS_DOC) -> list[str]:
    """Every problem with the committed documents; empty when all is well."""
    problems: list[str] = []
    if not catalogue_doc.exists() or catalogue_doc.read_text() != render_markdown():
        problems.append(f"{catalogue_doc.name}: out of date; run make openapi")
    for name in SERVICES:
        file = directory / f"{name}.json"
        if not file.exists():
            problems.append(f"{file.name}: not committed; run make openapi")
            continue
        committed, spec = json.loads(file.read_text()), spec_of(name)
        if dumps(committed) == dumps(spec):
            continue
        breaks = breaking_changes(committed, spec)
        problems += [f"{name}: breaking change to a partner endpoint: {b}" for b in breaks]
        if not breaks:
            problems.append(f"{file.name}: out of date (no breaking change); run make openapi")
    return problems


def generate(directory: Path = DEFAULT_DIR, force: bool = False,
             catalogue_doc: Path = PROBLEMS_DOC) -> list[str]:
    """Writes each service's document and the problem catalogue; returns the documents
    refused for a breaking change."""
    directory.mkdir(parents=True, exist_ok=True)
    catalogue_doc.write_text(render_markdown())
    refused: list[str] = []
    for name in SERVICES:
        file, spec = directory / f"{name}.json", spec_of(name)
        if file.exists() and not force:
            breaks = breaking_changes(json.loads(file.read_text()), spec)
            if breaks:
                refused += [f"{name}: not rewritten, {b}" for b in breaks]
                continue
        file.write_text(dumps(spec))
    return refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=("generate", "check"))
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args()
    problems = (generate(args.dir, args.force) if args.command == "generate"
                else check(args.dir))
    for problem in problems:
        print(problem, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
