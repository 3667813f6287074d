"""Fixtures for the deployment tests: kustomize and the CloudNativePG validator (each installed
by the repo's own script when missing), the rendered overlays, the compose file and the kept
CRD schemas."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
OVERLAYS = sorted(p.name for p in (DEPLOY / "k8s" / "overlays").iterdir() if p.is_dir())
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
KUSTOMIZE = ROOT / ".local" / "bin" / "kustomize"
INSTALL_KUSTOMIZE = DEPLOY / "tools" / "install-kustomize.sh"
CNPG_VALIDATOR = ROOT / ".local" / "node" / "cnpg-validator"
INSTALL_CNPG_VALIDATOR = DEPLOY / "tools" / "install-cnpg-validator.sh"


def _install_kustomize() -> Path:
    # The script is idempotent: it returns at once when the pinned version is in place.
    subprocess.run(["bash", str(INSTALL_KUSTOMIZE)], check=True, timeout=900)
    return KUSTOMIZE


@pytest.fixture(scope="session")
def kustomize() -> Path:
    return _install_kustomize()


CnpgValidate = Callable[[list[dict[str, Any]]], tuple[int, list[dict[str, Any]]]]


@pytest.fixture(scope="session")
def cnpg_validator() -> Path:
    """The installed deploy/tools/cnpg-validator (node_modules under .local/, not the repo)."""
    # Idempotent like install-kustomize.sh: a checksum marker makes a second run instant.
    subprocess.run(["bash", str(INSTALL_CNPG_VALIDATOR)], check=True, timeout=900)
    return CNPG_VALIDATOR


@pytest.fixture(scope="session")
def cnpg_validate(cnpg_validator: Path) -> CnpgValidate:
    """objects -> (exit status, one result per object) of `node validate.mjs`."""

    def run(objects: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
        proc = subprocess.run(
            ["node", str(cnpg_validator / "validate.mjs")], input=json.dumps(objects, default=str),
            capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode in (0, 1), f"cnpg validator crashed:\n{proc.stderr}"
        results = [json.loads(line) for line in proc.stdout.splitlines()]
        assert len(results) == len(objects), proc.stdout + proc.stderr
        return proc.returncode, results

    return run


@pytest.fixture(scope="session")
def rendered(kustomize: Path) -> dict[str, list[dict[str, Any]]]:
    """overlay name -> every object `kustomize build` emits for it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for overlay in OVERLAYS:
        proc = subprocess.run(
            [str(kustomize), "build", str(DEPLOY / "k8s" / "overlays" / overlay)],
            capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, f"kustomize build {overlay} failed:\n{proc.stderr}"
        out[overlay] = [d for d in yaml.safe_load_all(proc.stdout) if d]
    return out


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


@pytest.fixture(scope="session")
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the kept openAPIV3Schema of that custom resource."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted((DEPLOY / "schemas").glob("*.json")):
        schema = json.loads(path.read_text())
        crd = schema["x-crd"]
        schemas[(f"{crd['group']}/{crd['version']}", crd["kind"])] = schema
    return schemas


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["kind"] == kind]


def named(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} named {name}, found {len(matches)}"
    return matches[0]
