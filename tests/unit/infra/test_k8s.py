"""infra/k8s, validated offline: Kubernetes' own schemas (kubernetes-validate, strict) for the
built-in kinds, the operators' CRD schemas (vendored in k8s_schemas/) for Strimzi, KEDA and the
ClickHouse operator, and the wiring between the manifests and Pulse's settings."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jsonschema
import kubernetes_validate
import pytest
import yaml
from pydantic_settings import BaseSettings

from clickhouse.config import SchemaSettings
from core.settings import SharedSettings
from ingest_api.config import ApiSettings
from stream_processors.config import WorkerSettings

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "infra" / "k8s"
SCHEMAS = Path(__file__).parent / "k8s_schemas"
KUBERNETES = "1.33"
NAMESPACE = "pulse"
CUSTOM = {  # apiVersion group -> the vendored schema file prefix
    "kafka.strimzi.io": "kafka.strimzi.io",
    "keda.sh": "keda.sh",
    "clickhouse.altinity.com": "clickhouse.altinity.com",
    "clickhouse-keeper.altinity.com": "clickhouse-keeper.altinity.com",
}
COMPONENT_SETTINGS: dict[str, tuple[type[BaseSettings], ...]] = {
    "ingest-api": (SharedSettings, ApiSettings),
    "stream-worker": (SharedSettings, WorkerSettings, SchemaSettings),
    "migrate": (SharedSettings, SchemaSettings),
}


def _aliases(*classes: type[BaseSettings]) -> set[str]:
    return {f.alias for c in classes for f in c.model_fields.values() if f.alias}


ALL_SETTINGS = _aliases(SharedSettings, ApiSettings, WorkerSettings, SchemaSettings)


def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@cache
def documents() -> tuple[dict[str, Any], ...]:
    docs: list[dict[str, Any]] = []
    for path in manifest_files():
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    return tuple(docs)


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for d in documents() if d["kind"] == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in of_kind(kind) if d["metadata"]["name"] == name]
    return found


@cache
def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    group, version = api_version.split("/")
    path = SCHEMAS / f"{CUSTOM[group]}__{kind.lower()}_{version}.json"
    return json.loads(path.read_text())


def validate(doc: dict[str, Any]) -> None:
    """Raise when ``doc`` does not match its kind's schema (strict: no unknown fields)."""
    group = doc["apiVersion"].split("/")[0]
    if group in CUSTOM:
        schema = crd_schema(doc["apiVersion"], doc["kind"])
        jsonschema.validators.validator_for(schema)(schema).validate(doc)
    else:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def containers() -> list[tuple[str, dict[str, Any]]]:
    """(workload name, container) of every Deployment and Job."""
    out = []
    for doc in of_kind("Deployment") + of_kind("Job"):
        for container in doc["spec"]["template"]["spec"]["containers"]:
            out.append((doc["metadata"]["name"].removeprefix("pulse-"), container))
    return out


def kafka_trigger(scaled: dict[str, Any]) -> dict[str, Any]:
    """The metadata of the ScaledObject's one trigger on consumer lag."""
    (trigger,) = [t for t in scaled["spec"]["triggers"] if t["type"] == "kafka"]
    return dict(trigger["metadata"])


def settings_map() -> dict[str, str]:
    return named("ConfigMap", "pulse-settings")["data"]


def test_every_manifest_parses_and_names_its_object() -> None:
    assert len(manifest_files()) >= 6
    for doc in documents():
        assert doc.get("apiVersion") and doc.get("kind"), doc
        assert doc["metadata"].get("name"), doc
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]


def test_kustomization_lists_every_manifest() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == [p.name for p in manifest_files()]


