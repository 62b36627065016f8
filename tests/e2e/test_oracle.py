"""Generated traffic through the real API, Kafka and worker: every table equals the oracle.

Thousands of users, 200k+ events crossing UTC midnight, 5% duplicates, shuffled within an hour of
event time, some invalid and some historical; then each contract table is compared row by row.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from pulse.sender import send_events
from pulse.workload import WorkloadConfig, generate
from tests.e2e.conftest import PRODUCER_KEY, RunningStack
from tests.oracle import Oracle, assert_all_match, diff_all
from tests.polling import eventually

pytestmark = pytest.mark.slow


def test_every_table_equals_the_oracle_on_200k_generated_events(
    pulse_stack: RunningStack,
) -> None:
    config = WorkloadConfig(
        seed=2026,
        users=3000,
        days=1.0,
        events=215_000,
        cross_midnight=True,
        duplicate_fraction=0.05,
        disorder_window=timedelta(hours=1),
        invalid_fraction=0.01,
        historical_fraction=0.03,
        missing_event_id_fraction=0.01,
    )
    report = asyncio.run(
        send_events(
            pulse_stack.api_url,
            PRODUCER_KEY,
            generate(config),
            batch_size=1000,
            concurrency=4,
            keep_accepted=True,
        )
    )
    assert report.accepted > 200_000 and report.rejected > 0
    oracle = Oracle.from_events(report.accepted_events)

    client = pulse_stack.client()
    eventually(
        lambda: int(client.command("SELECT count() FROM events")),
        lambda n: n >= oracle.event_count,
        timeout=300,
        what=f"{oracle.event_count} distinct events in ClickHouse",
    )

    def fetch(table: str) -> list[dict]:
        return list(client.query(f"SELECT * FROM {table}").named_results())

    # The sink writes each batch to every table in turn; let the last facts land too.
    eventually(
        lambda: [d.table for d in diff_all(oracle, fetch) if not d.ok],
        lambda bad: not bad,
        timeout=60,
        interval=1.0,
        what="all tables equal to the oracle",
    )
    assert_all_match(diff_all(oracle, fetch))
