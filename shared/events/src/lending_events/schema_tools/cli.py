"""``python -m lending_events.schema_tools generate|check``.

The committed schema files are the compatibility baseline: ``check`` compares each with what
the models generate now and fails on any difference, naming the incompatible fields when the
change would break a consumer. ``generate`` refuses to overwrite a committed schema with an
incompatible one (use --force only for a schema never released); bump ``schema_version`` and
register an upcaster instead, which writes a new ``<EventType>.v<N>.json`` beside the old.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from lending_events.registry import EVENT_TYPES
from lending_events.schema_tools.asyncapi import build_asyncapi
from lending_events.schema_tools.compat import compare
from lending_events.schema_tools.jsonschemas import ENVELOPE_NAME, dumps, expected_schemas
from lending_events.schema_tools.yamlout import to_yaml
from lending_events.upcasting import UPCASTERS

DEFAULT_ROOT = Path(__file__).resolve().parents[3]  # shared/events in the source tree
ASYNCAPI_FILE = "asyncapi.yaml"
_FILE_RE = re.compile(r"^(?P<type>[A-Za-z]+)\.v(?P<version>\d+)\.json$")


def _committed(schemas_dir: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted(schemas_dir.glob("*.json"))}


def _label(file_name: str) -> str:
    return file_name.removesuffix(".json")


def check(root: Path = DEFAULT_ROOT) -> list[str]:
    """Every problem with the committed schemas and AsyncAPI document; empty when all is well."""
    problems: list[str] = []
    committed = _committed(root / "schemas")
    for name, schema in expected_schemas().items():
        if name not in committed:
            problems.append(f"{_label(name)}: no committed schema; run generate")
            continue
        if committed[name] == schema:
            continue
        breaks = compare(committed[name], schema)
        problems.extend(
            f"{_label(name)}: incompatible change at {b}; keep this version's schema, bump "
            "schema_version and register an upcaster" for b in breaks
        )
        if not breaks:
            problems.append(f"{_label(name)}: committed schema is out of date (compatible "
                            "change); run generate")
    problems.extend(_version_history_problems(committed))
    asyncapi = root / ASYNCAPI_FILE
    if not asyncapi.exists() or asyncapi.read_text() != to_yaml(build_asyncapi()):
        problems.append(f"{ASYNCAPI_FILE}: out of date; run generate")
    return problems


def _version_history_problems(committed: dict[str, dict]) -> list[str]:
    problems: list[str] = []
    versions: dict[str, set[int]] = {}
    for name in committed:
        match = _FILE_RE.match(name)
        if match is None:
            problems.append(f"{name}: not a <EventType>.v<N>.json file")
            continue
        versions.setdefault(match["type"], set()).add(int(match["version"]))
    for event_type, found in versions.items():
        cls = EVENT_TYPES.get(event_type)
        if cls is None:
            if f"{event_type}.v1" != ENVELOPE_NAME:
                problems.append(f"{event_type}: schema committed but the event type is gone; "
                                "consumers may still receive it")
            continue
        current = cls.schema_version
        for old in range(1, current):
            if old not in found:
                problems.append(f"{event_type}.v{old}: old version's schema was deleted")
            if (event_type, old) not in UPCASTERS:
                problems.append(f"{event_type}: no upcaster from v{old} to v{old + 1}")
        for newer in sorted(v for v in found if v > current):
            problems.append(f"{event_type}.v{newer}: newer than the model (v{current})")
    return problems


def generate(root: Path = DEFAULT_ROOT, force: bool = False) -> list[str]:
    """Write every schema and the AsyncAPI document; returns refusals (incompatible rewrites)."""
    schemas_dir = root / "schemas"
    schemas_dir.mkdir(parents=True, exist_ok=True)
    committed = _committed(schemas_dir)
    refused: list[str] = []
    for name, schema in expected_schemas().items():
        breaks = compare(committed[name], schema) if name in committed else []
        if breaks and not force:
            refused.extend(f"{_label(name)}: not rewritten, incompatible change at {b}"
                           for b in breaks)
            continue
        (schemas_dir / name).write_text(dumps(schema))
    (root / ASYNCAPI_FILE).write_text(to_yaml(build_asyncapi()))
    return refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lending_events.schema_tools")
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                        help="folder holding schemas/ and asyncapi.yaml")
    parser.add_argument("--force", action="store_true",
                        help="generate: overwrite even incompatible schemas (unreleased only)")
    args = parser.parse_args(argv)
    if args.command == "generate":
        problems = generate(args.root, force=args.force)
    else:
        problems = check(args.root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{args.command}: {len(EVENT_TYPES)} events, schemas and {ASYNCAPI_FILE} ok")
    return 1 if problems else 0
