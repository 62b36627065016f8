"""Real processes for tests: a Kafka broker and a ClickHouse endpoint on free loopback ports."""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from core.settings import SharedSettings
from pulse.local.config import StackSettings
from pulse.local.kafka import KafkaNode
from pulse.local.ports import free_port  # noqa: F401 - re-exported for tests
from pulse.local.process import ManagedProcess, wait_until
from pulse.local.stack import Stack


def start_kafka(data_dir: Path) -> tuple[KafkaNode, ManagedProcess]:
    node = KafkaNode(data_dir=data_dir, port=free_port(), controller_port=free_port())
    return node, node.start(data_dir / "kafka.log")


def clickhouse_ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping", timeout=2).text.strip() == "Ok."
    except httpx.HTTPError:
        return False


def endpoint_credentials() -> dict[str, str]:
    """Passwords for the tests' endpoint, put in the environment once per test run.

    The endpoint refuses requests without credentials, so every client the tests build from
    settings (SharedSettings, EndpointSettings) and every raw request must present these.
    """
    for name in ("CLICKHOUSE_PASSWORD", "CLICKHOUSE_READONLY_PASSWORD"):
        if not os.environ.get(name):
            os.environ[name] = secrets.token_urlsafe(18)
    return {
        "CLICKHOUSE_USER": os.environ.get("CLICKHOUSE_USER", "default"),
        "CLICKHOUSE_PASSWORD": os.environ["CLICKHOUSE_PASSWORD"],
        "CLICKHOUSE_READONLY_USER": os.environ.get("CLICKHOUSE_READONLY_USER", "analyst"),
        "CLICKHOUSE_READONLY_PASSWORD": os.environ["CLICKHOUSE_READONLY_PASSWORD"],
    }


@dataclass
class ClickHouseEndpoint:
    """Where the tests' ClickHouse answers; ``process`` is ours unless it runs in a container."""

    url: str
    port: int
    process: ManagedProcess
    credentials: dict[str, str] = field(default_factory=endpoint_credentials)

    @property
    def user(self) -> str:
        return self.credentials["CLICKHOUSE_USER"]

    @property
    def password(self) -> str:
        return self.credentials["CLICKHOUSE_PASSWORD"]

    @property
    def auth(self) -> tuple[str, str]:
        """The writer's (user, password), for httpx's ``auth=``."""
        return self.user, self.password

    @property
    def analyst_auth(self) -> tuple[str, str]:
        """The read-only analyst's (user, password)."""
        return (
            self.credentials["CLICKHOUSE_READONLY_USER"],
            self.credentials["CLICKHOUSE_READONLY_PASSWORD"],
        )

    def client(self, **kwargs: Any) -> Any:
        """clickhouse-connect as the writer (``kwargs`` override, e.g. ``database=``)."""
        import clickhouse_connect

        options = {"host": "127.0.0.1", "port": self.port, "username": self.user,
                   "password": self.password} | kwargs  # fmt: skip
        return clickhouse_connect.get_client(**options)


def start_clickhouse(
    data_dir: Path, port: int | None = None, env: dict[str, str] | None = None
) -> ClickHouseEndpoint:
    """Start the embedded ClickHouse endpoint (chDB behind ClickHouse's HTTP interface)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    credentials = endpoint_credentials()
    proc = ManagedProcess(
        name="clickhouse",
        pid_file=data_dir / "clickhouse.pid",
        log_file=data_dir / "clickhouse.log",
        ready=lambda: clickhouse_ready(url),
    )
    proc.spawn(
        [
            sys.executable,
            "-m",
            "clickhouse.server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir / "chdb"),
        ],
        env={**credentials, **(env or {})},
    )
    wait_until(proc.ready, 60, f"ClickHouse endpoint at {url}", alive=proc.is_running)
    return ClickHouseEndpoint(url=url, port=port, process=proc, credentials=credentials)


def pipeline_stack(
    kafka_bootstrap: str,
    clickhouse: ClickHouseEndpoint,
    data_dir: Path,
    name: str,
    *,
    partitions: int,
    api_keys: str,
    own_topics: bool = False,
    ready_timeout: float = 90,
    env: dict[str, str] | None = None,
) -> tuple[Stack, str, str]:
    """An ingest API and a stream worker of their own on the session's broker and ClickHouse
    endpoint, to be started by the code of `pulse up` (``Stack.up``): the stack (not started),
    the API's URL and the database.

    ``name`` and a random tag name the database, the worker's consumer group and, with
    ``own_topics``, the topics (the contract's names under a per-run prefix, so no other worker of
    the session consumes them). ``api_keys`` is ``PULSE_API_KEYS``; ``env`` adds settings.
    """
    tag = secrets.token_hex(4)
    topics: dict[str, Any] = (
        {
            "PULSE_EVENTS_TOPIC": f"{name}-{tag}.pulse.events.v1",
            "PULSE_DLQ_TOPIC": f"{name}-{tag}.pulse.events.dlq",
        }
        if own_topics
        else {}
    )
    shared = SharedSettings(  # type: ignore[call-arg]
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        CLICKHOUSE_URL=clickhouse.url,
        CLICKHOUSE_DATABASE=f"pulse_{name}_{tag}",
        PULSE_DATA_DIR=data_dir,
        PULSE_EVENTS_PARTITIONS=partitions,
        **topics,
    )
    settings = StackSettings(  # type: ignore[call-arg]
        PULSE_START_KAFKA=False,
        PULSE_START_CLICKHOUSE=False,
        PULSE_API_PORT=free_port(),
        PULSE_WORKER_PORT=free_port(),
        PULSE_READY_TIMEOUT=ready_timeout,
    )
    extra = {"PULSE_API_KEYS": api_keys, "PULSE_WORKER_APP_ID": f"pulse-{name}-{tag}"}
    stack = Stack(shared, settings, extra_env=extra | (env or {}))
    return stack, f"http://127.0.0.1:{settings.api_port}", shared.clickhouse_database