@pytest.mark.parametrize("doc", documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_object_matches_its_schema(doc: dict[str, Any]) -> None:
    validate(doc)


def test_the_validator_refuses_an_unknown_field_and_a_wrong_type() -> None:
    deployment = copy.deepcopy(named("Deployment", "ingest-api"))
    deployment["spec"]["template"]["spec"]["containers"][0]["envFrm"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)
    scaled = copy.deepcopy(named("ScaledObject", "stream-worker"))
    scaled["spec"]["maxReplicaCount"] = "48"
    with pytest.raises(jsonschema.ValidationError):
        validate(scaled)
    topic = copy.deepcopy(named("KafkaTopic", "pulse-events-v1"))
    topic["spec"]["partitionz"] = 48
    with pytest.raises(jsonschema.ValidationError):
        validate(topic)


def test_deployment_selectors_match_their_pod_labels() -> None:
    for doc in of_kind("Deployment"):
        selector = doc["spec"]["selector"]["matchLabels"]
        labels = doc["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), doc["metadata"]["name"]


def test_services_and_budgets_select_the_pods_of_a_deployment() -> None:
    pods = [d["spec"]["template"]["metadata"]["labels"] for d in of_kind("Deployment")]
    selectors = [s["spec"]["selector"] for s in of_kind("Service")]
    selectors += [b["spec"]["selector"]["matchLabels"] for b in of_kind("PodDisruptionBudget")]
    for selector in selectors:
        assert any(selector.items() <= labels.items() for labels in pods), selector


def test_autoscalers_target_existing_deployments() -> None:
    deployments = {d["metadata"]["name"] for d in of_kind("Deployment")}
    (hpa,) = of_kind("HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    (scaled,) = of_kind("ScaledObject")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "stream-worker" in deployments


def test_container_env_names_are_pulse_settings() -> None:
    assert set(settings_map()) <= ALL_SETTINGS, set(settings_map()) - ALL_SETTINGS
    assert set(named("Secret", "pulse-secrets")["stringData"]) <= ALL_SETTINGS
    for workload, container in containers():
        allowed = _aliases(*COMPONENT_SETTINGS[workload])
        names = {e["name"] for e in container.get("env", [])}
        assert names <= allowed, f"{workload}: {sorted(names - allowed)} are not its settings"


def test_env_references_point_at_existing_keys() -> None:
    secret = named("Secret", "pulse-secrets")["stringData"]
    for _, container in containers():
        for ref in container.get("envFrom", []):
            assert ref["configMapRef"]["name"] == "pulse-settings"
        for env in container.get("env", []):
            if "valueFrom" in env:
                key = env["valueFrom"]["secretKeyRef"]
                assert key["name"] == "pulse-secrets" and key["key"] in secret, env


def test_never_more_workers_than_partitions() -> None:
    (scaled,) = of_kind("ScaledObject")
    meta = kafka_trigger(scaled)
    (topic,) = [t for t in of_kind("KafkaTopic") if t["spec"]["topicName"] == meta["topic"]]
    partitions = topic["spec"]["partitions"]
    assert scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"] <= partitions
    assert int(settings_map()["PULSE_EVENTS_PARTITIONS"]) == partitions
    assert meta["topic"] == SharedSettings.model_fields["events_topic"].default


def test_the_scaler_watches_the_workers_own_group_and_broker() -> None:
    (scaled,) = of_kind("ScaledObject")
    meta = kafka_trigger(scaled)
    (worker,) = [c for w, c in containers() if w == "stream-worker"]
    app_id = {e["name"]: e.get("value") for e in worker["env"]}["PULSE_WORKER_APP_ID"]
    assert meta["consumerGroup"] == app_id
    assert meta["bootstrapServers"] == settings_map()["KAFKA_BOOTSTRAP_SERVERS"]


def test_addresses_are_the_operators_services() -> None:
    kafka = of_kind("Kafka")[0]["metadata"]["name"]
    host = settings_map()["KAFKA_BOOTSTRAP_SERVERS"].split(".")[0]
    assert host == f"{kafka}-kafka-bootstrap"
    for doc in of_kind("KafkaNodePool") + of_kind("KafkaTopic"):
        assert doc["metadata"]["labels"]["strimzi.io/cluster"] == kafka
    chi = of_kind("ClickHouseInstallation")[0]
    url = urlparse(settings_map()["CLICKHOUSE_URL"])
    assert url.hostname.split(".")[0] == f"clickhouse-{chi['metadata']['name']}"


def test_the_clickhouse_cluster_is_the_one_migrations_target() -> None:
    chi = of_kind("ClickHouseInstallation")[0]["spec"]["configuration"]
    (cluster,) = chi["clusters"]
    assert cluster["name"] == settings_map()["PULSE_CLICKHOUSE_CLUSTER"]
    layout = cluster["layout"]
    assert layout["shardsCount"] >= 1 and layout["replicasCount"] >= 2
    writer = settings_map()["CLICKHOUSE_USER"]
    profile = chi["users"][f"{writer}/profile"]
    # Foreground inserts on every replica: the recompute after an insert reads its rows.
    assert chi["profiles"][f"{profile}/distributed_foreground_insert"] == 1
    assert chi["profiles"][f"{profile}/insert_quorum"] == layout["replicasCount"]


def _summary_row(part: str) -> str:
    """The 'count' cell of docs/sizing.md's summary row for ``part``."""
    text = (ROOT / "docs" / "sizing.md").read_text()
    summary = text[text.index("## Summary") :]
    (row,) = [line for line in summary.splitlines() if line.startswith(f"| {part}")]
    return row.split("|")[2]


def test_the_manifests_have_the_shape_docs_sizing_derives() -> None:
    numbers = [int(n) for n in re.findall(r"\d+", _summary_row("`pulse.events.v1` partitions"))]
    assert numbers[0] == named("KafkaTopic", "pulse-events-v1")["spec"]["partitions"]
    api = [int(n) for n in re.findall(r"\d+", _summary_row("ingest API"))]
    hpa = named("HorizontalPodAutoscaler", "ingest-api")["spec"]
    assert api[:3] == [
        named("Deployment", "ingest-api")["spec"]["replicas"],
        hpa["minReplicas"],
        hpa["maxReplicas"],
    ]
    workers = [int(n) for n in re.findall(r"\d+", _summary_row("stream workers"))]
    scaled = named("ScaledObject", "stream-worker")["spec"]
    assert workers[0] == named("Deployment", "stream-worker")["spec"]["replicas"]
    assert workers[-1] == scaled["maxReplicaCount"]
    shards, replicas = [int(n) for n in re.findall(r"\d+", _summary_row("ClickHouse"))][:2]
    (cluster,) = of_kind("ClickHouseInstallation")[0]["spec"]["configuration"]["clusters"]
    assert (shards, replicas) == (
        cluster["layout"]["shardsCount"],
        cluster["layout"]["replicasCount"],
    )
    brokers = int(re.findall(r"\d+", _summary_row("Kafka brokers"))[0])
    assert brokers == named("KafkaNodePool", "broker")["spec"]["replicas"]
