"""A stack of its own for hostile traffic, and the count of generated cases in the report.

It borrows the session's broker and ClickHouse endpoint like ``pulse_stack``, but with its own
database, topics (the contract's names under a per-run prefix, so no other worker of the session
consumes them) and a retention long enough for events back to 1970: with the default 90 days,
ClickHouse's TTL would delete the historical rows this suite must find exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clickhouse.migrate import apply_migrations
from tests.e2e.conftest import PRODUCER_KEY, RunningStack
from tests.e2e.hostile.tally import TALLY
from tests.stack import ClickHouseEndpoint, pipeline_stack

PARTITIONS = 4
# 1970 to now plus this many days stays below DateTime's end (2106), where a TTL would wrap.
RETENTION_DAYS = 25_000


@pytest.fixture(scope="session")
def hostile_stack(
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningStack]:
    stack, api_url, database = pipeline_stack(
        kafka_bootstrap,
        clickhouse_endpoint,
        tmp_path_factory.mktemp("hostile"),
        "hostile",
        partitions=PARTITIONS,
        api_keys=f"{PRODUCER_KEY}:producer",
        own_topics=True,
        env={"PULSE_RETENTION_DAYS": str(RETENTION_DAYS)},
    )
    # The stack migrates with the default retention (its own PULSE_RETENTION_DAYS reaches only
    # the worker, which finds the schema applied): create the tables first, with ours.
    with clickhouse_endpoint.client(database="") as client:
        apply_migrations(client, database, retention_days=RETENTION_DAYS)
    try:
        stack.up()
        yield RunningStack(stack, api_url, database, clickhouse_endpoint)
    finally:
        stack.down()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many generated events went through the whole pipeline, and what became of them."""
    if TALLY.events:
        terminalreporter.section("hostile traffic")
        terminalreporter.write_line(TALLY.line())
