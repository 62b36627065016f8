"""docker-compose.yml and the Dockerfile stay true to the code they deploy."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from pydantic_settings import BaseSettings
from typer.main import get_command

from core.settings import SharedSettings
from ingest_api.config import ApiSettings
from pulse.cli import app as pulse_cli
from stream_processors.config import WorkerSettings
from tests.unit.infra.tools import INFRA, REPO, run_tool

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
PYTHON_SERVICES: dict[str, list[type[BaseSettings]]] = {
    "migrate": [SharedSettings],
    "ingest-api": [ApiSettings],
    "stream-worker": [SharedSettings, WorkerSettings],
}
ALWAYS_SET = {
    "KAFKA_BOOTSTRAP_SERVERS",
    "CLICKHOUSE_URL",
    "CLICKHOUSE_DATABASE",
    "CLICKHOUSE_USER",
    "CLICKHOUSE_PASSWORD",
    "CLICKHOUSE_READONLY_USER",
    "CLICKHOUSE_READONLY_PASSWORD",
}


def environment(service: str) -> dict[str, str]:
    """Variables a Pulse container sees: its environment plus secrets (named by target)."""
    spec = SERVICES[service]
    env = {k: str(v) for k, v in spec.get("environment", {}).items()}
    for secret in spec.get("secrets", []):
        name = secret if isinstance(secret, str) else secret.get("target", secret["source"])
        env[name] = f"/run/secrets/{name}"
    return env


def aliases(classes: list[type[BaseSettings]]) -> dict[str, Any]:
    return {f.alias: f.default for cls in classes for f in cls.model_fields.values() if f.alias}


def needs_setting(default: Any) -> bool:
    """A default that only works on a developer machine: loopback address or empty secret."""
    return isinstance(default, SecretStr) or "127.0.0.1" in str(default)


def test_the_stack_has_every_component() -> None:
    assert {
        "kafka-1",
        "kafka-2",
        "kafka-3",
        "clickhouse",
        "migrate",
        "ingest-api",
        "stream-worker",
        "proxy",
        "prometheus",
        "alertmanager",
        "grafana",
    } <= set(SERVICES)


def test_third_party_images_are_pinned() -> None:
    for name, spec in SERVICES.items():
        if "build" in spec:
            continue
        image = spec["image"]
        assert re.fullmatch(r"[\w./-]+:[\w.-]+", image) and not image.endswith(":latest"), name


def test_every_long_running_service_has_a_healthcheck() -> None:
    for name, spec in SERVICES.items():
        if spec.get("restart") == "no":
            continue
        assert spec.get("healthcheck", {}).get("test"), name


def test_only_the_proxy_is_published_beyond_loopback() -> None:
    for name, spec in SERVICES.items():
        for port in spec.get("ports", []):
            assert name == "proxy" or str(port).startswith("127.0.0.1:"), (name, port)
    assert set(SERVICES["proxy"]["ports"]) == {"443:443", "80:80"}


def test_services_run_the_project_commands() -> None:
    assert SERVICES["ingest-api"]["command"] == ["python", "-m", "ingest_api"]
    assert SERVICES["stream-worker"]["command"] == ["python", "-m", "stream_processors"]
    assert SERVICES["migrate"]["command"] == ["pulse", "migrate"]
    assert (REPO / "ingest_api" / "__main__.py").is_file()
    assert (REPO / "stream_processors" / "__main__.py").is_file()
    assert "migrate" in get_command(pulse_cli).commands  # type: ignore[attr-defined]


@pytest.mark.parametrize("service", sorted(PYTHON_SERVICES))
def test_settings_that_default_to_a_developer_machine_are_set(service: str) -> None:
    known = aliases(PYTHON_SERVICES[service])
    required = {alias for alias, default in known.items() if needs_setting(default)}
    assert required | ALWAYS_SET <= set(environment(service))


@pytest.mark.parametrize("service", sorted(PYTHON_SERVICES))
def test_every_variable_set_is_one_the_service_reads(service: str) -> None:
    assert set(environment(service)) <= set(aliases(PYTHON_SERVICES[service]))


def test_services_bind_where_prometheus_scrapes_them() -> None:
    prometheus = yaml.safe_load((INFRA / "prometheus" / "prometheus.yml").read_text())
    for job in prometheus["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            (service,) = sd["names"]
            env = environment(service)
            port = env.get("PULSE_API_PORT") or env.get("PULSE_WORKER_PORT")
            assert int(port) == sd["port"], job["job_name"]
            assert "0.0.0.0" in (env.get("PULSE_API_HOST"), env.get("PULSE_WORKER_HOST"))


def test_api_and_workers_scale_out_and_workers_share_one_consumer_group() -> None:
    assert SERVICES["ingest-api"]["deploy"]["replicas"] >= 2
    assert SERVICES["stream-worker"]["deploy"]["replicas"] >= 2
    assert "ports" not in SERVICES["ingest-api"] and "ports" not in SERVICES["stream-worker"]
    assert "container_name" not in SERVICES["stream-worker"]


def test_api_and_workers_start_after_migrations_and_a_healthy_kafka() -> None:
    for service in ("ingest-api", "stream-worker"):
        deps = SERVICES[service]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert all(deps[f"kafka-{n}"]["condition"] == "service_healthy" for n in (1, 2, 3))
    assert SERVICES["migrate"]["depends_on"]["clickhouse"]["condition"] == "service_healthy"


def test_kafka_nodes_form_one_kraft_quorum_without_auto_created_topics() -> None:
    nodes = [SERVICES[f"kafka-{n}"]["environment"] for n in (1, 2, 3)]
    assert len({env["CLUSTER_ID"] for env in nodes}) == 1
    assert sorted(env["KAFKA_NODE_ID"] for env in nodes) == [1, 2, 3]
    assert all(env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false" for env in nodes)
    bootstrap = environment("ingest-api")["KAFKA_BOOTSTRAP_SERVERS"].split(",")
    assert bootstrap == [f"kafka-{n}:9092" for n in (1, 2, 3)]


def test_proxy_terminates_tls_in_front_of_every_api_replica() -> None:
    conf = (INFRA / "nginx" / "pulse.conf").read_text()
    assert re.search(r"server ingest-api:8000 resolve", conf)
    for secret in SERVICES["proxy"]["secrets"]:
        assert f"/run/secrets/{secret}" in conf
    assert "listen 443 ssl" in conf


def test_every_secret_used_is_declared_and_alertmanager_finds_its_files() -> None:
    declared = set(COMPOSE["secrets"])
    for name, spec in SERVICES.items():
        for secret in spec.get("secrets", []):
            assert (secret if isinstance(secret, str) else secret["source"]) in declared, name
    alertmanager = (INFRA / "alertmanager" / "alertmanager.yml").read_text()
    for path in re.findall(r"/run/secrets/(\w+)", alertmanager):
        assert path in SERVICES["alertmanager"]["secrets"]


def test_grafana_gets_the_plugin_and_every_variable_its_provisioning_reads() -> None:
    grafana = SERVICES["grafana"]
    assert grafana["environment"]["GF_INSTALL_PLUGINS"].startswith("grafana-clickhouse-datasource")
    provisioning = (INFRA / "grafana" / "provisioning" / "datasources" / "pulse.yml").read_text()
    wanted = set(re.findall(r"\$(\w+)", provisioning))
    exported = set(re.findall(r"export (\w+)=", " ".join(grafana["entrypoint"])))
    assert wanted <= set(grafana["environment"]) | exported


def test_dockerfile_builds_in_stages_and_runs_as_a_non_root_user() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"pip install \.", dockerfile)


def compose_command() -> list[str] | None:
    """Debian's ``docker-compose``, else the ``docker compose`` plugin; None when neither exists."""
    standalone = shutil.which("docker-compose")
    if standalone is not None:
        return [standalone]
    docker = shutil.which("docker")
    if (
        docker is not None
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    return None


def test_docker_compose_accepts_the_file() -> None:
    compose = compose_command()
    if compose is None:
        pytest.skip("neither docker-compose nor the compose plugin is installed; structure checked")
    run_tool([*compose, "-f", str(REPO / "docker-compose.yml"), "config", "--quiet"], cwd=REPO)
