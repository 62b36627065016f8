"""The whole stack for end-to-end tests: the session's broker and ClickHouse endpoint, plus the
ingest API and a stream worker started as real processes by the same code as `pulse up`."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from core.settings import SharedSettings
from pulse.local.config import StackSettings
from pulse.local.stack import Stack
from tests.stack import ClickHouseEndpoint, free_port

PRODUCER_KEY = "pk_test_producer_" + secrets.token_hex(8)
ANALYST_KEY = "pk_test_analyst_" + secrets.token_hex(8)


@dataclass
class RunningStack:
    stack: Stack
    api_url: str
    database: str
    clickhouse: ClickHouseEndpoint

    def client(self) -> Client:
        return self.clickhouse.client(database=self.database)  # type: ignore[no-any-return]

    def part(self, name: str):  # noqa: ANN201 - a Part
        return next(p for p in self.stack if p.name == name)


@pytest.fixture(scope="session")
def pulse_stack(
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningStack]:
    data_dir: Path = tmp_path_factory.mktemp("stack")
    database = f"pulse_e2e_{secrets.token_hex(4)}"
    shared = SharedSettings(
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        CLICKHOUSE_URL=clickhouse_endpoint.url,
        CLICKHOUSE_DATABASE=database,
        PULSE_DATA_DIR=data_dir,
        PULSE_EVENTS_PARTITIONS=4,
    )
    settings = StackSettings(
        PULSE_START_KAFKA=False,
        PULSE_START_CLICKHOUSE=False,
        PULSE_API_PORT=free_port(),
        PULSE_WORKER_PORT=free_port(),
        PULSE_READY_TIMEOUT=90,
    )
    env = {
        "PULSE_API_KEYS": f"{PRODUCER_KEY}:producer,{ANALYST_KEY}:analyst",
        "PULSE_WORKER_APP_ID": f"pulse-e2e-{secrets.token_hex(4)}",
    }
    stack = Stack(shared, settings, extra_env=env)
    try:
        stack.up()
        yield RunningStack(
            stack, f"http://127.0.0.1:{settings.api_port}", database, clickhouse_endpoint
        )
    finally:
        stack.down()
