"""A stack for the SDK's tests: the session's broker and ClickHouse endpoint, plus an ingest API
and a stream worker of its own (so a test may kill the API), started by the code of `pulse up`."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from clickhouse_connect.driver.client import Client as ClickHouse

from pulse.local.stack import Part, Stack
from tests.polling import eventually
from tests.stack import ClickHouseEndpoint, pipeline_stack

PRODUCER_KEY = "pk_test_sdk_" + secrets.token_hex(8)
FIGURES: list[str] = []  # measured figures, shown at the end of the run


@dataclass
class SdkStack:
    stack: Stack
    api_url: str
    database: str
    clickhouse: ClickHouseEndpoint
    _client: ClickHouse | None = field(default=None, repr=False)

    def sql(self) -> ClickHouse:
        if self._client is None:
            self._client = self.clickhouse.client(database=self.database)
        return self._client

    @property
    def api(self) -> Part:
        return next(p for p in self.stack if p.name == "ingest_api")

    def ensure_api(self) -> None:
        """Start the API again if a test killed it, and wait until it is ready."""
        self.stack.restart_dead()

    def stored(self, source: str) -> tuple[int, int]:
        """(rows, distinct event ids) in ``events`` of the test's ``source``."""
        row = (
            self.sql()
            .query(
                "SELECT count(), uniqExact(event_id) FROM events WHERE source = {s:String}",
                parameters={"s": source},
            )
            .result_rows[0]
        )
        return int(row[0]), int(row[1])

    def wait_stored(self, source: str, expected: int, timeout: float = 120) -> tuple[int, int]:
        """Poll until ``expected`` rows of ``source`` are stored; the (rows, distinct ids)."""
        return eventually(
            lambda: self.stored(source),
            lambda seen: seen[0] >= expected,
            timeout=timeout,
            interval=0.5,
            what=f"{expected} events of {source} in ClickHouse",
        )

    def event_ids(self, source: str) -> set[str]:
        rows = (
            self.sql()
            .query(
                "SELECT event_id FROM events WHERE source = {s:String}", parameters={"s": source}
            )
            .result_rows
        )
        return {str(r[0]) for r in rows}


@pytest.fixture(scope="session")
def sdk_stack(
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SdkStack]:
    stack, api_url, database = pipeline_stack(
        kafka_bootstrap,
        clickhouse_endpoint,
        tmp_path_factory.mktemp("sdk-stack"),
        "sdk",
        partitions=2,
        api_keys=f"{PRODUCER_KEY}:producer",
        own_topics=True,
        ready_timeout=120,
        env={"PULSE_API_RETRY_AFTER_S": "1"},
    )
    try:
        stack.up()
        yield SdkStack(stack, api_url, database, clickhouse_endpoint)
    finally:
        stack.down()


@pytest.fixture
def tag(request: pytest.FixtureRequest) -> str:
    """A ``source`` of the test's own, so its events are told from every other test's."""
    return f"sdk-{request.node.name[:40]}-{secrets.token_hex(3)}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("python sdk")
        for line in FIGURES:
            terminalreporter.write_line(line)
