"""Clients of the embedded endpoint: the writer and the analyst, each test in its own database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from clickhouse_connect import get_client
from clickhouse_connect.driver.client import Client

from clickhouse.config import EndpointSettings
from tests.stack import ClickHouseEndpoint


@pytest.fixture(scope="session")
def endpoint_settings() -> EndpointSettings:
    """The accounts the endpoint was started with (same environment and ``.env``)."""
    return EndpointSettings()  # type: ignore[call-arg]


@pytest.fixture
def database(clickhouse_endpoint: ClickHouseEndpoint) -> Iterator[str]:
    """A fresh database for one test, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = clickhouse_endpoint.client()
    admin.command(f"CREATE DATABASE {name}")
    yield name
    admin.command(f"DROP DATABASE IF EXISTS {name}")
    admin.close()


@pytest.fixture
def writer(
    clickhouse_endpoint: ClickHouseEndpoint, endpoint_settings: EndpointSettings, database: str
) -> Iterator[Client]:
    """clickhouse-connect as the writer account, on the test's database."""
    client = get_client(
        host="127.0.0.1",
        port=clickhouse_endpoint.port,
        username=endpoint_settings.user,
        password=endpoint_settings.password.get_secret_value(),
        database=database,
    )
    yield client
    client.close()


@pytest.fixture
def analyst(
    clickhouse_endpoint: ClickHouseEndpoint, endpoint_settings: EndpointSettings, database: str
) -> Iterator[Client]:
    """clickhouse-connect as the read-only analyst account, on the test's database."""
    client = get_client(
        host="127.0.0.1",
        port=clickhouse_endpoint.port,
        username=endpoint_settings.readonly_user,
        password=endpoint_settings.readonly_password.get_secret_value(),
        database=database,
    )
    yield client
    client.close()


@pytest.fixture
def events_table(writer: Client) -> str:
    """A small MergeTree table in the test's database."""
    writer.command(
        "CREATE TABLE events (id UInt64, name String, ts DateTime64(3, 'UTC')) "
        "ENGINE = MergeTree ORDER BY id"
    )
    return "events"
