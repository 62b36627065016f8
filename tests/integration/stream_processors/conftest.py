"""A real stream worker (``python -m stream_processors``) between the test broker and endpoint."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from clickhouse_connect.driver.client import Client

from clickhouse.client import writer_client
from clickhouse.migrate import apply_migrations
from core.kafka_admin import ensure_topics
from core.settings import SharedSettings
from pulse.local.process import ManagedProcess
from tests.stack import ClickHouseEndpoint, free_port

PARTITIONS = 3


@dataclass
class Pipeline:
    """One isolated pipeline: its own topics, database and consumer group."""

    bootstrap: str
    clickhouse_url: str
    database: str
    topic: str
    dlq_topic: str
    app_id: str
    data_dir: Path

    def shared(self) -> SharedSettings:
        return SharedSettings(  # type: ignore[call-arg]
            KAFKA_BOOTSTRAP_SERVERS=self.bootstrap,
            CLICKHOUSE_URL=self.clickhouse_url,
            CLICKHOUSE_DATABASE=self.database,
        )

    def client(self) -> Client:
        return writer_client(self.database, settings=self.shared())

    def worker(self, name: str = "worker", port: int | None = None, **env: str) -> Worker:
        """A worker of this pipeline's group (``env`` adds or overrides its variables)."""
        return Worker(self, name, port or free_port(), dict(env))


@dataclass
class Worker:
    """A worker subprocess of ``pipeline``'s consumer group."""

    pipeline: Pipeline
    name: str
    port: int
    extra_env: dict[str, str]

    def __post_init__(self) -> None:
        data = self.pipeline.data_dir / self.name
        self.process = ManagedProcess(self.name, data / "worker.pid", data / "worker.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        p = self.pipeline
        return {
            "KAFKA_BOOTSTRAP_SERVERS": p.bootstrap,
            "CLICKHOUSE_URL": p.clickhouse_url,
            "CLICKHOUSE_DATABASE": p.database,
            "PULSE_EVENTS_TOPIC": p.topic,
            "PULSE_DLQ_TOPIC": p.dlq_topic,
            "PULSE_EVENTS_PARTITIONS": str(PARTITIONS),
            "PULSE_WORKER_APP_ID": p.app_id,
            "PULSE_WORKER_PORT": str(self.port),
            "PULSE_DATA_DIR": str(p.data_dir / self.name),
            "PULSE_SINK_MAX_ROWS": "500",
            "PULSE_LAG_INTERVAL": "1",
            "PULSE_WORKER_SESSION_TIMEOUT": "10",
        } | self.extra_env

    def start(self) -> Worker:
        self.process.spawn(
            [sys.executable, "-m", "stream_processors"],
            env=self.env(),
            cwd=self.pipeline.data_dir,
        )
        return self

    def alive(self) -> bool:
        """True while running; fails the test with the log's tail once the worker has died."""
        assert self.process.is_running(), f"worker {self.name} died:\n{self.log()[-3000:]}"
        return True

    def log(self) -> str:
        return self.process.log_file.read_text(errors="replace")

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.url + path, timeout=10)


def new_pipeline(
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
    partitions: int = PARTITIONS,
    retention_days: int | None = None,
) -> Pipeline:
    """Fresh topics (``partitions`` for the events), a fresh database migrated with
    ``retention_days`` and a fresh consumer group."""
    tag = uuid4().hex[:10]
    p = Pipeline(
        bootstrap=kafka_bootstrap,
        clickhouse_url=clickhouse_endpoint.url,
        database=f"pulse_test_{tag}",
        topic=f"test.events.{tag}",
        dlq_topic=f"test.events.{tag}.dlq",
        app_id=f"pulse-test-{tag}",
        data_dir=tmp_path_factory.mktemp(f"pipeline-{tag}"),
    )
    asyncio.run(ensure_topics(kafka_bootstrap, {p.topic: partitions, p.dlq_topic: 1}))
    apply_migrations(writer_client("", settings=p.shared()), p.database, retention_days)
    return p


@pytest.fixture(scope="module")
def pipeline(
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Pipeline:
    """Fresh topics, a fresh migrated database and a fresh consumer group for a test module."""
    return new_pipeline(kafka_bootstrap, clickhouse_endpoint, tmp_path_factory)


@pytest.fixture(scope="module")
def worker(pipeline: Pipeline) -> Iterator[Worker]:
    """One running worker for the module."""
    w = pipeline.worker().start()
    yield w
    w.process.stop(grace=20)


def record(
    event: str = "user.login",
    user_id: str = "student-1",
    ts: datetime | None = None,
    metadata: Mapping[str, Any] | None = None,
    event_id: str | None = None,
    session_id: str = "s-1",
) -> dict[str, Any]:
    """An EventRecord as the ingest API puts it on Kafka."""
    now = datetime.now(UTC)
    return {
        "v": 1,
        "event_id": event_id or str(uuid4()),
        "event": event,
        "user_id": user_id,
        "timestamp": (ts or now).isoformat(timespec="milliseconds"),
        "received_at": now.isoformat(timespec="milliseconds"),
        "source": "web",
        "session_id": session_id,
        "metadata": dict(metadata or {}),
        "request_id": uuid4().hex,
    }


async def _produce(
    bootstrap: str,
    topic: str,
    messages: Iterable[tuple[bytes | None, bytes, str]],
    transactional: bool,
    abort: bool,
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        transactional_id=f"test-{uuid4().hex}" if transactional else None,
    )
    await producer.start()
    try:
        if transactional:
            await producer.begin_transaction()
        for key, value, request_id in messages:
            headers = [("request_id", request_id.encode())]
            await producer.send(topic, value, key=key, headers=headers)
        if transactional:
            await (producer.abort_transaction() if abort else producer.commit_transaction())
        await producer.flush()
    finally:
        await producer.stop()


def send_records(
    pipeline: Pipeline,
    records: Iterable[Mapping[str, Any]],
    transactional: bool = True,
    abort: bool = False,
) -> None:
    """Publish records like the ingest API: JSON, key user_id, request_id header."""
    messages = [
        (str(r["user_id"]).encode(), orjson.dumps(r), str(r.get("request_id") or ""))
        for r in records
    ]
    asyncio.run(_produce(pipeline.bootstrap, pipeline.topic, messages, transactional, abort))


def send_raw(pipeline: Pipeline, values: Iterable[bytes]) -> None:
    """Publish raw values (poison messages) with a request_id header."""
    messages = [(b"poison", value, f"req-{i}") for i, value in enumerate(values)]
    asyncio.run(_produce(pipeline.bootstrap, pipeline.topic, messages, False, False))


def scalar(client: Client, sql: str, **parameters: Any) -> Any:
    return client.query(sql, parameters=parameters).result_rows[0][0]
