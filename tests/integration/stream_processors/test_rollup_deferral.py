"""A backlog with weeks-old events: their days are recomputed together, and every table is exact."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.stream_processors.conftest import (
    Pipeline,
    new_pipeline,
    record,
    send_records,
)
from tests.oracle import Oracle, assert_all_match, diff_all
from tests.polling import eventually
from tests.stack import ClickHouseEndpoint

BATCH = 200  # PULSE_SINK_MAX_ROWS: the backlog is many batches
MODELS = ("tutor-small", "tutor-large")


def backlog(rng: random.Random, events: int) -> list[dict[str, Any]]:
    """Live traffic with one event in five from 3 to 40 days ago (an import beside it)."""
    now = datetime.now(UTC) - timedelta(minutes=5)
    out = []
    for n in range(events):
        old = rng.random() < 0.2
        ts = now - timedelta(days=rng.randrange(3, 40) if old else 0, seconds=rng.randrange(600))
        user = f"defer-{rng.randrange(60)}"
        if n % 3 == 0:
            meta = {
                "model": rng.choice(MODELS),
                "prompt_tokens": rng.randrange(1, 500),
                "completion_tokens": rng.randrange(1, 200),
                "cost_usd": round(rng.random() / 100, 6),
            }
            out.append(record("llm.call", user, ts=ts, metadata=meta))
        else:
            meta = {"assignment_id": f"hw-{rng.randrange(5)}", "subject": rng.choice(("a", "b"))}
            out.append(record("assignment.viewed", user, ts=ts, metadata=meta))
    return out


def _deferred_refreshes(text: str) -> float:
    for line in text.splitlines():
        if line.startswith("rollup_deferred_refreshes_total "):
            return float(line.split()[1])
    return 0.0


def test_old_days_of_a_backlog_share_refreshes_and_every_table_equals_the_oracle(
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    pipeline: Pipeline = new_pipeline(kafka_bootstrap, clickhouse_endpoint, tmp_path_factory)
    events = backlog(random.Random(31), 3000)
    send_records(pipeline, events)  # all of it waiting before the worker starts
    # Long enough that only idle input or the held-message limit triggers the refresh.
    worker = pipeline.worker(
        PULSE_SINK_MAX_ROWS=str(BATCH), PULSE_ROLLUP_DEFER_SECONDS="120"
    ).start()
    try:
        client = pipeline.client()
        oracle = Oracle.from_events(events)
        diffs = eventually(
            lambda: diff_all(
                oracle,
                lambda t: client.query(f"SELECT * FROM {pipeline.database}.{t}").named_results(),
            ),
            lambda found: all(d.ok for d in found),
            timeout=120,
            what="every table equal to the oracle",
        )
        assert_all_match(diffs)
        refreshes = _deferred_refreshes(worker.get("/metrics").text)
        # 15 batches, nearly every one with old days: recomputed together, not once each.
        assert 1 <= refreshes <= 7, refreshes
    finally:
        worker.process.stop(grace=20)
