"""A private stack for fault injection: Kafka, ClickHouse, API and worker all managed by it.

Unlike ``pulse_stack`` (which borrows the session's broker and endpoint), every part here is a
process this stack started, in its own data directory on free ports, so a test may SIGKILL any of
them and start it again. Scenarios share the stack; each tags its events with its own ``source``
and puts every part back up afterwards.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client

from core.settings import SharedSettings
from pulse.local.config import StackSettings
from pulse.local.ports import free_port
from pulse.local.stack import Part, Stack
from tests.e2e.faults.ledger import MEASURED
from tests.stack import endpoint_credentials

PRODUCER_KEY = "pk_test_faults_" + secrets.token_hex(8)
PARTITIONS = 4

# Short timeouts so that a fault shows within seconds and recovery follows quickly.
FAULT_ENV = {
    "PULSE_API_PRODUCE_TIMEOUT_S": "3",
    "PULSE_API_TRANSACTIONAL_ID": "pulse-faults-api",
    "PULSE_WORKER_SESSION_TIMEOUT": "10",
    "PULSE_SINK_RETRY_MAX_SECONDS": "2",
}


def free_port_pair() -> int:
    """A free port whose successor is free too (the broker's controller listens on port + 1)."""
    for _ in range(50):
        port = free_port()
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports on 127.0.0.1")


@dataclass
class FaultStack:
    """The running stack, its parts by name, and the figures each scenario measured."""

    stack: Stack
    api_url: str
    clickhouse_port: int
    database: str

    def part(self, name: str) -> Part:
        return next(p for p in self.stack if p.name == name)

    def ensure(self, name: str) -> None:
        """Start ``name`` if it is not running and wait until it is ready."""
        self.stack._ensure(self.part(name))

    def client(self) -> Client:
        credentials = endpoint_credentials()
        return clickhouse_connect.get_client(
            host="127.0.0.1",
            port=self.clickhouse_port,
            database=self.database,
            username=credentials["CLICKHOUSE_USER"],
            password=credentials["CLICKHOUSE_PASSWORD"],
        )


def _build(data_dir: Path) -> FaultStack:
    kafka_port, ch_port, api_port = free_port_pair(), free_port(), free_port()
    database = "pulse_faults"
    shared = SharedSettings(
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{kafka_port}",
        CLICKHOUSE_URL=f"http://127.0.0.1:{ch_port}",
        CLICKHOUSE_DATABASE=database,
        PULSE_DATA_DIR=data_dir,
        PULSE_EVENTS_PARTITIONS=PARTITIONS,
    )
    settings = StackSettings(
        PULSE_START_KAFKA=True,
        PULSE_START_CLICKHOUSE=True,
        PULSE_API_PORT=api_port,
        PULSE_WORKER_PORT=free_port(),
        PULSE_READY_TIMEOUT=120,
    )
    env = {
        **FAULT_ENV,
        "PULSE_API_KEYS": f"{PRODUCER_KEY}:producer",
        "PULSE_WORKER_APP_ID": f"pulse-faults-{secrets.token_hex(4)}",
    }
    stack = Stack(shared, settings, extra_env=env)
    return FaultStack(stack, f"http://127.0.0.1:{api_port}", ch_port, database)


@pytest.fixture(scope="session")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    """All four parts started by one Stack in a temporary directory; stopped at the end."""
    faults = _build(tmp_path_factory.mktemp("faults"))
    try:
        faults.stack.up()
        yield faults
    finally:
        faults.stack.down()


@pytest.fixture
def stack(fault_stack: FaultStack) -> Iterator[FaultStack]:
    """The fault stack, with every part running again once the scenario is over."""
    for part in fault_stack.stack:
        fault_stack.stack._ensure(part)
    yield fault_stack
    for part in fault_stack.stack:
        fault_stack.stack._ensure(part)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show what each fault scenario sent, accepted and stored (the figures of docs/faults.md)."""
    if MEASURED:
        terminalreporter.section("fault scenarios")
        for figures in MEASURED:
            terminalreporter.write_line(figures.line())
