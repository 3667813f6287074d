"""Every CloudNativePG object every overlay renders passes the validators that
@kubernetes-models/cloudnative-pg generates from CloudNativePG's own Go API types
(deploy/tools/cnpg-validator, installed by deploy/tools/install-cnpg-validator.sh).

Those validators check values (types, enums, patterns, bounds, required fields) but not
unknown field names; misspelt Cluster fields are caught by the field allow-list kept in
deploy/schemas (see test_deploy_manifests.py), which is checked here against the same types."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import DEPLOY, OVERLAYS

# The first test renders the overlays, installing kustomize on a fresh machine (~80 s), and
# installs the validator with npm ci (~10 s).
pytestmark = pytest.mark.timeout(900)

CNPG_GROUP = "postgresql.cnpg.io"
PACKAGE = "@kubernetes-models/cloudnative-pg"
PACKAGE_VERSION = "2.0.0"
ALLOWLIST = DEPLOY / "schemas" / "postgresql.cnpg.io_cluster_v1.FIELD-ALLOWLIST.json"


def is_cnpg(obj: dict[str, Any]) -> bool:
    return obj["apiVersion"].split("/")[0] == CNPG_GROUP


def a_cluster(rendered) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in rendered["prod"] if o["kind"] == "Cluster"))


def test_the_validator_is_the_pinned_package(cnpg_validator):
    manifest = json.loads((DEPLOY / "tools" / "cnpg-validator" / "package.json").read_text())
    assert manifest["dependencies"] == {PACKAGE: PACKAGE_VERSION}
    lock = json.loads((DEPLOY / "tools" / "cnpg-validator" / "package-lock.json").read_text())
    assert lock["packages"][f"node_modules/{PACKAGE}"]["version"] == PACKAGE_VERSION
    installed = cnpg_validator / "node_modules" / PACKAGE / "package.json"
    assert json.loads(installed.read_text())["version"] == PACKAGE_VERSION


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_cnpg_object_passes_the_cnpg_validator(rendered, cnpg_validate, overlay):
    objects = [o for o in rendered[overlay] if is_cnpg(o)]
    assert {"Cluster", "ScheduledBackup"} <= {o["kind"] for o in objects}, overlay
    status, results = cnpg_validate(objects)
    failures = [
        f"{overlay} {r['kind']}/{r['name']}: {'; '.join(r['errors'])}"
        for r in results if r["status"] != "valid"
    ]
    assert not failures, "\n".join(failures)
    assert status == 0


def test_a_cluster_with_a_wrongly_typed_field_is_rejected(rendered, cnpg_validate):
    good = a_cluster(rendered)
    bad = copy.deepcopy(good)
    bad["spec"]["instances"] = "three"
    status, [ok, rejected] = cnpg_validate([good, bad])
    assert ok["status"] == "valid", ok
    assert status == 1
    assert rejected["status"] == "invalid"
    assert "data/spec/instances must be integer" in rejected["errors"]


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (("spec", "instances"), 0, "data/spec/instances must be >= 1"),
        (("spec", "storage", "size"), 100, "data/spec/storage/size must be string"),
        (("spec", "backup", "retentionPolicy"), "30 days",
         "data/spec/backup/retentionPolicy must match pattern"),
        (("spec", "backup", "target"), "anywhere",
         "data/spec/backup/target must be equal to one of the allowed values"),
        (("spec", "postgresql", "parameters", "max_connections"), 200,
         "data/spec/postgresql/parameters/max_connections must be string"),
    ],
)
def test_a_cluster_with_a_bad_value_is_rejected(rendered, cnpg_validate, path, value, error):
    bad = a_cluster(rendered)
    node = bad
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    status, [result] = cnpg_validate([bad])
    assert status == 1 and result["status"] == "invalid"
    assert any(e.startswith(error) for e in result["errors"]), result["errors"]


def test_a_scheduled_backup_with_a_wrongly_typed_field_is_rejected(rendered, cnpg_validate):
    backup = copy.deepcopy(next(o for o in rendered["prod"] if o["kind"] == "ScheduledBackup"))
    backup["spec"]["cluster"] = backup["spec"]["cluster"]["name"]
    status, [result] = cnpg_validate([backup])
    assert status == 1 and result["status"] == "invalid"
    assert "data/spec/cluster must be object" in result["errors"]


def test_a_cnpg_kind_without_a_validator_fails_rather_than_passes(cnpg_validate):
    database = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Database",
                "metadata": {"name": "x"}, "spec": {"name": "x", "owner": "x",
                                                    "cluster": {"name": "x"}}}
    status, [result] = cnpg_validate([database])
    assert status == 1 and result["status"] == "invalid"
    assert result["errors"][0].startswith("no validator for postgresql.cnpg.io/v1 Database")


def test_the_validator_does_not_catch_unknown_fields(rendered, cnpg_validate):
    """Documents the limitation the field allow-list in deploy/schemas covers."""
    bad = a_cluster(rendered)
    bad["spec"]["instance"] = 3
    _, [result] = cnpg_validate([bad])
    assert result["status"] == "valid"


# --- The Cluster field allow-list names only fields CloudNativePG's API types have. ---------

IMPORT = re.compile(r'^import \{ (\w+)(?: as (\w+))? \} from "([^"]+)";', re.M)
PROPERTY = re.compile(r'^\s+"(\w+)"\??: (.+?);?$', re.M)


def _dts(path: Path) -> tuple[dict[str, str], dict[str, Path]]:
    """A generated .d.ts -> (property -> its type, imported type name -> its .d.ts)."""
    text = path.read_text()
    props = dict(PROPERTY.findall(text))
    imports = {}
    for name, alias, source in IMPORT.findall(text):
        if source.startswith("."):
            target = (path.parent / source).resolve().with_suffix(".d.ts")
        else:  # a package export such as kubernetes-models/v1/ResourceRequirements
            target = path.parents[0]
            while target.name != "node_modules":
                target = target.parent
            target = target / (source + ".d.ts")
        imports[alias or name] = target
    return props, imports


def _check(allowed: dict[str, Any], dts: Path, where: str, problems: list[str]) -> None:
    props, imports = _dts(dts)
    for name, sub in allowed.get("properties", {}).items():
        if name not in props:
            problems.append(f"{where}/{name}: no such field in {dts.name}")
            continue
        if "properties" not in sub:
            continue
        [type_name] = re.findall(r"\bI\w+", props[name])[:1] or [None]
        if type_name not in imports:
            problems.append(f"{where}/{name}: cannot resolve type {props[name]}")
            continue
        _check(sub, imports[type_name], f"{where}/{name}", problems)


def test_the_cluster_field_allow_list_names_only_real_fields(cnpg_validator):
    allowed = json.loads(ALLOWLIST.read_text())
    cluster = (cnpg_validator / "node_modules" / PACKAGE / "postgresql.cnpg.io" / "v1"
               / "Cluster.d.ts")
    problems: list[str] = []
    _check(allowed, cluster, "", problems)
    assert not problems, "\n".join(problems)
