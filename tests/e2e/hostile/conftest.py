"""A stack of its own for hostile traffic, and the count of generated cases in the report.

It borrows the session's broker and ClickHouse endpoint like ``pulse_stack``, but with its own
database, topics (the contract's names under a per-run prefix, so no other worker of the session
consumes them) and a retention long enough for events back to 1970: with the default 90 days,
ClickHouse's TTL would delete the historical rows this suite must find exactly once.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from clickhouse.migrate import apply_migrations
from core.settings import SharedSettings
from pulse.local.config import StackSettings
from pulse.local.stack import Stack
from tests.e2e.conftest import PRODUCER_KEY, RunningStack
from tests.e2e.hostile.tally import TALLY
from tests.stack import ClickHouseEndpoint, free_port

PARTITIONS = 4
# 1970 to now plus this many days stays below DateTime's end (2106), where a TTL would wrap.
RETENTION_DAYS = 25_000


@pytest.fixture(scope="session")
def hostile_stack(
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningStack]:
    tag = secrets.token_hex(4)
    data_dir: Path = tmp_path_factory.mktemp("hostile")
    shared = SharedSettings(
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        CLICKHOUSE_URL=clickhouse_endpoint.url,
        CLICKHOUSE_DATABASE=f"pulse_hostile_{tag}",
        PULSE_DATA_DIR=data_dir,
        PULSE_EVENTS_TOPIC=f"hostile-{tag}.pulse.events.v1",
        PULSE_DLQ_TOPIC=f"hostile-{tag}.pulse.events.dlq",
        PULSE_EVENTS_PARTITIONS=PARTITIONS,
    )
    settings = StackSettings(
        PULSE_START_KAFKA=False,
        PULSE_START_CLICKHOUSE=False,
        PULSE_API_PORT=free_port(),
        PULSE_WORKER_PORT=free_port(),
        PULSE_READY_TIMEOUT=90,
    )
    env = {
        "PULSE_API_KEYS": f"{PRODUCER_KEY}:producer",
        "PULSE_WORKER_APP_ID": f"pulse-hostile-{tag}",
        "PULSE_RETENTION_DAYS": str(RETENTION_DAYS),
    }
    stack = Stack(shared, settings, extra_env=env)
    # The stack migrates with the default retention (its own PULSE_RETENTION_DAYS reaches only
    # the worker, which finds the schema applied): create the tables first, with ours.
    with clickhouse_endpoint.client(database="") as client:
        apply_migrations(client, shared.clickhouse_database, retention_days=RETENTION_DAYS)
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many generated events went through the whole pipeline, and what became of them."""
    if TALLY.events:
        terminalreporter.section("hostile traffic")
        terminalreporter.write_line(TALLY.line())
