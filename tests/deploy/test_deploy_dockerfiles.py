"""Lint-level checks of the service images: multi-stage from a pinned slim base, built from
the workspace with the locked dependencies, non-root, with a HEALTHCHECK on /healthz."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


def dockerfile(service: str) -> str:
    return (ROOT / "services" / service / "Dockerfile").read_text()


def base_images(text: str) -> list[str]:
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.M))
    images = re.findall(r"^FROM (\S+)", text, re.M)
    return [args.get(i.strip("${}"), i) for i in images]


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_is_multi_stage_from_a_pinned_python_slim(service):
    images = base_images(dockerfile(service))
    assert len(images) >= 2
    for image in images:
        assert re.fullmatch(r"python:3\.11\.\d+-slim(@sha256:[0-9a-f]{64})?", image), image


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_installs_only_its_locked_package(service):
    text = dockerfile(service)
    assert f"uv sync --package lending-{service} --frozen --no-dev" in text
    assert "uv==0.13.8" in text
    for part in ("pyproject.toml uv.lock", "shared/", "services/"):
        assert part in text


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_runs_as_a_non_root_user_with_a_healthcheck(service):
    text = dockerfile(service)
    runtime = text.split("AS runtime", 1)[1]
    users = re.findall(r"^USER (\S+)", runtime, re.M)
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert re.search(r"^HEALTHCHECK .*", runtime, re.M | re.S)
    assert "/healthz" in runtime and "urllib.request" in runtime
    assert f'CMD ["python", "-m", "lending_{service}"]' in runtime


def test_compose_builds_each_service_from_its_dockerfile(compose):
    for service in SERVICES:
        build = compose["services"][service]["build"]
        assert build == {"context": ".", "dockerfile": f"services/{service}/Dockerfile"}


def test_the_build_context_leaves_out_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".local", ".venv", ".git"} <= set(ignored)


def test_the_migration_entrypoint_finds_every_services_migrations():
    spec = importlib.util.spec_from_file_location(
        "deploy_migrate", ROOT / "deploy" / "docker" / "migrate.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert tuple(module.SERVICES) == SERVICES
    for service in SERVICES:
        assert (module.migrations_dir(service) / "env.py").exists()
    assert module.main(["nobody"]) == 2
