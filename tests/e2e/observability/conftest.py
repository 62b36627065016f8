"""A stack of its own watched by a real Prometheus, and known traffic sent through it.

The stack borrows the session's broker and ClickHouse endpoint like ``pulse_stack`` but has its own
topics, database and data directory, so every counter it exports is this module's traffic alone.
Its ``PULSE_DATA_DIR/kafka`` and ``/clickhouse`` are links to the session broker's and endpoint's
real data directories: what ``pulse up`` would keep there.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from core.settings import SharedSettings
from pulse.local.config import StackSettings
from pulse.local.ports import free_port
from pulse.local.stack import Stack
from pulse.sender import send_events
from tests.e2e.conftest import ANALYST_KEY, PRODUCER_KEY, RunningStack
from tests.e2e.observability.prometheus import (
    PrometheusServer,
    prometheus_binary,
    start_prometheus,
)
from tests.e2e.observability.traffic import BATCH_SIZE, Traffic, make_traffic
from tests.stack import ClickHouseEndpoint

REPO_ROOT = Path(__file__).resolve().parents[3]
ALERT_RULES = REPO_ROOT / "infra" / "prometheus" / "rules" / "pulse.yml"
VALID, LLM, INVALID = 240, 40, 12


def broker_data_dir(basetemp: Path, bootstrap: str) -> Path | None:
    """The data directory of the session's broker: the one whose config listens on its port."""
    port = urlparse(f"//{bootstrap.split(',')[0]}").port
    for config in basetemp.glob("*/server.properties"):
        if any(
            line.startswith("listeners=") and f":{port}," in f"{line},"
            for line in config.read_text().splitlines()
        ):
            return config.parent
    return None


def link_data_dirs(data_dir: Path, kafka: Path | None, clickhouse: Path) -> None:
    """PULSE_DATA_DIR/kafka and /clickhouse pointing at the real components' data."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if kafka is not None:
        (data_dir / "kafka").symlink_to(kafka, target_is_directory=True)
    (data_dir / "clickhouse").symlink_to(clickhouse, target_is_directory=True)


@pytest.fixture(scope="module")
def prometheus_path() -> str:
    binary = prometheus_binary()
    if binary is None:
        pytest.skip("prometheus is not installed (.ci/system-deps.sh installs it)")
    return binary


@pytest.fixture(scope="module")
def observed_stack(
    prometheus_path: str,
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningStack]:
    """API and worker on free ports, with topics, database and data directory of their own."""
    tag = secrets.token_hex(4)
    data_dir = tmp_path_factory.mktemp("observed") / "data"
    link_data_dirs(
        data_dir,
        broker_data_dir(tmp_path_factory.getbasetemp(), kafka_bootstrap),
        clickhouse_endpoint.process.pid_file.parent / "chdb",
    )
    topics = {
        "PULSE_EVENTS_TOPIC": f"pulse.obs-{tag}.events",
        "PULSE_DLQ_TOPIC": f"pulse.obs-{tag}.dlq",
    }
    shared = SharedSettings(  # type: ignore[call-arg]
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        CLICKHOUSE_URL=clickhouse_endpoint.url,
        CLICKHOUSE_DATABASE=f"pulse_obs_{tag}",
        PULSE_DATA_DIR=data_dir,
        PULSE_EVENTS_PARTITIONS=2,
        **topics,
    )
    settings = StackSettings(  # type: ignore[call-arg]
        PULSE_START_KAFKA=False,
        PULSE_START_CLICKHOUSE=False,
        PULSE_API_PORT=free_port(),
        PULSE_WORKER_PORT=free_port(),
        PULSE_READY_TIMEOUT=90,
    )
    env = {
        "PULSE_API_KEYS": f"{PRODUCER_KEY}:producer,{ANALYST_KEY}:analyst",
        "PULSE_WORKER_APP_ID": f"pulse-obs-{tag}",
        "PULSE_LAG_INTERVAL": "1",
        "PULSE_ROLLING_DAU_INTERVAL": "2",
    }
    stack = Stack(shared, settings, extra_env=env)
    try:
        stack.up()
        yield RunningStack(
            stack,
            f"http://127.0.0.1:{settings.api_port}",
            shared.clickhouse_database,
            clickhouse_endpoint,
        )
    finally:
        stack.down()


@pytest.fixture(scope="module")
def prometheus(
    prometheus_path: str, observed_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusServer]:
    """Prometheus scraping the API (job ingest_api) and worker (job stream_worker) every second,
    evaluating the production alert rules."""
    targets = {
        "ingest_api": observed_stack.api_url,
        "stream_worker": observed_stack.part("stream_worker").url,
    }
    server = start_prometheus(
        prometheus_path, tmp_path_factory.mktemp("prometheus"), targets, [ALERT_RULES]
    )
    try:
        yield server
    finally:
        server.stop()


async def send_dead_letter(stack: Stack) -> None:
    """One message the worker cannot decode, straight onto the events topic."""
    producer = AIOKafkaProducer(bootstrap_servers=stack.shared.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(stack.shared.events_topic, b"{not json", key=b"obs-dlq")
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def traffic(prometheus: PrometheusServer, observed_stack: RunningStack) -> Traffic:
    """Known events through the API, one user lookup and one undecodable message, all sent
    while Prometheus watches."""
    sent = make_traffic(VALID, LLM, INVALID)
    report = asyncio.run(
        send_events(
            observed_stack.api_url,
            PRODUCER_KEY,
            sent.events,
            batch_size=BATCH_SIZE,
            concurrency=2,
        )
    )
    assert (report.accepted, report.rejected) == (sent.accepted, sent.rejected), report.errors
    user = next(iter(sent.user_ids))
    resp = httpx.get(
        f"{observed_stack.api_url}/v1/users/{user}/summary",
        headers={"Authorization": f"Bearer {ANALYST_KEY}"},
        timeout=30,
    )
    assert resp.status_code < 500, resp.text
    asyncio.run(send_dead_letter(observed_stack.stack))
    return sent
