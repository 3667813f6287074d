"""Every setting a service reads is provided by docker-compose.yml and by every Kubernetes
overlay, read from the services' own pydantic Settings (fields and env prefix), so a setting
added to a service fails here until its deployment provides it."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

# The first test renders the overlays, installing kustomize on a fresh machine (~80 s).
pytestmark = pytest.mark.timeout(900)

SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
# Un-prefixed variables that ServiceSettings reads as the shared default for a field.
SHARED_DEFAULTS = {"kafka_bootstrap_servers": "KAFKA_BOOTSTRAP_SERVERS",
                   "environment": "LENDING_ENVIRONMENT",
                   "kafka_security_protocol": "KAFKA_SECURITY_PROTOCOL",
                   "kafka_sasl_mechanism": "KAFKA_SASL_MECHANISM",
                   "kafka_ssl_cafile": "KAFKA_SSL_CAFILE"}
# Fields deliberately left to the code's default, with the reason. Keep this list short.
# ("*" = every service.)
DEFAULTED = {
    ("*", "service_name"): "fixed per service by its Settings class; changing it renames "
                           "the consumer group and the default database",
    ("intake", "product_catalogue"): "the catalogue ships inside the intake package; mount "
                                     "a file and set INTAKE_PRODUCT_CATALOGUE to override",
    ("underwriting", "policy_path"): "None = the policy.toml packaged with underwriting; mount a "
                                     "file and set UNDERWRITING_POLICY_PATH to override",
    ("underwriting", "model_dir"): "None = the scorecard packaged with underwriting (models/"
                                   "default); mount one and set UNDERWRITING_MODEL_DIR",
    ("servicing", "initial_business_date"): "None = today (UTC) until the first day close; an "
                                            "environment variable cannot say None",
    ("servicing", "default_tolerance_amount"): "None = only the contract's own arrears "
                                               "tolerance; an environment variable cannot say None",
    ("servicing", "default_tolerance_rate"): "None = only the contract's own arrears "
                                             "tolerance; an environment variable cannot say None",
    ("collections", "strategies_file"): "the strategies ship inside the collections package; "
                                        "mount a file and set COLLECTIONS_STRATEGIES_FILE",
    ("collections", "classification_file"): "the classification rules ship inside the package; "
                                            "mount a file and set COLLECTIONS_CLASSIFICATION_FILE",
    ("collections", "recovery_file"): "the approval rules ship inside the package; mount a "
                                      "file and set COLLECTIONS_RECOVERY_FILE",
    ("collections", "early_warning_file"): "the early-warning rules ship inside the package; "
                                           "mount a file and set COLLECTIONS_EARLY_WARNING_FILE",
}


def defaulted(service: str, field: str) -> bool:
    return ("*", field) in DEFAULTED or (service, field) in DEFAULTED


def settings_class(service: str) -> Any:
    return importlib.import_module(f"lending_{service}.config").Settings


def env_names(service: str) -> dict[str, str]:
    """field name -> the environment variable that sets it."""
    cls = settings_class(service)
    prefix = cls.model_config.get("env_prefix", "")
    names = {}
    for field, info in cls.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        names[field] = (alias or prefix + field).upper()
    return names


def missing_settings(service: str, provided: set[str]) -> list[str]:
    missing = []
    for field, env in env_names(service).items():
        if defaulted(service, field):
            continue
        if env in provided or SHARED_DEFAULTS.get(field) in provided:
            continue
        missing.append(f"{field} ({env})")
    return missing


def unknown_prefixed(service: str, provided: set[str]) -> list[str]:
    """Variables with the service's prefix that no setting reads: a typo, silently ignored."""
    prefix = settings_class(service).model_config["env_prefix"].upper()
    known = set(env_names(service).values())
    return sorted(n for n in provided if n.startswith(prefix) and n not in known)


def test_the_allow_list_names_only_real_settings():
    for service, field in DEFAULTED:
        for name in SERVICES if service == "*" else (service,):
            assert field in settings_class(name).model_fields, (name, field)


@pytest.mark.parametrize("service", SERVICES)
def test_compose_provides_every_setting_of(service, compose):
    env = compose["services"][service]["environment"]
    provided = set(env)
    assert not missing_settings(service, provided)
    assert not unknown_prefixed(service, provided)
    prefix = service.upper()
    assert env[f"{prefix}_PORT"] == str(settings_class(service).model_fields["port"].default)
    assert env[f"{prefix}_DATABASE_URL"].endswith(f"/{service}")


@pytest.mark.parametrize("service", SERVICES)
def test_every_overlay_provides_every_setting_of(service, rendered):
    for overlay, objects in rendered.items():
        [dep] = [o for o in objects
                 if o["kind"] == "Deployment" and o["metadata"]["name"] == service]
        [container] = dep["spec"]["template"]["spec"]["containers"]
        provided = {e["name"] for e in container["env"]}
        assert not container.get("envFrom"), "settings must be listed one by one"
        assert not missing_settings(service, provided), f"{overlay}: {service}"
        assert not unknown_prefixed(service, provided), f"{overlay}: {service}"


@pytest.mark.parametrize("service", SERVICES)
def test_ports_agree_between_settings_container_and_service(service, rendered):
    default_port = settings_class(service).model_fields["port"].default
    for objects in rendered.values():
        [dep] = [o for o in objects
                 if o["kind"] == "Deployment" and o["metadata"]["name"] == service]
        [container] = dep["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env[f"{service.upper()}_PORT"] == str(default_port)
        assert container["ports"][0]["containerPort"] == default_port


def test_the_shared_kafka_setting_comes_from_the_platform_config_map(rendered):
    for objects in rendered.values():
        [config] = [o for o in objects
                    if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "lending-platform"]
        bootstrap = config["data"]["KAFKA_BOOTSTRAP_SERVERS"]
        assert bootstrap.startswith("lending-kafka-kafka-bootstrap:")
