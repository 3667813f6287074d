"""Lint-level checks of the service image: one Dockerfile for all five services (the build
argument SERVICE picks one), multi-stage from a pinned slim base, built from the workspace
with the locked dependencies in a layer of their own before the source, non-root, with a
HEALTHCHECK on /healthz."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

from lending_platform.container import service_environment

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
DOCKERFILE = ROOT / "deploy" / "docker" / "service.Dockerfile"


def dockerfile() -> str:
    return DOCKERFILE.read_text()


def base_images(text: str) -> list[str]:
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.M))
    images = re.findall(r"^FROM (\S+)", text, re.M)
    return [args.get(i.strip("${}"), i) for i in images]


def test_one_dockerfile_builds_every_service():
    assert not list(ROOT.glob("services/*/Dockerfile"))
    text = dockerfile()
    assert re.search(r"^ARG SERVICE$", text, re.M)
    assert "uv sync --package lending-${SERVICE} --frozen --no-dev --no-editable" in text


def test_the_image_is_multi_stage_from_a_pinned_python_slim():
    images = base_images(dockerfile())
    assert len(images) >= 2
    for image in images:
        assert re.fullmatch(r"python:3\.11\.\d+-slim(@sha256:[0-9a-f]{64})?", image), image


def test_the_dependencies_are_installed_in_a_layer_before_the_source_is_copied():
    builder = dockerfile().split("AS runtime", 1)[0]
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"][
        "members"]
    deps = builder.index("--no-install-workspace")
    assert "uv==0.13.8" in builder and "COPY pyproject.toml uv.lock ./" in builder[:deps]
    for member in members:  # uv reads every member's metadata to resolve the lock
        assert f"COPY {member}/pyproject.toml {member}/" in builder[:deps], member
    assert builder.index("COPY shared/ shared/") > deps
    assert builder.index("COPY services/ services/") > deps
    assert builder.index("--no-editable") > builder.index("COPY services/ services/")


def test_the_image_runs_as_a_non_root_user_with_a_healthcheck():
    runtime = dockerfile().split("AS runtime", 1)[1]
    users = re.findall(r"^USER (\S+)", runtime, re.M)
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    assert re.search(r"^HEALTHCHECK .*--healthcheck", runtime, re.M | re.S)
    assert 'CMD ["python", "-m", "lending_platform.container"]' in runtime
    assert "LENDING_SERVICE=${SERVICE}" in runtime


@pytest.mark.parametrize("service", SERVICES)
def test_the_container_entry_point_gives_each_service_its_host_and_port(service):
    prefix = service.upper()
    generic = {"LENDING_SERVICE": service, "LENDING_SERVICE_HOST": "0.0.0.0",
               "LENDING_SERVICE_PORT": "8009"}
    assert service_environment(generic) == (service, {f"{prefix}_HOST": "0.0.0.0",
                                                      f"{prefix}_PORT": "8009"})
    own = {**generic, f"{prefix}_PORT": "9000"}  # a Deployment's own setting wins
    assert service_environment(own) == (service, {f"{prefix}_HOST": "0.0.0.0"})
    with pytest.raises(SystemExit):
        service_environment({"LENDING_SERVICE": "payments"})


def test_compose_builds_each_service_from_the_one_dockerfile(compose):
    for port, service in enumerate(SERVICES, start=8001):
        build = compose["services"][service]["build"]
        assert build == {"context": ".", "dockerfile": "deploy/docker/service.Dockerfile",
                         "args": {"SERVICE": service, "PORT": str(port)}}


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
