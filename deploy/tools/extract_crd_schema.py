"""Keep the ``openAPIV3Schema`` of one version of a CustomResourceDefinition as a JSON file.

    python deploy/tools/extract_crd_schema.py CRD.yaml VERSION OUT.json

Descriptions are dropped (they are documentation, not validation, and make up most of the
size); every validation keyword is kept as published.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml


def strip_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: strip_descriptions(value)
            for key, value in node.items()
            # "description" is a keyword only beside a schema's other keywords; under
            # "properties" it is a field *named* description and must stay.
            if not (key == "description" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [strip_descriptions(item) for item in node]
    return node


def extract(crd_path: Path, version: str) -> dict[str, Any]:
    for doc in yaml.safe_load_all(crd_path.read_text()):
        if not doc or doc.get("kind") != "CustomResourceDefinition":
            continue
        for entry in doc["spec"]["versions"]:
            if entry["name"] == version:
                schema = strip_descriptions(entry["schema"]["openAPIV3Schema"])
                schema["x-crd"] = {
                    "group": doc["spec"]["group"], "kind": doc["spec"]["names"]["kind"],
                    "version": version,
                }
                return dict(schema)
    raise SystemExit(f"error: {crd_path} has no version {version}")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    crd, version, out = Path(argv[0]), argv[1], Path(argv[2])
    out.write_text(json.dumps(extract(crd, version), indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
