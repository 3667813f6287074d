"""Every overlay renders with kustomize, and every object in it is one a cluster would accept:
built-in kinds against the Kubernetes OpenAPI schemas (offline, strict), custom resources
against the CRD schemas kept in deploy/schemas. For the CloudNativePG Cluster that file is only
a field-name allow-list; its values are checked by the CloudNativePG validator
(test_deploy_cnpg.py)."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

# The first test renders the overlays, installing kustomize on a fresh machine (~80 s).
pytestmark = pytest.mark.timeout(900)

# The oldest Kubernetes minor we support and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.utils.latest_version())
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
# Declared external endpoints: service -> HTTPS ports it may reach on the public internet.
EXTERNAL_EGRESS = {
    "intake": {443},  # partner webhooks
    "underwriting": {443},  # the credit bureau
    "ledger": {443},  # the payout provider
    "collections": {443},  # the SMS gateway
}
CUSTOM_GROUPS = ("kafka.strimzi.io", "postgresql.cnpg.io", "monitoring.coreos.com", "keda.sh")


def is_custom(obj: dict[str, Any]) -> bool:
    return obj["apiVersion"].split("/")[0] in CUSTOM_GROUPS


def closed(schema: Any) -> Any:
    """The API server prunes or (with strict field validation, kubectl's default) rejects
    unknown fields of a structural schema; JSON Schema allows them unless told otherwise."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if "properties" in out:
        out["properties"] = {k: closed(v) for k, v in out["properties"].items()}
        if "additionalProperties" not in out and not out.get(
            "x-kubernetes-preserve-unknown-fields"
        ):
            out["additionalProperties"] = False
    for key in ("items", "additionalProperties", "not"):
        if isinstance(out.get(key), dict):
            out[key] = closed(out[key])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in out:
            out[key] = [closed(s) for s in out[key]]
    return out


def test_there_are_dev_and_prod_overlays(rendered):
    assert {"dev", "prod"} <= set(rendered)


def test_every_overlay_renders_objects_of_every_expected_kind(rendered):
    expected = {
        "Namespace", "ConfigMap", "ServiceAccount", "Deployment", "Service",
        "PodDisruptionBudget", "NetworkPolicy", "Ingress", "Kafka", "KafkaNodePool",
        "KafkaTopic", "KafkaUser", "Cluster", "ScheduledBackup", "ServiceMonitor", "PodMonitor",
        "PrometheusRule",
    }
    for overlay, objects in rendered.items():
        kinds = {o["kind"] for o in objects}
        assert expected <= kinds, f"{overlay} lacks {expected - kinds}"
        assert {"HorizontalPodAutoscaler", "ScaledObject"} & kinds, overlay


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_built_in_objects_validate_against_the_kubernetes_schemas(rendered, version):
    failures = []
    for overlay, objects in rendered.items():
        for obj in objects:
            if is_custom(obj):
                continue
            try:
                kubernetes_validate.validate(copy.deepcopy(obj), version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                failures.append(f"{overlay} {obj['kind']}/{obj['metadata']['name']}: {exc}")
    assert not failures, "\n".join(failures)


def test_custom_resources_validate_against_the_kept_crd_schemas(rendered, crd_schemas):
    failures = []
    validators = {
        key: jsonschema.Draft7Validator(closed(schema)) for key, schema in crd_schemas.items()
    }
    for overlay, objects in rendered.items():
        for obj in filter(is_custom, objects):
            key = (obj["apiVersion"], obj["kind"])
            assert key in validators, f"no schema kept for {key}: add it to deploy/schemas"
            for error in validators[key].iter_errors(obj):
                where = "/".join(str(p) for p in error.absolute_path)
                failures.append(
                    f"{overlay} {obj['kind']}/{obj['metadata']['name']} at {where}: "
                    f"{error.message}"
                )
    assert not failures, "\n".join(failures)


def test_the_crd_check_rejects_a_misspelt_field(crd_schemas):
    schema = closed(crd_schemas[("kafka.strimzi.io/v1beta2", "KafkaTopic")])
    bad = {"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
           "metadata": {"name": "x"}, "spec": {"partition": 3}}
    assert not jsonschema.Draft7Validator(schema).is_valid(bad)


def test_the_cluster_field_allow_list_rejects_a_misspelt_field(crd_schemas):
    # The CloudNativePG validator checks values only; unknown fields are caught here.
    schema = closed(crd_schemas[("postgresql.cnpg.io/v1", "Cluster")])
    bad = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": "x"},
           "spec": {"instances": 3, "storage": {"size": "1Gi", "storageClas": "fast"}}}
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(bad))
    assert [list(e.absolute_path) for e in errors] == [["spec", "storage"]]
    assert "storageClas" in errors[0].message


def test_every_env_entry_has_a_value_or_a_reference_never_both(rendered):
    for overlay, objects in rendered.items():
        for dep in (o for o in objects if o["kind"] == "Deployment"):
            pod = dep["spec"]["template"]["spec"]
            for container in pod["containers"] + pod.get("initContainers", []):
                for entry in container.get("env", []):
                    assert ("value" in entry) != ("valueFrom" in entry), (overlay, entry)


