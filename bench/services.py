"""Private Kafka brokers and ClickHouse endpoints for one benchmark section, on free ports.

Each lives in the section's own temporary directory and is stopped when the section ends, so a
benchmark never touches a running `pulse up` nor another engineer's processes.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.httpclient import HttpClient
from urllib3 import Timeout

from clickhouse.client import writer_client
from clickhouse.migrate import apply_migrations
from core.settings import SharedSettings
from pulse.local.kafka import KafkaNode
from pulse.local.ports import free_port
from pulse.local.process import ManagedProcess, wait_until

READY_TIMEOUT = 120.0


def _pings(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ping", timeout=2).text.strip() == "Ok."
    except httpx.HTTPError:
        return False


def endpoint_credentials() -> dict[str, str]:
    """The passwords the bench's endpoints and clients share: from settings, else generated.

    The endpoint refuses requests without credentials; a generated password is put in the
    environment so that every SharedSettings the bench builds afterwards carries it.
    """
    shared = SharedSettings()
    found = {
        "CLICKHOUSE_PASSWORD": shared.clickhouse_password.get_secret_value(),
        "CLICKHOUSE_READONLY_PASSWORD": shared.clickhouse_readonly_password.get_secret_value(),
    }
    for name, value in found.items():
        os.environ[name] = found[name] = value or secrets.token_urlsafe(18)
    return found


@contextmanager
def clickhouse_endpoint(work: Path) -> Iterator[str]:
    """The embedded endpoint (``python -m clickhouse.server``) on its own data dir; its URL."""
    credentials = endpoint_credentials()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = ManagedProcess(
        "clickhouse", work / "clickhouse.pid", work / "clickhouse.log", ready=lambda: _pings(url)
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
            str(work / "chdb"),
        ],
        env=credentials,
        cwd=work,
    )
    try:
        wait_until(
            proc.ready, READY_TIMEOUT, f"ClickHouse endpoint at {url}", alive=proc.is_running
        )
        yield url
    finally:
        proc.stop()


@contextmanager
def kafka_broker(work: Path, partitions: int = 6) -> Iterator[str]:
    """A single-node KRaft broker on free ports; its bootstrap address."""
    node = KafkaNode(
        data_dir=work / "kafka",
        port=free_port(),
        controller_port=free_port(),
        partitions=partitions,
        heap="1g",
    )
    proc = node.start(work / "kafka.log", timeout=READY_TIMEOUT)
    try:
        yield node.bootstrap
    finally:
        proc.stop()


def migrated(clickhouse_url: str, database: str, kafka: str = "127.0.0.1:9") -> SharedSettings:
    """Settings pointing at ``clickhouse_url`` whose ``database`` has every Pulse migration."""
    shared = SharedSettings(
        KAFKA_BOOTSTRAP_SERVERS=kafka,
        CLICKHOUSE_URL=clickhouse_url,
        CLICKHOUSE_DATABASE=database,
    )
    client = writer_client("", settings=shared)
    try:
        apply_migrations(client, database)
    finally:
        client.close()
    return shared


def long_running(client: Client, read_s: float) -> Client:
    """``client`` allowed ``read_s`` seconds per answer: a bench's bulk generation or a raw query
    at 100M events takes minutes on a busy machine, past clickhouse-connect's default."""
    if not isinstance(client, HttpClient):
        raise TypeError(f"expected clickhouse-connect's HTTP client, got {type(client).__name__}")
    client.timeout = Timeout(connect=10, read=read_s)
    return client
