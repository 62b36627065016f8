"""Fixtures for the ingest API against a real Kafka broker: an app, its client, a consumer."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from fastapi import FastAPI

from ingest_api.config import ApiSettings
from ingest_api.main import create_app
from tests.stack import ClickHouseEndpoint

PRODUCER_KEY = "producer-key-1"
ANALYST_KEY = "analyst-key-1"
ADMIN_KEY = "admin-key-1"
KEYS = f"{PRODUCER_KEY}:producer,{ANALYST_KEY}:analyst,{ADMIN_KEY}:admin"

SettingsFactory = Callable[..., ApiSettings]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_settings(kafka_bootstrap: str) -> SettingsFactory:
    """Settings for an app on the test broker, with a topic of its own per test."""
    topic = f"test.events.{uuid4().hex[:12]}"

    def make(**overrides: Any) -> ApiSettings:
        values: dict[str, Any] = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "PULSE_EVENTS_TOPIC": topic,
            "PULSE_DLQ_TOPIC": f"{topic}.dlq",
            "PULSE_EVENTS_PARTITIONS": 3,
            "PULSE_API_KEYS": KEYS,
            "PULSE_API_PRODUCE_TIMEOUT_S": 5,
        }
        return ApiSettings(**(values | overrides))

    return make


async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client for ``app`` with its lifespan (the Kafka producer) running."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pulse.test") as client:
            yield client


@pytest.fixture
def settings(make_settings: SettingsFactory) -> ApiSettings:
    return make_settings()


@pytest.fixture
async def client(settings: ApiSettings) -> AsyncIterator[httpx.AsyncClient]:
    async for c in running(create_app(settings)):
        yield c


def auth(key: str = PRODUCER_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def viewed(user: str = "student-42", **changes: Any) -> dict[str, Any]:
    return {
        "event": "assignment.viewed",
        "user_id": user,
        "timestamp": "2026-11-20T14:03:07.120Z",
        "source": "web",
        "session_id": "s-9",
        "metadata": {"assignment_id": "hw-7", "subject": "math"},
    } | changes


async def consume(
    bootstrap: str, topic: str, expected: int, timeout: float = 20.0, settle: float = 0.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Committed messages of ``topic`` (read_committed), polled until ``expected`` arrived.

    With ``settle`` > 0, keep polling that long after reaching ``expected`` to catch extras.
    """
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(records) < expected:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


@pytest.fixture(scope="module")
def reports_database(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A fresh, migrated, empty database on the embedded ClickHouse: (url, database)."""
    from clickhouse.client import writer_client
    from clickhouse.migrate import apply_migrations

    endpoint: ClickHouseEndpoint = request.getfixturevalue("clickhouse_endpoint")
    database = f"api_{uuid4().hex[:8]}"
    settings = ApiSettings(CLICKHOUSE_URL=endpoint.url)  # type: ignore[call-arg]
    admin = writer_client(database="", settings=settings)
    apply_migrations(admin, database, retention_days=3650)
    yield endpoint.url, database
    admin.command(f"DROP DATABASE IF EXISTS `{database}`")
