"""The whole stack for end-to-end tests: the session's broker and ClickHouse endpoint, plus the
ingest API and a stream worker started as real processes by the same code as `pulse up`."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from clickhouse_connect.driver.client import Client

from pulse.local.stack import Stack
from tests.stack import ClickHouseEndpoint, pipeline_stack

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
    stack, api_url, database = pipeline_stack(
        kafka_bootstrap,
        clickhouse_endpoint,
        tmp_path_factory.mktemp("stack"),
        "e2e",
        partitions=4,
        api_keys=f"{PRODUCER_KEY}:producer,{ANALYST_KEY}:analyst",
    )
    try:
        stack.up()
        yield RunningStack(stack, api_url, database, clickhouse_endpoint)
    finally:
        stack.down()
