"""Fixtures shared by every test: real components, started once per test run."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.containers import (
    NO_ENGINE,
    docker_engine_available,
    kafka_container,
)
from tests.stack import ClickHouseEndpoint, endpoint_credentials, start_clickhouse, start_kafka

# Before any settings are read: the endpoint and every client share these passwords.
endpoint_credentials()

USE_CONTAINERS = os.environ.get("PULSE_TEST_BACKEND") == "testcontainers"


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real single-node KRaft broker on a free port; its bootstrap address.

    With ``PULSE_TEST_BACKEND=testcontainers``, a Kafka container instead.
    """
    if USE_CONTAINERS:
        if not docker_engine_available():
            pytest.skip(NO_ENGINE)
        with kafka_container() as bootstrap:
            yield bootstrap
        return
    node, proc = start_kafka(tmp_path_factory.mktemp("kafka"))
    yield node.bootstrap
    proc.stop()


@pytest.fixture(scope="session")
def clickhouse_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseEndpoint]:
    """The embedded ClickHouse endpoint on a free port."""
    endpoint = start_clickhouse(tmp_path_factory.mktemp("clickhouse"))
    yield endpoint
    endpoint.process.stop()
