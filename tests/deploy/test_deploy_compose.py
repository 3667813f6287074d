"""docker-compose.yml, validated offline (issue 20, item 10): nothing it publishes listens
beyond the loopback interface unless LENDING_BIND_ADDRESS says so (Kafka's listener has no
authentication), and no password or key is written in the repository: each comes from the
uncommitted .env, which .env.example describes and deploy/compose/new-env.sh writes. The
exceptions are the development keys the code itself ships (public, refused outside
development; the compose stack is LENDING_ENVIRONMENT=development) and the empty Kafka SASL
passwords of its PLAINTEXT listener."""

from __future__ import annotations

import importlib
import re
import subprocess
from pathlib import Path
from typing import Any

from .conftest import ROOT, SERVICES

REQUIRED = re.compile(r"\$\{([A-Z0-9_]+):\?[^}]*\}")
DEFAULTED = re.compile(r"\$\{([A-Z0-9_]+):-([^}]*)\}")
SECRET_NAMES = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN")


def resolve_defaults(value: str) -> str:
    """What compose makes of a value when .env leaves its defaulted variables unset."""
    return DEFAULTED.sub(lambda m: m.group(2), value)


def example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
             if line and not line.startswith("#"))
    return {name: value for name, value in pairs}


def test_every_published_port_listens_on_loopback_by_default(compose: dict[str, Any]) -> None:
    published = {name: service.get("ports", []) for name, service in compose["services"].items()}
    assert published["postgres"] and published["kafka"]
    for name, ports in published.items():
        for port in ports:
            host_ip = resolve_defaults(str(port)).rsplit(":", 2)[0]
            assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond loopback"
    assert example()["LENDING_BIND_ADDRESS"] == "127.0.0.1"


def development_keys(service: str) -> set[str]:
    """The development defaults a service ships (``development_secret``): public values that
    only LENDING_ENVIRONMENT=development accepts."""
    if service not in SERVICES:
        return set()
    settings = importlib.import_module(f"lending_{service}.config").Settings
    return {info.default.get_secret_value() for info in settings.model_fields.values()
            if isinstance(info.json_schema_extra, dict)
            and info.json_schema_extra.get("development_secret")}


def test_no_password_or_key_is_written_in_the_compose_file(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        shipped = development_keys(name)
        for variable, value in (service.get("environment") or {}).items():
            if SECRET_NAMES.search(variable) and str(value) not in shipped | {""}:
                assert REQUIRED.fullmatch(str(value)), f"{name}: {variable} is written out"
    for service in SERVICES:
        url = compose["services"][service]["environment"][f"{service.upper()}_DATABASE_URL"]
        assert REQUIRED.search(url), f"{service}: the database password is written out"
        assert f"{service}:{service}@" not in url


def test_every_secret_compose_needs_is_described_and_left_empty_in_the_example(
        compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    needed = set(REQUIRED.findall(text))
    described = example()
    assert needed <= set(described), f"missing from .env.example: {needed - set(described)}"
    for name in needed:
        assert described[name] == "", f".env.example gives {name} a value"
    init = (ROOT / "deploy" / "compose" / "postgres-init.sh").read_text()
    assert "PASSWORD '" not in init.upper()  # passwords reach psql as variables only
    postgres_env = compose["services"]["postgres"]["environment"]
    for service in SERVICES:
        assert f"{service.upper()}_DB_PASSWORD" in postgres_env


def test_the_env_file_is_never_committed() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False)
    assert ignored.returncode == 0, ".env must be listed in .gitignore"
    tracked = subprocess.run(["git", "ls-files", ".env"], cwd=ROOT, capture_output=True,
                             text=True, check=True)
    assert tracked.stdout == ""


def test_new_env_fills_every_secret_with_a_fresh_value(tmp_path: Path) -> None:
    (tmp_path / "deploy" / "compose").mkdir(parents=True)
    script = tmp_path / "deploy" / "compose" / "new-env.sh"
    script.write_text((ROOT / "deploy" / "compose" / "new-env.sh").read_text())
    (tmp_path / ".env.example").write_text((ROOT / ".env.example").read_text())
    subprocess.run(["bash", str(script)], check=True, capture_output=True)
    written = dict(line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines()
                   if line and not line.startswith("#"))
    secrets = [name for name, value in example().items() if value == ""]
    assert secrets and all(len(written[name]) >= 32 for name in secrets)
    assert len({written[name] for name in secrets}) == len(secrets)
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0
    again = subprocess.run(["bash", str(script)], capture_output=True, text=True, check=False)
    assert again.returncode == 1  # an existing .env is never overwritten


def test_the_postgres_init_script_is_valid_bash() -> None:
    script = ROOT / "deploy" / "compose" / "postgres-init.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
