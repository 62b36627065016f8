"""Real processes for tests: a Kafka broker and a ClickHouse endpoint on free loopback ports."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from pulse.local.kafka import KafkaNode
from pulse.local.ports import free_port  # noqa: F401 - re-exported for tests
from pulse.local.process import ManagedProcess, wait_until


def start_kafka(data_dir: Path) -> tuple[KafkaNode, ManagedProcess]:
    node = KafkaNode(data_dir=data_dir, port=free_port(), controller_port=free_port())
    return node, node.start(data_dir / "kafka.log")


def clickhouse_ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping", timeout=2).text.strip() == "Ok."
    except httpx.HTTPError:
        return False


@dataclass
class ClickHouseEndpoint:
    """Where the tests' ClickHouse answers; ``process`` is ours unless it runs in a container."""

    url: str
    port: int
    process: ManagedProcess


def start_clickhouse(data_dir: Path, port: int | None = None) -> ClickHouseEndpoint:
    """Start the embedded ClickHouse endpoint (chDB behind ClickHouse's HTTP interface)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    proc = ManagedProcess(
        name="clickhouse",
        pid_file=data_dir / "clickhouse.pid",
        log_file=data_dir / "clickhouse.log",
        ready=lambda: clickhouse_ready(url),
    )
    proc.spawn(
        [sys.executable, "-m", "clickhouse.server", "--host", "127.0.0.1", "--port", str(port),
         "--data-dir", str(data_dir / "chdb")],
    )
    wait_until(proc.ready, 60, f"ClickHouse endpoint at {url}", alive=proc.is_running)
    return ClickHouseEndpoint(url=url, port=port, process=proc)