def test_no_secret_values_are_kept_in_the_manifests(rendered):
    for overlay, objects in rendered.items():
        assert not [o for o in objects if o["kind"] == "Secret"], overlay


def _deployment(objects, name):
    [dep] = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name]
    return dep


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_probed_limited_and_runs_as_non_root(rendered, service):
    for objects in rendered.values():
        pod = _deployment(objects, service)["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["serviceAccountName"] == service
        [main] = pod["containers"]
        assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
        for container in pod["containers"] + pod["initContainers"]:
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert "memory" in container["resources"]["limits"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_migrates_in_an_init_container_not_at_start(rendered, service):
    prefix = service.upper() + "_"
    for objects in rendered.values():
        pod = _deployment(objects, service)["spec"]["template"]["spec"]
        [init] = pod["initContainers"]
        assert init["command"][-2:] == ["/app/bin/migrate.py", service]
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert env[prefix + "RUN_MIGRATIONS_ON_START"] == "false"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_budget_autoscaler_account_and_scrape_config(rendered, service):
    for overlay, objects in rendered.items():
        names = {(o["kind"], o["metadata"]["name"]) for o in objects}
        for kind in ("Service", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy",
                     "ServiceMonitor"):
            assert (kind, service) in names, f"{overlay}: no {kind} {service}"
        scalers = {("HorizontalPodAutoscaler", service), ("ScaledObject", service)} & names
        assert len(scalers) == 1, f"{overlay}: {service} needs exactly one autoscaler"
        assert ("Cluster", f"{service}-db") in names
        assert ("ScheduledBackup", f"{service}-db-daily") in names


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_reaches_only_dns_kafka_and_its_own_database(rendered, service):
    for objects in rendered.values():
        [policy] = [o for o in objects if o["kind"] == "NetworkPolicy"
                    and o["metadata"]["name"] == service]
        assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        peers, external_ports = [], set()
        for rule in policy["spec"]["egress"]:
            for peer in rule["to"]:
                if "ipBlock" in peer:
                    assert "10.0.0.0/8" in peer["ipBlock"]["except"]
                    external_ports |= {p["port"] for p in rule["ports"]}
                else:
                    peers.append(peer.get("podSelector", {}).get("matchLabels", {}))
        assert external_ports == EXTERNAL_EGRESS.get(service, set())
        assert {"k8s-app": "kube-dns"} in peers
        assert {"strimzi.io/cluster": "lending-kafka", "strimzi.io/kind": "Kafka"} in peers
        assert {"cnpg.io/cluster": f"{service}-db"} in peers
        assert len(peers) == 3, f"{service} may reach more than DNS, Kafka and its database"
        [db_policy] = [o for o in objects if o["kind"] == "NetworkPolicy"
                       and o["metadata"]["name"] == f"{service}-db"]
        app_peers = [
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in db_policy["spec"]["ingress"] for peer in rule["from"]
            if "app.kubernetes.io/name" in peer.get("podSelector", {}).get("matchLabels", {})
        ]
        assert app_peers == [service]


def test_only_partner_facing_services_are_behind_the_ingress(rendered):
    for objects in rendered.values():
        backends = {
            path["backend"]["service"]["name"]
            for ing in objects if ing["kind"] == "Ingress"
            for rule in ing["spec"]["rules"] for path in rule["http"]["paths"]
        }
        assert backends == {"intake", "servicing"}


def test_every_database_is_backed_up(rendered):
    for objects in rendered.values():
        for cluster in (o for o in objects if o["kind"] == "Cluster"):
            store = cluster["spec"]["backup"]["barmanObjectStore"]
            assert store["destinationPath"].endswith(cluster["metadata"]["name"])
            assert cluster["spec"]["backup"]["retentionPolicy"]


def test_alert_rules_cover_lag_dead_letters_outbox_5xx_and_day_close(rendered):
    for objects in rendered.values():
        alerts = {
            rule["alert"]
            for pr in objects if pr["kind"] == "PrometheusRule"
            for group in pr["spec"]["groups"] for rule in group["rules"]
        }
        assert {
            "LendingConsumerLagHigh", "LendingDeadLetterGrowth", "LendingOutboxBacklog",
            "LendingHttp5xxRate", "LendingDayCloseOverdue", "LendingCredentialProjectionStale",
        } <= alerts


def test_a_partner_can_follow_a_problem_type_on_the_host_that_answered(rendered):
    # A problem's type is /problems/<code>, resolved against the URL the partner called.
    for objects in rendered.values():
        for ing in (o for o in objects if o["kind"] == "Ingress"):
            for rule in ing["spec"]["rules"]:
                backends = {p["path"]: p["backend"]["service"]["name"]
                            for p in rule["http"]["paths"]}
                assert set(backends) == {"/v1", "/problems"}, rule["host"]
                assert backends["/problems"] == backends["/v1"], rule["host"]
